import {ManifestError, formatPos} from '../errors.js'
import {isRecord, type ParsedDoc, type PathPart} from './yaml-docs.js'

/**
 * Reads typed fields out of a parsed document and collects every problem with its
 * file, line and field path, so that all errors are shown together.
 */
export class FieldReader {
  readonly errors: ManifestError[] = []
  readonly warnings: string[] = []
  constructor(readonly doc: ParsedDoc) {}

  warn(path: readonly PathPart[], detail: string): void {
    this.warnings.push(formatPos(this.doc.posOf(path)) + ': ' + detail)
  }

  fail(path: readonly PathPart[], detail: string): void {
    this.errors.push(new ManifestError(this.doc.posOf(path), detail))
  }

  get(path: readonly PathPart[]): unknown {
    let v: unknown = this.doc.value
    for (const p of path) {
      if (typeof p === 'number' ? !Array.isArray(v) : !isRecord(v)) return undefined
      v = (v as Record<string | number, unknown>)[p]
    }
    return v
  }

  str(path: readonly PathPart[], opts: {required?: boolean; pattern?: RegExp; patternMsg?: string; oneOf?: readonly string[]} = {}): string | undefined {
    const v = this.get(path)
    if (v === undefined || v === null) {
      if (opts.required) this.fail(path, 'required field is missing')
      return undefined
    }
    if (typeof v !== 'string') {
      this.fail(path, `must be a string, got ${describe(v)}`)
      return undefined
    }
    if (opts.required && v === '') this.fail(path, 'must not be empty')
    else if (opts.pattern && !opts.pattern.test(v)) this.fail(path, opts.patternMsg ?? `does not match ${opts.pattern}`)
    else if (opts.oneOf && !opts.oneOf.includes(v)) this.fail(path, `must be one of ${opts.oneOf.join(', ')}, got "${v}"`)
    return v
  }

  int(path: readonly PathPart[], opts: {required?: boolean; min?: number; max?: number} = {}): number | undefined {
    const v = this.get(path)
    if (v === undefined || v === null) {
      if (opts.required) this.fail(path, 'required field is missing')
      return undefined
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.fail(path, `must be an integer, got ${describe(v)}`)
      return undefined
    }
    if (opts.min !== undefined && v < opts.min) this.fail(path, `must be at least ${opts.min}, got ${v}`)
    else if (opts.max !== undefined && v > opts.max) this.fail(path, `must be at most ${opts.max}, got ${v}`)
    return v
  }

  bool(path: readonly PathPart[]): boolean | undefined {
    const v = this.get(path)
    if (v === undefined || v === null) return undefined
    if (typeof v !== 'boolean') {
      this.fail(path, `must be true or false, got ${describe(v)}`)
      return undefined
    }
    return v
  }

  map(path: readonly PathPart[], opts: {required?: boolean} = {}): Record<string, unknown> | undefined {
    const v = this.get(path)
    if (v === undefined || v === null) {
      if (opts.required) this.fail(path, 'required field is missing')
      return undefined
    }
    if (!isRecord(v)) {
      this.fail(path, `must be a mapping, got ${describe(v)}`)
      return undefined
    }
    return v
  }

  list(path: readonly PathPart[], opts: {required?: boolean} = {}): unknown[] | undefined {
    const v = this.get(path)
    if (v === undefined || v === null) {
      if (opts.required) this.fail(path, 'required field is missing')
      return undefined
    }
    if (!Array.isArray(v)) {
      this.fail(path, `must be a list, got ${describe(v)}`)
      return undefined
    }
    return v
  }

  strList(path: readonly PathPart[]): string[] | undefined {
    const items = this.list(path)
    if (!items) return undefined
    items.forEach((_, i) => this.str([...path, i], {required: true}))
    return items.filter((x): x is string => typeof x === 'string')
  }

  strMap(path: readonly PathPart[]): Record<string, string> {
    const m = this.map(path)
    const out: Record<string, string> = {}
    if (!m) return out
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'string') this.fail([...path, k], `must be a string, got ${describe(v)}`)
      else out[k] = v
    }
    return out
  }

  /** Reports fields that are not in `known` (a typo must not be silently ignored). */
  known(path: readonly PathPart[], known: readonly string[]): void {
    const m = this.get(path)
    if (!isRecord(m)) return
    for (const k of Object.keys(m)) {
      if (!known.includes(k)) this.fail([...path, k], `unknown field "${k}" (known: ${known.join(', ')})`)
    }
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  if (typeof v === 'string') return `string "${v.length > 40 ? v.slice(0, 40) + '…' : v}"`
  return `${typeof v} ${String(v)}`
}

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
