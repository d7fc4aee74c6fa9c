import {ManifestError, type SourcePos} from '../../errors.js'
import {isRecord, type ParsedDoc, type PathPart} from '../yaml-docs.js'

export interface CrdVersion {
  name: string
  served: boolean
  /** The version's openAPIV3Schema, and where it sits in the CRD (for error messages). */
  schema?: Record<string, unknown>
  schemaPath?: PathPart[]
}

/** A custom resource kind declared by a CustomResourceDefinition in the repository. */
export interface CrdEntry {
  name: string
  group: string
  kind: string
  namespaced: boolean
  versions: CrdVersion[]
  source: SourcePos
}

/** CRDs of a revision by `group/kind`. */
export type CrdIndex = ReadonlyMap<string, CrdEntry>

export const CRD_API_VERSIONS = ['apiextensions.k8s.io/v1', 'apiextensions.k8s.io/v1beta1']

/**
 * Collects the CustomResourceDefinitions among a revision's documents, so that custom
 * resources can be validated against them whatever file order they come in. Malformed
 * CRDs are skipped here: validating the CRD document itself reports what is wrong.
 */
export function indexCrds(docs: readonly ParsedDoc[]): CrdIndex {
  const index = new Map<string, CrdEntry>()
  for (const doc of docs) {
    const v = doc.value
    if (!isRecord(v) || v.kind !== 'CustomResourceDefinition' || !CRD_API_VERSIONS.includes(v.apiVersion as string)) continue
    const entry = crdEntry(doc, v)
    if (entry) index.set(`${entry.group}/${entry.kind}`, entry)
  }
  return index
}

function crdEntry(doc: ParsedDoc, v: Record<string, unknown>): CrdEntry | undefined {
  const spec = v.spec
  if (!isRecord(spec) || typeof spec.group !== 'string' || !isRecord(spec.names) || typeof spec.names.kind !== 'string') return undefined
  const shared = isRecord(spec.validation) && isRecord(spec.validation.openAPIV3Schema) ? spec.validation.openAPIV3Schema : undefined
  const versions: CrdVersion[] = []
  if (Array.isArray(spec.versions)) {
    spec.versions.forEach((ver, i) => {
      if (!isRecord(ver) || typeof ver.name !== 'string') return
      const own = isRecord(ver.schema) && isRecord(ver.schema.openAPIV3Schema) ? ver.schema.openAPIV3Schema : undefined
      const schemaPath: PathPart[] = own ? ['spec', 'versions', i, 'schema', 'openAPIV3Schema'] : ['spec', 'validation', 'openAPIV3Schema']
      versions.push({name: ver.name, served: ver.served !== false, schema: own ?? shared, schemaPath})
    })
  } else if (typeof spec.version === 'string') {
    versions.push({name: spec.version, served: true, schema: shared, schemaPath: ['spec', 'validation', 'openAPIV3Schema']})
  }
  const name = isRecord(v.metadata) && typeof v.metadata.name === 'string' ? v.metadata.name : ''
  return {name, group: spec.group, kind: spec.names.kind, namespaced: spec.scope !== 'Cluster', versions, source: doc.posOf([])}
}

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string']
const MAX_SCHEMA_DEPTH = 64

/**
 * The CRD checks the API server makes in code: the name is `<plural>.<group>`, and every
 * schema node has a known type.
 */
export function crdErrors(doc: ParsedDoc): ManifestError[] {
  const v = doc.value
  if (!isRecord(v) || !isRecord(v.spec)) return []
  const errors: ManifestError[] = []
  const spec = v.spec
  const plural = isRecord(spec.names) ? spec.names.plural : undefined
  const name = isRecord(v.metadata) ? v.metadata.name : undefined
  if (typeof plural === 'string' && typeof spec.group === 'string' && typeof name === 'string' && name !== `${plural}.${spec.group}`) {
    errors.push(new ManifestError(doc.posOf(['metadata', 'name']), `must be spec.names.plural + "." + spec.group ("${plural}.${spec.group}"), got "${name}"`))
  }
  const entry = crdEntry(doc, v)
  const walked = new Set<unknown>()
  for (const ver of entry?.versions ?? []) {
    if (!ver.schema || walked.has(ver.schema)) continue
    walked.add(ver.schema)
    checkSchemaNode(doc, ver.schema, ver.schemaPath ?? [], 0, errors)
  }
  return errors
}

function checkSchemaNode(doc: ParsedDoc, node: unknown, path: PathPart[], depth: number, errors: ManifestError[]): void {
  if (!isRecord(node)) return
  if (depth > MAX_SCHEMA_DEPTH) {
    errors.push(new ManifestError(doc.posOf(path), `schema is nested more than ${MAX_SCHEMA_DEPTH} levels deep`))
    return
  }
  if (node.type !== undefined && !TYPES.includes(node.type as string)) {
    errors.push(new ManifestError(doc.posOf([...path, 'type']), `must be one of ${TYPES.join(', ')}, got ${JSON.stringify(node.type)}`))
  }
  const next = (child: unknown, p: PathPart[]) => checkSchemaNode(doc, child, [...path, ...p], depth + 1, errors)
  if (isRecord(node.properties)) for (const [k, child] of Object.entries(node.properties)) next(child, ['properties', k])
  if (isRecord(node.items)) next(node.items, ['items'])
  if (isRecord(node.additionalProperties)) next(node.additionalProperties, ['additionalProperties'])
  if (isRecord(node.not)) next(node.not, ['not'])
  for (const j of ['allOf', 'anyOf', 'oneOf']) {
    const list = node[j]
    if (Array.isArray(list)) list.forEach((child, i) => next(child, [j, i]))
  }
}
