import {evaluate} from '@marcbachmann/cel-js'
import {ManifestError} from '../../errors.js'
import {describe} from '../field-reader.js'
import {isRecord, type ParsedDoc, type PathPart} from '../yaml-docs.js'

type Schema = Record<string, unknown>

export interface CelOutcome {
  errors: ManifestError[]
  /** Rules that could not be evaluated (Kubernetes' own CEL libraries, transition rules). */
  skipped: string[]
}

/**
 * Evaluates a CRD schema's x-kubernetes-validations (CEL) rules on a custom resource, the
 * way the API server does on create: each rule sees its field as `self`, integers as CEL
 * ints. Rules that use oldSelf apply to updates only; rules this evaluator cannot run
 * (Kubernetes' CEL extensions such as quantity() or format) are reported as skipped.
 */
export function celRuleErrors(doc: ParsedDoc, schema: Schema): CelOutcome {
  const out: CelOutcome = {errors: [], skipped: []}
  walk(doc, schema, doc.value, [], out)
  return out
}

function walk(doc: ParsedDoc, schema: Schema, value: unknown, path: PathPart[], out: CelOutcome): void {
  if (value === undefined || value === null) return
  const rules = schema['x-kubernetes-validations']
  if (Array.isArray(rules)) for (const r of rules) if (isRecord(r) && typeof r.rule === 'string') check(doc, schema, value, path, r, out)
  if (Array.isArray(value)) {
    const items = isRecord(schema.items) ? schema.items : {}
    value.forEach((item, i) => walk(doc, items, item, [...path, i], out))
  } else if (isRecord(value)) {
    const props = isRecord(schema.properties) ? schema.properties : {}
    for (const [k, v] of Object.entries(value)) {
      if (path.length === 0 && k === 'metadata') continue
      const child = isRecord(props[k]) ? props[k] : isRecord(schema.additionalProperties) ? schema.additionalProperties : undefined
      if (child) walk(doc, child, v, [...path, k], out)
    }
  }
}

function check(doc: ParsedDoc, schema: Schema, value: unknown, path: PathPart[], r: Record<string, unknown>, out: CelOutcome): void {
  const rule = r.rule as string
  if (/\boldSelf\b/.test(rule)) return
  let ok: unknown
  try {
    ok = evaluate(rule, {self: toCel(value, schema)})
  } catch (err) {
    out.skipped.push(`${doc.posOf(path).file}: rule ${JSON.stringify(rule)} not evaluated: ${(err as Error).message.split('\n')[0]}`)
    return
  }
  if (ok === true) return
  const message = typeof r.message === 'string' && r.message !== '' ? r.message : `failed rule: ${rule}`
  const got = value !== null && typeof value === 'object' ? '' : `, got ${describe(value)}`
  out.errors.push(new ManifestError(doc.posOf(path), `${message}${got}`))
}

/** JSON -> CEL values: integers of integer (or untyped) fields become ints, as in Kubernetes. */
function toCel(value: unknown, schema: Schema): unknown {
  if (typeof value === 'number') return Number.isInteger(value) && schema.type !== 'number' ? BigInt(value) : value
  if (Array.isArray(value)) {
    const items = isRecord(schema.items) ? schema.items : {}
    return value.map((v) => toCel(v, items))
  }
  if (isRecord(value)) {
    const props = isRecord(schema.properties) ? schema.properties : {}
    const extra = isRecord(schema.additionalProperties) ? schema.additionalProperties : {}
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v, isRecord(props[k]) ? props[k] : extra)]))
  }
  return value
}
