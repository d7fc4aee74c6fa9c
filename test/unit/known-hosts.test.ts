import {createHmac} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {fingerprint, keyTypeOf, keysForHost, knownHostName} from '../../src/engine/exec/known-hosts.js'

function blob(type: string, body: string): Buffer {
  const t = Buffer.from(type)
  const len = Buffer.alloc(4)
  len.writeUInt32BE(t.length)
  return Buffer.concat([len, t, Buffer.from(body)])
}
const K1 = blob('ssh-ed25519', 'key-one')
const K2 = blob('ssh-ed25519', 'key-two')

function hashed(host: string): string {
  const salt = Buffer.from('0123456789abcdefghij')
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(host).digest('base64')}`
}

describe('known_hosts', () => {
  it('names hosts as ssh does', () => {
    expect(knownHostName('10.0.0.1', 22)).toBe('10.0.0.1')
    expect(knownHostName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222')
  })

  it('finds plain, port-qualified, hashed and wildcard entries', () => {
    const text = [
      '# comment',
      `10.0.0.1,web1 ssh-ed25519 ${K1.toString('base64')}`,
      `[10.0.0.1]:2222 ssh-ed25519 ${K2.toString('base64')}`,
      `${hashed('10.0.0.9')} ssh-ed25519 ${K2.toString('base64')}`,
      `10.0.1.* ssh-ed25519 ${K1.toString('base64')}`,
    ].join('\n')
    expect(keysForHost(text, '10.0.0.1', 22).map((k) => k.key)).toEqual([K1])
    expect(keysForHost(text, '10.0.0.1', 2222).map((k) => k.line)).toEqual([3])
    expect(keysForHost(text, '10.0.0.9', 22).map((k) => k.key)).toEqual([K2])
    expect(keysForHost(text, '10.0.1.7', 22)).toHaveLength(1)
    expect(keysForHost(text, '10.0.0.2', 22)).toEqual([])
  })

  it('marks revoked keys and skips CA lines and negated hosts', () => {
    const text = [`@revoked 10.0.0.1 ssh-ed25519 ${K1.toString('base64')}`, `@cert-authority 10.0.0.1 ssh-ed25519 ${K2.toString('base64')}`, `10.0.0.*,!10.0.0.5 ssh-ed25519 ${K2.toString('base64')}`].join('\n')
    const keys = keysForHost(text, '10.0.0.1', 22)
    expect(keys.map((k) => k.revoked)).toEqual([true, false])
    expect(keysForHost(text, '10.0.0.5', 22)).toEqual([])
    // A misspelled marker must not turn a line meant to block a key into a pin.
    expect(keysForHost(`@revokd 10.0.0.7 ssh-ed25519 ${K1.toString('base64')}`, '10.0.0.7', 22)).toEqual([])
  })

  it('reads key types and fingerprints like ssh-keygen', () => {
    expect(keyTypeOf(K1)).toBe('ssh-ed25519')
    expect(fingerprint(K1)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/)
  })
})
