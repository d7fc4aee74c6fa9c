import {canonicalJson} from '../controllers/hash.js'

const MAX_CHANGES = 12
const MAX_VALUE = 60

/**
 * The fields that differ between two pod specs, as `path: old -> new` lines
 * (containers matched by name, like Kubernetes' strategic merge). Pure.
 */
export function specChanges(before: unknown, after: unknown): string[] {
  const out: string[] = []
  walk('', before, after, out)
  return out.length > MAX_CHANGES ? [...out.slice(0, MAX_CHANGES), `... and ${out.length - MAX_CHANGES} more`] : out
}

function walk(path: string, a: unknown, b: unknown, out: string[]): void {
  if (canonicalJson(a) === canonicalJson(b)) return
  if (Array.isArray(a) && Array.isArray(b) && [...a, ...b].every(named)) {
    const names = [...new Set([...a, ...b].map((x) => (x as {name: string}).name))]
    for (const n of names) walk(`${path}[${n}]`, a.find((x) => (x as {name: string}).name === n), b.find((x) => (x as {name: string}).name === n), out)
    return
  }
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(path ? `${path}.${k}` : k, a[k], b[k], out)
    return
  }
  out.push(`${path || '(spec)'}: ${show(a)} -> ${show(b)}`)
}

function named(x: unknown): boolean {
  return isObject(x) && typeof x.name === 'string'
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

function show(v: unknown): string {
  if (v === undefined) return '(none)'
  const s = typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v)
  return s.length > MAX_VALUE ? s.slice(0, MAX_VALUE - 3) + '...' : s
}
