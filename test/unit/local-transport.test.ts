import {Readable, Writable} from 'node:stream'
import {describe, expect, it, vi} from 'vitest'
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

class Sink extends Writable {
  text = ''
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString()
    done()
  }
}

describe('LocalTransport.stream', () => {
  it('streams stdout and stderr apart and returns the exit code', async () => {
    const [out, err] = [new Sink(), new Sink()]
    const r = await new LocalTransport('local').stream(['sh', '-c', 'echo out; echo err >&2; exit 3'], {stdout: out, stderr: err})
    expect(r).toEqual({exitCode: 3})
    expect([out.text, err.text]).toEqual(['out\n', 'err\n'])
  })

  it('forwards stdin until it ends, argv words arriving as they are', async () => {
    const out = new Sink()
    const r = await new LocalTransport('local').stream(['sh', '-c', 'cat; printf %s "$1"', 'sh', '$(id)'], {stdin: Readable.from(['a\n', 'b\n']), stdout: out, stderr: new Sink()})
    expect(r.exitCode).toBe(0)
    expect(out.text).toBe('a\nb\n$(id)')
  })

  it('passes output on before the command ends, and stops it on abort', async () => {
    const out = new Sink()
    const ac = new AbortController()
    const t0 = Date.now()
    const run = new LocalTransport('local').stream(['sh', '-c', 'echo first; exec sleep 30'], {stdout: out, stderr: new Sink(), signal: ac.signal})
    await vi.waitFor(() => expect(out.text).toBe('first\n'))
    ac.abort()
    expect(await run).toEqual({exitCode: null, signal: 'TERM'})
    expect(Date.now() - t0).toBeLessThan(10_000)
  })
})
