import {execFileSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {shellCommand, shellQuote, shellScript} from '../../src/engine/argv/shell.js'

const HOSTILE = ['$(touch /tmp/kgit-pwned)', '`id`', "it's", '"double"', 'a b', 'line1\nline2', 'semi;colon', '&& rm -rf /', '$HOME', '\\', '', '*', '~', '#x', '-n', "'", "''", '\t', 'ünïcödé']

describe('shellQuote', () => {
  it('leaves plain words alone and quotes the rest', () => {
    expect(shellQuote('podman')).toBe('podman')
    expect(shellQuote('kgit.dev/managed=true')).toBe('kgit.dev/managed=true')
    expect(shellQuote('a b')).toBe("'a b'")
    expect(shellQuote("it's")).toBe(`'it'\\''s'`)
    expect(shellQuote('')).toBe("''")
    // zsh expands a leading '=' (=cmd is the path of cmd)
    expect(shellQuote('=ls')).toBe("'=ls'")
    expect(shellQuote('a=b')).toBe('a=b')
  })

  it.each(HOSTILE)('passes %j through a real shell byte for byte', (word) => {
    const out = execFileSync('sh', ['-c', shellCommand(['printf', '%s', word])])
    expect(out.toString()).toBe(word)
  })

  it('keeps every word of a script separate', () => {
    const script = shellScript([['printf', '%s|', ...HOSTILE], ['printf', 'end']])
    expect(execFileSync('sh', ['-c', script]).toString()).toBe(HOSTILE.map((w) => w + '|').join('') + 'end')
  })

  it('stops a script at the first failing step', () => {
    expect(() => execFileSync('sh', ['-c', shellScript([['false'], ['touch', '/nonexistent/never']])], {stdio: 'pipe'})).toThrow()
  })

  it('refuses NUL bytes and empty argv', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/)
    expect(() => shellCommand([])).toThrow(/empty/)
  })
})
