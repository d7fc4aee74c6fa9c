import {BugError, ManifestError, formatPos} from '../errors.js'
import type {ClusterSpec, Desired, KObject} from '../types.js'
import {parseCluster} from './cluster.js'
import {resolveEnv} from './env.js'
import {checkFileVolumes} from './file-volumes.js'
import {parseObject} from './objects.js'
import type {CrdIndex, SchemaResult} from './schema.js'
import {parseYamlFile, type ParsedDoc} from './yaml-docs.js'
import {byText} from '../order.js'
import {applyLimitRanges} from '../admission/limit-ranger.js'
import {enabled} from '../admission/chain.js'
import {checkStorage} from './storage-checks.js'
import {checkServices} from './service-checks.js'

export interface SourceFile {
  path: string
  content: Uint8Array
  /** Already known to pass schema validation (same bytes, same CRDs, same kgit): not checked again. */
  schemaChecked?: boolean
}

/** Validation against the Kubernetes schemas (./schema.js), passed in so that it is loaded only when needed. */
export interface SchemaChecker {
  indexCrds(docs: ParsedDoc[]): CrdIndex
  validateDocument(doc: ParsedDoc, crds: CrdIndex): SchemaResult
}

export interface LoadInput {
  revision: string
  clusterFile: SourceFile
  files: SourceFile[]
  /** Required unless every file is `schemaChecked`. */
  schema?: SchemaChecker
}

export interface LoadResult {
  desired?: Desired
  errors: ManifestError[]
  warnings: string[]
  /** Files that passed schema validation in this load with no error or warning: worth remembering. */
  schemaClean: string[]
}

/** Why a Secret with a value that is not encrypted is refused (the value itself is never shown). */
export const PLAINTEXT_SECRET = 'Secret value is not encrypted (encrypt it with: kgit secret encrypt FILE; or allow plaintext Secrets with spec.secrets.allowPlaintext: true in kgit.yaml)'

/** Largest manifest file kgit reads; larger ones are refused rather than parsed. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024
const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public']

/** Reads a whole revision: the cluster file and every manifest, all errors collected. */
export function loadDesired(input: LoadInput): LoadResult {
  const errors: ManifestError[] = []
  const warnings: string[] = []
  const clusterText = decodeText(input.clusterFile, errors)
  const {cluster, errors: clusterErrors} = clusterText === undefined ? {cluster: undefined, errors: []} : parseCluster(input.clusterFile.path, clusterText)
  errors.push(...clusterErrors)
  const objects: KObject[] = []
  const docOf = new Map<KObject, ParsedDoc>()
  const parsed: ParsedDoc[] = []
  const trusted = new Set(input.files.filter((f) => f.schemaChecked).map((f) => f.path))
  for (const f of [...input.files].sort((a, b) => byText(a.path, b.path))) {
    const text = decodeText(f, errors)
    if (text === undefined) continue
    const {docs, errors: yamlErrors} = parseYamlFile(f.path, text)
    errors.push(...yamlErrors)
    parsed.push(...docs)
  }
  const schema = input.schema
  if (!schema && parsed.some((d) => !trusted.has(d.file))) throw new BugError('loadDesired: a file needs schema validation but no schema checker was given')
  // Custom resources are checked against the CRDs found anywhere in the revision.
  const crds = schema?.indexCrds(parsed)
  const unclean = new Set<string>()
  for (const doc of parsed) {
    const checked: SchemaResult = trusted.has(doc.file) || !schema ? {errors: []} : schema.validateDocument(doc, crds!)
    if (checked.errors.length > 0 || (checked.warnings ?? []).length > 0) unclean.add(doc.file)
    errors.push(...checked.errors)
    warnings.push(...(checked.warnings ?? []))
    // kgit's own reading adds the checks the schema cannot express (names, selectors...);
    // a field the schema already refused is reported once.
    const seen = new Set(checked.errors.map((e) => formatPos(e.pos)))
    const res = parseObject(doc)
    errors.push(...res.errors.filter((e) => !seen.has(formatPos(e.pos))))
    warnings.push(...res.warnings)
    if (checked.errors.length > 0) continue
    if (res.skipped) warnings.push(`${formatPos(doc.posOf([]))}: skipped: ${res.skipped}`)
    if (res.plaintext && !cluster?.secrets?.allowPlaintext) errors.push(...res.plaintext.map((pos) => new ManifestError(pos, PLAINTEXT_SECRET)))
    if (res.object) objects.push(res.object)
    if (res.object) docOf.set(res.object, doc)
  }
  // Namespaces must exist while NamespaceLifecycle or NamespaceExists is on, unless NamespaceAutoProvision adds them.
  const on = (name: string): boolean => enabled(cluster?.admission, name)
  errors.push(...crossChecks(objects, (on('NamespaceLifecycle') || on('NamespaceExists')) && !on('NamespaceAutoProvision')))
  const storage = checkStorage(objects)
  errors.push(...storage.errors)
  warnings.push(...storage.warnings)
  errors.push(...checkServices(objects, cluster?.network?.serviceCIDR, (o, path) => docOf.get(o)?.posOf(path) ?? o.source))
  // LimitRange defaults are part of the pods' specs: filled in before anything hashes them.
  if (on('LimitRanger')) errors.push(...applyLimitRanges(objects, (o, path) => docOf.get(o)?.posOf(path) ?? o.source))
  const env = resolveEnv(objects)
  errors.push(...checkFileVolumes(objects))
  errors.push(...env.errors)
  warnings.push(...env.warnings)
  const refs = checkRefs(objects, identities(parsed), on('ServiceAccount'))
  errors.push(...refs.errors)
  warnings.push(...refs.warnings)
  // Shown in the order of the files and lines they point at.
  errors.sort((a, b) => (a.pos.file === b.pos.file ? (a.pos.line ?? 0) - (b.pos.line ?? 0) : a.pos.file < b.pos.file ? -1 : 1))
  for (const e of errors) unclean.add(e.pos.file)
  const schemaClean = input.files.filter((f) => !trusted.has(f.path) && !unclean.has(f.path)).map((f) => f.path)
  if (errors.length > 0 || !cluster) return {errors, warnings, schemaClean}
  return {desired: {revision: input.revision, cluster: cluster as ClusterSpec, objects}, errors, warnings, schemaClean}
}

function decodeText(f: SourceFile, errors: ManifestError[]): string | undefined {
  if (f.content.byteLength > MAX_FILE_BYTES) {
    errors.push(new ManifestError({file: f.path}, `file is ${(f.content.byteLength / 1048576).toFixed(1)} MiB; kgit reads manifest files of at most ${MAX_FILE_BYTES / 1048576} MiB`))
    return undefined
  }
  if (f.content.includes(0)) {
    errors.push(new ManifestError({file: f.path}, 'is not a text file (contains NUL bytes)'))
    return undefined
  }
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(f.content)
  } catch {
    errors.push(new ManifestError({file: f.path}, 'is not valid UTF-8'))
    return undefined
  }
}

/** Checks that need all objects: duplicates and namespaces that must exist. */
function crossChecks(objects: KObject[], namespacesMustExist: boolean): ManifestError[] {
  const errors: ManifestError[] = []
  const seen = new Map<string, KObject>()
  for (const o of objects) {
    const key = `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`
    const prev = seen.get(key)
    if (prev) errors.push(new ManifestError(o.source, `duplicate ${o.kind} "${o.metadata.namespace ? o.metadata.namespace + '/' : ''}${o.metadata.name}": also defined at ${formatPos(prev.source)}`))
    else seen.set(key, o)
  }
  const namespaces = new Set([...BUILTIN_NAMESPACES, ...objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)])
  if (namespacesMustExist) for (const o of objects) {
    if (o.kind !== 'Namespace' && o.metadata.namespace !== '' && !namespaces.has(o.metadata.namespace)) {
      errors.push(new ManifestError({...o.source, path: 'metadata.namespace'}, `namespace "${o.metadata.namespace}" does not exist: add a Namespace manifest for it`))
    }
  }
  return errors
}

/** kind/namespace/name of every document in the revision, whatever its kind. */
function identities(docs: ParsedDoc[]): Set<string> {
  const out = new Set<string>()
  for (const d of docs) {
    const v = d.value as {kind?: unknown; metadata?: {name?: unknown; namespace?: unknown}}
    if (typeof v?.kind === 'string' && typeof v.metadata?.name === 'string') out.add(`${v.kind}/${typeof v.metadata.namespace === 'string' ? v.metadata.namespace : 'default'}/${v.metadata.name}`)
  }
  return out
}

/**
 * Objects a pod names must exist, as Kubernetes checks them: a missing ServiceAccount
 * makes the API server refuse a Pod (error) and its controller fail to make pods
 * (warning on a Deployment); a missing Secret key source lets the pod be created but
 * keeps its container from starting (warning), unless it is optional. ConfigMaps are
 * checked as env is resolved (env.ts).
 */
function checkRefs(objects: KObject[], ids: Set<string>, serviceAccountPlugin: boolean): {errors: ManifestError[]; warnings: string[]} {
  const errors: ManifestError[] = []
  const warnings: string[] = []
  for (const o of objects) {
    if (!('notes' in o)) continue
    for (const ref of o.notes.refs) {
      if (ref.optional || ids.has(`${ref.kind}/${o.metadata.namespace}/${ref.name}`)) continue
      const what = `${ref.kind} "${ref.name}" is not in namespace ${o.metadata.namespace} of this revision`
      if (ref.kind === 'PersistentVolumeClaim') errors.push(new ManifestError(ref.pos, `persistentvolumeclaim "${ref.name}" is not in namespace ${o.metadata.namespace} of this revision: add a PersistentVolumeClaim manifest for it`))
      else if (ref.kind === 'ServiceAccount' && o.kind === 'Pod' && serviceAccountPlugin) errors.push(new ManifestError(ref.pos, `${what}: the API server refuses the pod (error looking up service account ${o.metadata.namespace}/${ref.name})`))
      else warnings.push(`${formatPos(ref.pos)}: ${what}: ${ref.kind === 'ServiceAccount' ? (o.kind === 'Pod' ? 'the pod runs without it (the ServiceAccount admission plugin is off)' : 'no pods can be created for this ' + o.kind) : 'the container will not start until it exists'}`)
    }
  }
  return {errors, warnings}
}
