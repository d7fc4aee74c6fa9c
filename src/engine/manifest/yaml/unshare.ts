/**
 * Both parsers hand out one shared object for every use of an anchor (`*name`, `<<: *name`).
 * Later code may mutate or compare what it reads, so a document with aliases becomes a plain
 * tree: every second and later occurrence of an object is replaced by a deep copy.
 */

/** Most values that copying aliased nodes may create for one document. */
export const MAX_COPIED_VALUES = 1_000_000

/** Thrown when a document would expand past {@link MAX_COPIED_VALUES} or contains itself. */
export class AliasExpansionError extends Error {
  override name = 'AliasExpansionError'
}

/** Returns `value` with every shared object replaced by a copy (mutating `value` in place). */
export function unshare(value: unknown): unknown {
  const state: State = {seen: new Set(), active: new Set(), left: MAX_COPIED_VALUES}
  return visit(value, state)
}

interface State {
  seen: Set<object>
  /** Objects on the path from the root: meeting one again means a cycle. */
  active: Set<object>
  left: number
}

function visit(v: unknown, s: State): unknown {
  if (!isContainer(v)) return v
  if (s.seen.has(v)) return copy(v, s)
  s.seen.add(v)
  s.active.add(v)
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = visit(v[i], s)
  } else {
    for (const k of Object.keys(v)) {
      const child = v[k]
      const next = visit(child, s)
      if (next !== child) setKey(v, k, next)
    }
  }
  s.active.delete(v)
  return v
}

function copy(v: unknown, s: State): unknown {
  if (--s.left < 0) throw new AliasExpansionError(`aliases expand this document to more than ${MAX_COPIED_VALUES} values`)
  if (!isContainer(v)) return v
  if (s.active.has(v)) throw new AliasExpansionError('an alias refers to a node that contains it')
  s.active.add(v)
  let out: unknown[] | Record<string, unknown>
  if (Array.isArray(v)) {
    out = v.map((x) => copy(x, s))
  } else {
    out = {}
    for (const k of Object.keys(v)) setKey(out, k, copy(v[k], s))
  }
  s.active.delete(v)
  return out
}

/** Arrays and plain objects; anything else (a Buffer from `!!binary`...) is a leaf. */
function isContainer(v: unknown): v is unknown[] | Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  if (Array.isArray(v)) return true
  const proto: unknown = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  // `o.__proto__ = x` would change the prototype instead of adding a key.
  if (k === '__proto__') Object.defineProperty(o, k, {value: v, writable: true, enumerable: true, configurable: true})
  else o[k] = v
}
