import type {PathPart} from '../yaml-docs.js'

/** A field the schema does not declare, with the fields it does declare at that place. */
export interface UnknownField {
  path: PathPart[]
  known: string[]
}

const ALL = '\u0000all'

/**
 * Runs a validator on a view of `data` that records which properties the validator
 * reads, then reports every property it never read.
 *
 * kubernetes-models' validators are precompiled from Kubernetes' OpenAPI schemas, which
 * do not forbid unknown properties. A precompiled validator reads each property its
 * schema declares (to check it), and enumerates the keys of maps (labels, data...), so
 * "present but never read" is exactly "unknown to the schema": what the API server's
 * strict field validation rejects. Objects it never looks into are free-form (RawExtension,
 * preserve-unknown-fields) and are left alone.
 */
export function validateStrict<E>(data: unknown, validate: (view: unknown) => E): {result: E; unknown: UnknownField[]} {
  const touched = new WeakMap<object, Set<string>>()
  const views = new WeakMap<object, object>()
  const view = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value
    let p = views.get(value)
    if (p) return p
    const seen = new Set<string>()
    touched.set(value, seen)
    p = new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === 'string') seen.add(key)
        return view(Reflect.get(target, key, receiver))
      },
      ownKeys(target) {
        seen.add(ALL)
        return Reflect.ownKeys(target)
      },
    })
    views.set(value, p)
    return p
  }
  const result = validate(view(data))
  const unknown: UnknownField[] = []
  collect(data, [], touched, unknown)
  return {result, unknown}
}

function collect(value: unknown, path: PathPart[], touched: WeakMap<object, Set<string>>, out: UnknownField[]): void {
  if (value === null || typeof value !== 'object') return
  const seen = touched.get(value)
  if (!seen) return
  if (Array.isArray(value)) {
    value.forEach((item, i) => collect(item, [...path, i], touched, out))
    return
  }
  const keys = Object.keys(value)
  if (seen.size > 0 && !seen.has(ALL)) {
    const known = [...seen].filter((k) => k !== ALL && !(k in Object.prototype)).sort()
    for (const k of keys) if (!seen.has(k)) out.push({path: [...path, k], known})
  }
  for (const k of keys) collect((value as Record<string, unknown>)[k], [...path, k], touched, out)
}
