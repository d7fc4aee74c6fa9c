import {describe, expect, it} from 'vitest'
import {remoteOutcome, signalExitCode} from '../../src/cli/pod-stream.js'

describe('the remote command becomes kgit exit code', () => {
  it.each([
    [{exitCode: 0}, {exitCode: 0}],
    [{exitCode: 3}, {exitCode: 3, message: 'command terminated with exit code 3'}],
    [{exitCode: null, signal: 'KILL'}, {exitCode: 137, message: 'command terminated by signal KILL'}],
    [{exitCode: null}, {exitCode: 1, message: 'the connection to node n2 closed before the command reported an exit status'}],
  ])('%j', (result, outcome) => expect(remoteOutcome(result, 'n2')).toEqual(outcome))

  it('maps signals as shells do', () => {
    expect([signalExitCode('SIGINT'), signalExitCode('TERM'), signalExitCode('HUP')]).toEqual([130, 143, 129])
  })
})
