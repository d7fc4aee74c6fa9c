import {createHash, createHmac} from 'node:crypto'

export interface KnownHostKey {
  type: string
  key: Buffer
  line: number
  revoked: boolean
}

/** The name a host is written under in known_hosts: `addr`, or `[addr]:port` off port 22. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`
}

/** Host keys pinned for one host, from the text of a known_hosts file (plain, hashed and wildcard entries). */
export function keysForHost(text: string, address: string, port: number): KnownHostKey[] {
  const host = knownHostName(address, port)
  const out: KnownHostKey[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (!line || line.startsWith('#')) return
    const fields = line.split(/\s+/)
    let marker: string | undefined
    if (fields[0]!.startsWith('@')) marker = fields.shift()
    // Only @revoked is understood; any other marker (@cert-authority, a typo) makes the line unusable, as in OpenSSH.
    if (marker && marker !== '@revoked') return
    const [hosts, type, b64] = fields
    if (!hosts || !type || !b64) return
    if (!hostMatches(hosts, host)) return
    out.push({type, key: Buffer.from(b64, 'base64'), line: i + 1, revoked: marker === '@revoked'})
  })
  return out
}

function hostMatches(patterns: string, host: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|')
    if (!salt || !hash) return false
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(host).digest('base64') === hash
  }
  let matched = false
  for (const p of patterns.split(',')) {
    const negated = p.startsWith('!')
    const pat = negated ? p.slice(1) : p
    if (globMatch(pat, host)) {
      if (negated) return false
      matched = true
    }
  }
  return matched
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$')
  return re.test(s)
}

/** `SHA256:...` as ssh-keygen -l prints it. */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '')
}

/** The key type written at the start of an SSH public key blob. */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown'
  const len = blob.readUInt32BE(0)
  return blob.subarray(4, 4 + len).toString('latin1')
}
