import {ManifestError} from '../../errors.js'
import {describe} from '../field-reader.js'
import {formatPath, isRecord, type ParsedDoc, type PathPart} from '../yaml-docs.js'
import type {AjvError} from './builtin.js'
import type {UnknownField} from './strict.js'

const TYPE_WORDS: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
}

const FORMAT_WORDS: Record<string, string> = {
  int32: 'a 32-bit integer',
  int64: 'a 64-bit integer',
  quantity: 'a quantity such as 500m, 2 or 128Mi',
  'date-time': 'an RFC 3339 date-time such as 2024-01-31T12:00:00Z',
  byte: 'base64-encoded data',
}

/** Turns validator errors into ManifestErrors, one per field, in field-reader.ts' words. */
export function ajvToManifestErrors(doc: ParsedDoc, errors: readonly AjvError[], base: readonly PathPart[] = []): ManifestError[] {
  const byPath = new Map<string, {path: PathPart[]; errors: AjvError[]}>()
  for (const e of errors) {
    const path = [...base, ...pointerToPath(doc.value, base, e.instancePath)]
    if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') path.push(e.params.missingProperty)
    if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') path.push(e.params.additionalProperty)
    const key = formatPath(path) + (e.keyword === 'required' || e.keyword === 'additionalProperties' ? `\u0000${e.keyword}` : '')
    const group = byPath.get(key) ?? {path, errors: []}
    group.errors.push(e)
    byPath.set(key, group)
  }
  const out: ManifestError[] = []
  for (const {path, errors: group} of byPath.values()) {
    // A Secret's values are never echoed, not even a wrong one.
    const secret = isRecord(doc.value) && doc.value.kind === 'Secret' && (path[0] === 'data' || path[0] === 'stringData')
    const detail = explain(group, secret ? HIDDEN : valueAt(doc.value, path))
    if (detail) out.push(new ManifestError(doc.posOf(path), detail))
  }
  return out
}

/** Stands for a value that must not be shown (describe() prints it as it is). */
const HIDDEN = {}

function shown(value: unknown): string {
  return value === HIDDEN ? 'a value that is not shown' : describe(value)
}

function explain(errors: AjvError[], value: unknown): string | undefined {
  if (errors.some((e) => e.keyword === 'required')) return 'required field is missing'
  const extra = errors.find((e) => e.keyword === 'additionalProperties')
  if (extra) {
    const parent = (extra as {parentSchema?: {properties?: object}}).parentSchema
    return unknownFieldDetail(String(extra.params.additionalProperty), Object.keys(parent?.properties ?? {}))
  }
  const format = errors.find((e) => e.keyword === 'format')
  if (format) {
    const name = String(format.params.format)
    return `must be ${FORMAT_WORDS[name] ?? `in "${name}" format`}, got ${shown(value)}`
  }
  const types = [...new Set(errors.filter((e) => e.keyword === 'type').flatMap((e) => String(e.params.type).split(',')))]
  if (types.length > 0) return `must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}, got ${shown(value)}`
  const en = errors.find((e) => e.keyword === 'enum')
  if (en) {
    const allowed = (en.params.allowedValues as unknown[]).map((v) => String(v))
    return `must be one of ${allowed.join(', ')}, got ${typeof value === 'string' ? `"${value}"` : shown(value)}`
  }
  const other = errors.find((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf') ?? errors[0]
  if (!other) return undefined
  if (other.keyword === 'oneOf' || other.keyword === 'anyOf') return `does not match any allowed form, got ${shown(value)}`
  return other.message ?? `fails "${other.keyword}"`
}

/** Messages for fields the schema does not declare, with a hint when one is a likely typo. */
export function unknownFieldErrors(doc: ParsedDoc, unknown: readonly UnknownField[], base: readonly PathPart[] = []): ManifestError[] {
  return unknown.map((u) => {
    const name = String(u.path[u.path.length - 1])
    return new ManifestError(doc.posOf([...base, ...u.path]), unknownFieldDetail(name, u.known))
  })
}

function unknownFieldDetail(name: string, known: readonly string[]): string {
  const near = closest(name, known)
  const hint = near ? ` (did you mean "${near}"?)` : known.length > 0 && known.length <= 12 ? ` (known: ${[...known].sort().join(', ')})` : ''
  return `unknown field "${name}"${hint}`
}

/** Maps a JSON pointer to our path parts: numbers where the value is a list. */
export function pointerToPath(root: unknown, base: readonly PathPart[], pointer: string): PathPart[] {
  let value = valueAt(root, base)
  const out: PathPart[] = []
  if (pointer === '') return out
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    const part: PathPart = Array.isArray(value) && /^\d+$/.test(seg) ? Number(seg) : seg
    out.push(part)
    value = step(value, part)
  }
  return out
}

export function valueAt(root: unknown, path: readonly PathPart[]): unknown {
  let v = root
  for (const p of path) v = step(v, p)
  return v
}

function step(v: unknown, p: PathPart): unknown {
  if (Array.isArray(v) && typeof p === 'number') return v[p]
  if (isRecord(v) && Object.hasOwn(v, p)) return v[p]
  return undefined
}

function closest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase()
  let best: string | undefined
  let bestDist = Math.max(1, Math.min(3, Math.floor(name.length / 3)))
  for (const k of known) {
    if (k.toLowerCase() === lower) return k
    const d = distance(lower, k.toLowerCase(), bestDist)
    if (d <= bestDist) {
      best = k
      bestDist = d - 1
    }
  }
  return best
}

/** Levenshtein distance, giving up (returning limit + 1) once it exceeds limit. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1
  let prev = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      cur.push(v)
      rowMin = Math.min(rowMin, v)
    }
    if (rowMin > limit) return limit + 1
    prev = cur
  }
  return prev[b.length]!
}
