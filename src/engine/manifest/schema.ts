import {ManifestError} from '../errors.js'
import {describe} from './field-reader.js'
import {builtinValidator} from './schema/builtin.js'
import {customResourceErrors} from './schema/crd-schema.js'
import {crdErrors, type CrdEntry, type CrdIndex} from './schema/crds.js'
import {KGIT_KINDS, groupOf, type KindInfo} from './schema/kinds.js'
import {apiServerWouldAccept, droppedByGenerator} from './schema/library-gaps.js'
import {ajvToManifestErrors, pointerToPath, unknownFieldErrors} from './schema/messages.js'
import {metadataErrors, type MetaRules} from './schema/metadata.js'
import {podSpecErrors} from './schema/pod-rules.js'
import {validateStrict} from './schema/strict.js'
import {isRecord, type ParsedDoc} from './yaml-docs.js'

export {indexCrds, type CrdIndex} from './schema/crds.js'
export {KGIT_KINDS} from './schema/kinds.js'

/**
 * What a document is: a kind kgit runs, a Kubernetes kind kgit does not run (yet), or a
 * custom resource declared by a CRD in the repository.
 */
export type DocClass = 'kgit' | 'kubernetes' | 'custom'

export interface SchemaResult {
  errors: ManifestError[]
  /** Checks that could not be made (CEL rules using Kubernetes-only functions). */
  warnings?: string[]
  /** Set when apiVersion and kind name something known, even if the document has errors. */
  class?: DocClass
  kind?: string
  /** The apiVersion kgit uses internally for this kind (apps/v1 for an extensions/v1beta1 Deployment). */
  apiVersion?: string
  /** Whether the object lives in a namespace (Namespace, PersistentVolume, ClusterRole... do not). */
  namespaced?: boolean
}

/**
 * Validates one document against the Kubernetes API schema of its apiVersion and kind (or
 * its CRD's schema), with strict field validation, plus the metadata and pod checks the
 * API server makes in code. Every error names file, line and field path.
 */
export function validateDocument(doc: ParsedDoc, crds: CrdIndex): SchemaResult {
  try {
    return validate(doc, crds)
  } catch (err) {
    // Deep nesting can exhaust the stack; that is the document's problem, not a crash.
    if (err instanceof RangeError) return {errors: [new ManifestError(doc.posOf([]), 'document is nested too deeply to validate', {cause: err})]}
    throw err
  }
}

/** validateDocument's errors only. */
export function schemaErrors(doc: ParsedDoc, crds: CrdIndex): ManifestError[] {
  return validateDocument(doc, crds).errors
}

function validate(doc: ParsedDoc, crds: CrdIndex): SchemaResult {
  const v = doc.value
  if (!isRecord(v)) return {errors: [new ManifestError(doc.posOf([]), `a manifest must be a mapping with apiVersion and kind, got ${describe(v)}`)]}
  const errors: ManifestError[] = []
  for (const field of ['apiVersion', 'kind']) {
    const x = v[field]
    if (x === undefined || x === null || x === '') errors.push(new ManifestError(doc.posOf([field]), 'required field is missing'))
    else if (typeof x !== 'string') errors.push(new ManifestError(doc.posOf([field]), `must be a string, got ${describe(x)}`))
  }
  if (errors.length > 0) return {errors}
  const apiVersion = v.apiVersion as string
  const kind = v.kind as string
  const info = KGIT_KINDS[kind]
  if (info) return builtin(doc, apiVersion, kind, info)
  if (builtinValidator(apiVersion, kind)) return builtin(doc, apiVersion, kind, undefined)
  const crd = crds.get(`${groupOf(apiVersion)}/${kind}`)
  if (crd) return custom(doc, apiVersion, crd)
  return {errors: [unknownKind(doc, apiVersion, kind, crds)]}
}

function builtin(doc: ParsedDoc, apiVersion: string, kind: string, info: KindInfo | undefined): SchemaResult {
  if (info && !info.served.includes(apiVersion)) {
    const detail = `${kind} is not served as "${apiVersion}" (use one of: ${info.served.join(', ')})`
    return {errors: [new ManifestError(doc.posOf(['apiVersion']), detail)], class: 'kgit', kind}
  }
  const validator = builtinValidator(apiVersion, kind)
  if (!validator) throw new Error(`kubernetes-models has no schema for ${apiVersion} ${kind}`)
  const {result, unknown} = validateStrict(doc.value, validator)
  // apiVersion and kind chose the validator; an aliased schema would name another version.
  const toPath = (pointer: string) => pointerToPath(doc.value, [], pointer)
  const typed = result.filter((e) => !((e.instancePath === '/apiVersion' || e.instancePath === '/kind') && e.keyword === 'enum') && !apiServerWouldAccept(e, doc.value, toPath))
  const strict = unknown.filter((u) => !droppedByGenerator(kind, u.path))
  const namespaced = info?.namespaced ?? true
  const rules: MetaRules = {name: info?.name ?? 'dns-subdomain', maxName: info?.maxName, namespaced}
  const errors = [...ajvToManifestErrors(doc, typed), ...unknownFieldErrors(doc, strict), ...metadataErrors(doc, rules), ...podSpecErrors(doc, kind)]
  if (kind === 'CustomResourceDefinition') errors.push(...crdErrors(doc))
  return {errors: dedupe(errors), class: info ? 'kgit' : 'kubernetes', kind, apiVersion: info?.preferred ?? apiVersion, namespaced}
}

function custom(doc: ParsedDoc, apiVersion: string, crd: CrdEntry): SchemaResult {
  const version = crd.versions.find((ver) => `${crd.group}/${ver.name}` === apiVersion && ver.served)
  const base = {class: 'custom' as const, kind: crd.kind, apiVersion, namespaced: crd.namespaced}
  if (!version) {
    const served = crd.versions.filter((ver) => ver.served).map((ver) => `${crd.group}/${ver.name}`)
    return {...base, errors: [new ManifestError(doc.posOf(['apiVersion']), `CustomResourceDefinition "${crd.name}" does not serve "${apiVersion}" (served: ${served.join(', ') || 'none'})`)]}
  }
  const meta = isRecord(doc.value) ? doc.value.metadata : undefined
  const errors: ManifestError[] = []
  const objectMeta = builtinValidator('v1', 'ConfigMap')
  if (isRecord(meta) && objectMeta) {
    // ObjectMeta is the same in every kind; ConfigMap's schema checks just it here.
    const {result, unknown} = validateStrict({metadata: meta}, objectMeta)
    errors.push(...ajvToManifestErrors(doc, result.filter((e) => e.instancePath.startsWith('/metadata'))), ...unknownFieldErrors(doc, unknown))
  } else if (meta !== undefined && meta !== null) {
    errors.push(new ManifestError(doc.posOf(['metadata']), `must be a mapping, got ${describe(meta)}`))
  }
  const cr = customResourceErrors(doc, version, crd.name)
  errors.push(...metadataErrors(doc, {name: 'dns-subdomain', namespaced: crd.namespaced}), ...cr.errors)
  return {...base, errors: dedupe(errors), warnings: cr.warnings}
}

function unknownKind(doc: ParsedDoc, apiVersion: string, kind: string, crds: CrdIndex): ManifestError {
  const lower = kind.toLowerCase()
  const near = [...Object.keys(KGIT_KINDS), ...[...crds.values()].map((c) => c.kind)].find((k) => k.toLowerCase() === lower && k !== kind)
  const hint = near ? ` (did you mean "${near}"?)` : ''
  return new ManifestError(doc.posOf(['kind']), `unknown kind "${kind}" in ${apiVersion}: not a Kubernetes kind (kgit knows the API of Kubernetes 1.5 to 1.33), and no CustomResourceDefinition in the repository declares it${hint}`)
}

function dedupe(errors: ManifestError[]): ManifestError[] {
  const seen = new Set<string>()
  return errors.filter((e) => !seen.has(e.message) && seen.add(e.message) !== undefined)
}
