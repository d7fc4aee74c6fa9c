import {createRequire} from 'node:module'
import type {Ajv, ErrorObject, ValidateFunction} from 'ajv'
import type {RE2JS} from '@bufbuild/re2'
import {ManifestError} from '../../errors.js'
import {isRecord, type ParsedDoc, type PathPart} from '../yaml-docs.js'
import {celRuleErrors} from './cel.js'
import type {CrdVersion} from './crds.js'
import {ajvToManifestErrors} from './messages.js'

type Schema = Record<string, unknown>

// Loaded on first use: most repositories have no custom resources, and kgit starts faster.
const requireLib = createRequire(import.meta.url)
let ajv: Ajv | undefined

function makeAjv(): Ajv {
  const {Ajv: AjvClass} = requireLib('ajv') as {Ajv: new (opts: object) => Ajv}
  const {RE2JS: Re2} = requireLib('@bufbuild/re2') as {RE2JS: typeof RE2JS}
  // Kubernetes evaluates `pattern` with Go's RE2, which runs in linear time; so does this,
  // so that a hostile pattern in a CRD cannot hang kgit.
  const re2 = Object.assign((pattern: string) => new Re2(pattern), {code: 're2'})
  return new AjvClass({allErrors: true, strict: false, validateFormats: false, verbose: true, code: {regExp: re2}})
}
const compiled = new WeakMap<object, ValidateFunction | Error>()

/** The validator of a CRD version's schema, compiled once. An Error when the schema cannot be used. */
function validatorFor(schema: Schema): ValidateFunction | Error {
  let v = compiled.get(schema)
  if (!v) {
    ajv ??= makeAjv()
    try {
      v = ajv.compile(toJsonSchema(schema, true, false))
    } catch (err) {
      v = err instanceof Error ? err : new Error(String(err))
    }
    compiled.set(schema, v)
  }
  return v
}

/**
 * Validates a custom resource (all but metadata, which is ObjectMeta) against its CRD
 * version's structural schema, as the API server does with strict field validation.
 */
export function customResourceErrors(doc: ParsedDoc, version: CrdVersion, crdName: string): {errors: ManifestError[]; warnings: string[]} {
  if (!version.schema) return {errors: [], warnings: []}
  const validate = validatorFor(version.schema)
  if (validate instanceof Error) {
    const detail = `cannot validate against CustomResourceDefinition "${crdName}" version ${version.name}: its schema is invalid (${validate.message})`
    return {errors: [new ManifestError(doc.posOf([]), detail)], warnings: []}
  }
  const errors: ManifestError[] = []
  if (!validate(doc.value)) errors.push(...ajvToManifestErrors(doc, (validate.errors ?? []) as ErrorObject[]))
  listErrors(doc, version.schema, doc.value, [], errors)
  const cel = celRuleErrors(doc, version.schema)
  return {errors: [...errors, ...cel.errors], warnings: cel.skipped}
}

/** OpenAPI v3 structural schema -> JSON Schema that rejects unknown fields like the API server. */
function toJsonSchema(s: Schema, root: boolean, inJunctor: boolean): Schema {
  const out: Schema = {}
  for (const k of ['type', 'enum', 'required', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'multipleOf', 'format']) {
    if (s[k] !== undefined) out[k] = s[k]
  }
  if (s.nullable === true && out.type !== undefined) out.nullable = true
  // OpenAPI 3.0 writes exclusive bounds as booleans beside minimum/maximum.
  if (s.exclusiveMinimum === true && typeof s.minimum === 'number') out.exclusiveMinimum = s.minimum
  if (s.exclusiveMaximum === true && typeof s.maximum === 'number') out.exclusiveMaximum = s.maximum
  if (s.exclusiveMinimum === true) delete out.minimum
  if (s.exclusiveMaximum === true) delete out.maximum
  if (s['x-kubernetes-int-or-string'] === true && out.type === undefined) out.type = ['integer', 'string']
  if (isRecord(s.items)) out.items = toJsonSchema(s.items, false, inJunctor)
  const props: Record<string, Schema> = {}
  if (isRecord(s.properties)) for (const [k, v] of Object.entries(s.properties)) if (isRecord(v)) props[k] = toJsonSchema(v, false, inJunctor)
  if (root || s['x-kubernetes-embedded-resource'] === true) {
    props.apiVersion = {type: 'string'}
    props.kind = {type: 'string'}
    props.metadata = {}
  }
  if (Object.keys(props).length > 0) out.properties = props
  if (isRecord(s.additionalProperties)) out.additionalProperties = toJsonSchema(s.additionalProperties, false, inJunctor)
  else if (typeof s.additionalProperties === 'boolean') out.additionalProperties = s.additionalProperties
  else if (!inJunctor && out.properties && s['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false
  for (const j of ['allOf', 'anyOf', 'oneOf']) {
    const list = s[j]
    if (Array.isArray(list)) out[j] = list.filter(isRecord).map((x) => toJsonSchema(x, false, true))
  }
  if (isRecord(s.not)) out.not = toJsonSchema(s.not, false, true)
  // A structural schema may leave `type` out only where unknown content is preserved.
  if (out.type === 'object' && out.properties === undefined && out.additionalProperties === undefined && s['x-kubernetes-preserve-unknown-fields'] !== true && !inJunctor && !root) {
    out.additionalProperties = false
  }
  return out
}

/** x-kubernetes-list-type map and set: no two items with the same keys (defaults applied). */
function listErrors(doc: ParsedDoc, schema: Schema, value: unknown, path: PathPart[], errors: ManifestError[]): void {
  if (Array.isArray(value)) {
    const type = schema['x-kubernetes-list-type']
    const items = isRecord(schema.items) ? schema.items : {}
    if (type === 'map' || type === 'set') {
      const keys = Array.isArray(schema['x-kubernetes-list-map-keys']) ? (schema['x-kubernetes-list-map-keys'] as unknown[]).map(String) : []
      const seen = new Map<string, number>()
      value.forEach((item, i) => {
        const id = type === 'map' ? JSON.stringify(Object.fromEntries(keys.map((k) => [k, keyValue(item, items, k)]))) : JSON.stringify(item)
        const prev = seen.get(id)
        if (prev !== undefined) errors.push(new ManifestError(doc.posOf([...path, i]), `duplicate value ${id} (also [${prev}])`))
        else seen.set(id, i)
      })
    }
    value.forEach((item, i) => listErrors(doc, items, item, [...path, i], errors))
    return
  }
  if (!isRecord(value)) return
  const props = isRecord(schema.properties) ? schema.properties : {}
  for (const [k, v] of Object.entries(value)) {
    const child = isRecord(props[k]) ? props[k] : isRecord(schema.additionalProperties) ? schema.additionalProperties : undefined
    if (child && !(path.length === 0 && k === 'metadata')) listErrors(doc, child, v, [...path, k], errors)
  }
}

function keyValue(item: unknown, items: Schema, key: string): unknown {
  if (isRecord(item) && item[key] !== undefined) return item[key]
  const props = isRecord(items.properties) ? items.properties : {}
  return isRecord(props[key]) ? props[key].default : undefined
}
