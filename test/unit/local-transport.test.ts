import {describe, expect, it} from 'vitest'
import {LocalTransport} from '../../src/engine/exec/local-transport.js'

const HOSTILE = ['$(echo pwned)', '`id`', "it's", 'a b', 'x\ny', 'semi;colon', '$HOME']

describe('LocalTransport', () => {
  it('runs one argv without a shell and several as one quoted script, byte for byte', async () => {
    const t = new LocalTransport('local')
    expect((await t.exec([['printf', '%s|', ...HOSTILE]])).stdout).toBe(HOSTILE.map((w) => w + '|').join(''))
    const two = await t.exec([['printf', '%s|', ...HOSTILE], ['printf', 'end']])
    expect(two).toEqual({stdout: HOSTILE.map((w) => w + '|').join('') + 'end', stderr: '', exitCode: 0})
  })

  it('stops at the first failing step and reports its exit code and stderr', async () => {
    const r = await new LocalTransport('local').exec([['sh', '-c', 'echo oops >&2; exit 3'], ['printf', 'never']])
    expect(r).toEqual({stdout: '', stderr: 'oops\n', exitCode: 3})
  })

  it('wraps commands and adds environment, as a node’s sshd would', async () => {
    const t = new LocalTransport('n1', {wrap: ['env', 'EXTRA=1'], env: {KGIT_NODE_VAR: 'v'}})
    const r = await t.exec([['sh', '-c', 'printf %s-%s "$EXTRA" "$KGIT_NODE_VAR"']])
    expect(r.stdout).toBe('1-v')
  })

  it('feeds stdin without putting it in argv', async () => {
    expect((await new LocalTransport('local').exec([['cat']], {stdin: 'secret\n'})).stdout).toBe('secret\n')
  })
})
