import {createHash} from 'node:crypto'

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789'

/** FNV-1a, 32 bits: the hash Kubernetes uses for pod-template-hash. */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** Kubernetes' SafeEncodeString: no vowels, so no words, and no look-alike characters. */
export function safeEncode(text: string): string {
  let out = ''
  for (const ch of new TextEncoder().encode(text)) out += SAFE_ALPHANUMS[ch % SAFE_ALPHANUMS.length]
  return out
}

/** JSON with sorted keys, so equal values always hash the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']'
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return '{' + entries.map(([k, x]) => JSON.stringify(k) + ':' + canonicalJson(x)).join(',') + '}'
  }
  return JSON.stringify(v)
}

/** The pod-template-hash label value, as Kubernetes computes it. */
export function podTemplateHash(template: unknown): string {
  return safeEncode(String(fnv32a(canonicalJson(template))))
}

export function specHash(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex').slice(0, 16)
}
