import {createRequire} from 'node:module'
import {SCHEMA_ALIASES} from './kinds.js'

/** One error of an ajv validator, as kubernetes-models' precompiled validators report it. */
export interface AjvError {
  instancePath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
}

/** Validates plain data; returns its errors (empty when valid). */
export type Validator = (data: unknown) => AjvError[]

interface ModelClass {
  apiVersion?: string
  kind?: string
  prototype: {validate(this: unknown): void}
}

// kubernetes-models ships one CommonJS module per apiVersion and kind. Loading them on
// demand keeps kgit's start fast: all of them together take about half a second.
const requireModel = createRequire(import.meta.url)
const cache = new Map<string, Validator | null>()

const GROUP_VERSION = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?v[0-9]+((alpha|beta)[0-9]+)?$/
const KIND = /^[A-Z][A-Za-z0-9]{0,62}$/

/**
 * The validator of a built-in Kubernetes kind at one apiVersion, or undefined when no
 * Kubernetes release served that kind at that version.
 */
export function builtinValidator(apiVersion: string, kind: string): Validator | undefined {
  const key = `${apiVersion}/${kind}`
  let v = cache.get(key)
  if (v === undefined) {
    v = load(SCHEMA_ALIASES[key] ?? apiVersion, kind)
    cache.set(key, v)
  }
  return v ?? undefined
}

function load(apiVersion: string, kind: string): Validator | null {
  // Both are checked before they become part of a module path.
  if (!GROUP_VERSION.test(apiVersion) || !KIND.test(kind)) return null
  let model: ModelClass | undefined
  try {
    const mod = requireModel(`kubernetes-models/${apiVersion}/${kind}`) as Record<string, ModelClass | undefined>
    model = mod[kind]
  } catch (err) {
    if (isNotFound(err)) return null
    throw err
  }
  // Nested types (PodSpec...) have modules too, but no kind of their own.
  if (!model || model.kind !== kind || model.apiVersion !== apiVersion) return null
  const validate = model.prototype.validate
  return (data) => {
    try {
      validate.call(data)
      return []
    } catch (err) {
      const errors = (err as {errors?: AjvError[]}).errors
      if (!Array.isArray(errors)) throw err
      return errors
    }
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as {code?: string}).code
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED'
}
