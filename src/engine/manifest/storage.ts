import type {AccessMode, HostPathType, ObjectMeta, PersistentVolumeClaimObject, PersistentVolumeObject, PvSource, StorageClassObject, StorageObject} from '../types.js'
import type {FieldReader} from './field-reader.js'
import {readLabelRequirement, type LabelSelector} from './labels.js'
import {parseQuantity} from './quantity.js'
import {readNodeTerm} from './scheduling.js'
import {volumeSourceKeys} from './volumes.js'
import type {PathPart} from './yaml-docs.js'

export const ACCESS_MODES: readonly AccessMode[] = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']
/** Provisioners kgit runs itself: a directory under the node's dataDir (rancher's local-path-provisioner does the same). */
export const LOCAL_PATH_PROVISIONERS = ['kgit.dev/local-path', 'rancher.io/local-path']
export const DEFAULT_CLASS_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class']
const PV_SOURCES = ['hostPath', 'local', 'nfs']
const HOST_PATH_TYPES: readonly HostPathType[] = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice']

/** A PersistentVolume, PersistentVolumeClaim or StorageClass (PVs and classes are cluster-scoped). */
export function readStorageObject(r: FieldReader, kind: StorageObject['kind'], apiVersion: string, source: StorageObject['source'], metadata: ObjectMeta): StorageObject {
  if (kind === 'PersistentVolume') return readPersistentVolume(r, apiVersion, source, metadata)
  if (kind === 'PersistentVolumeClaim') return readPersistentVolumeClaim(r, apiVersion, source, metadata)
  return readStorageClass(r, 'storage.k8s.io/v1', source, metadata)
}

/** A PersistentVolume: capacity, access modes, reclaim policy, class and one of hostPath, local, nfs. */
export function readPersistentVolume(r: FieldReader, apiVersion: string, source: PersistentVolumeObject['source'], metadata: ObjectMeta): PersistentVolumeObject {
  r.map(['spec'], {required: true})
  const capacity = readStorage(r, ['spec', 'capacity', 'storage']) ?? 0
  const accessModes = readAccessModes(r, ['spec', 'accessModes'])
  const reclaimPolicy = (r.str(['spec', 'persistentVolumeReclaimPolicy'], {oneOf: ['Retain', 'Delete', 'Recycle']}) ?? 'Retain') as PersistentVolumeObject['spec']['reclaimPolicy']
  if (reclaimPolicy === 'Recycle') r.warn(['spec', 'persistentVolumeReclaimPolicy'], 'Recycle is deprecated in Kubernetes and not run by kgit: the volume is kept as with Retain')
  const storageClassName = r.str(['spec', 'storageClassName']) ?? ''
  const spec: PersistentVolumeObject['spec'] = {capacity, accessModes, reclaimPolicy, storageClassName, source: readPvSource(r)}
  const terms = r.list(['spec', 'nodeAffinity', 'required', 'nodeSelectorTerms'])
  if (terms) spec.nodeAffinity = terms.map((_, i) => readNodeTerm(r, ['spec', 'nodeAffinity', 'required', 'nodeSelectorTerms', i]))
  if (terms?.length === 0) r.fail(['spec', 'nodeAffinity', 'required', 'nodeSelectorTerms'], 'Required value: must have at least one node selector term')
  if ('local' in spec.source && !spec.nodeAffinity) r.fail(['spec', 'nodeAffinity'], 'Required value: a local volume needs nodeAffinity.required (the node that holds its disk)')
  const claimName = r.str(['spec', 'claimRef', 'name'])
  if (claimName) spec.claimRef = {namespace: r.str(['spec', 'claimRef', 'namespace']) ?? 'default', name: claimName}
  if (reclaimPolicy === 'Delete') r.warn(['spec', 'persistentVolumeReclaimPolicy'], 'kgit never deletes the data of a PersistentVolume it did not provision: Delete is kept as Retain for this volume')
  return {kind: 'PersistentVolume', apiVersion, source, metadata, spec}
}

function readPvSource(r: FieldReader): PvSource {
  const spec = r.get(['spec'])
  const keys = volumeSourceKeys(spec).filter((k) => !KNOWN_PV_FIELDS.includes(k))
  if (keys.length === 0) r.fail(['spec'], 'must specify a volume type: hostPath, local or nfs')
  else if (keys.length > 1) r.fail(['spec', keys[1]!], `may not specify more than 1 volume type (also ${keys[0]})`)
  const kind = keys[0]
  if (kind && !PV_SOURCES.includes(kind)) r.fail(['spec', kind], `volume type ${kind} is not run by this version of kgit (it runs hostPath, local and nfs)`)
  if (kind === 'local') return {local: {path: readPath(r, ['spec', 'local', 'path'])}}
  if (kind === 'nfs') {
    r.map(['spec', 'nfs'], {required: true})
    const server = r.str(['spec', 'nfs', 'server'], {required: true}) ?? ''
    if (server && !/^[A-Za-z0-9.:[\]-]+$/.test(server)) r.fail(['spec', 'nfs', 'server'], `must be a host name or address, got "${server}"`)
    return {nfs: {server, path: readPath(r, ['spec', 'nfs', 'path']), readOnly: r.bool(['spec', 'nfs', 'readOnly']) ?? false}}
  }
  const type = (r.str(['spec', 'hostPath', 'type'], {oneOf: HOST_PATH_TYPES}) ?? '') as HostPathType
  return {hostPath: {path: kind === 'hostPath' ? readPath(r, ['spec', 'hostPath', 'path']) : '', type}}
}

const KNOWN_PV_FIELDS = ['capacity', 'accessModes', 'persistentVolumeReclaimPolicy', 'storageClassName', 'nodeAffinity', 'claimRef', 'mountOptions', 'volumeMode', 'volumeAttributesClassName']

function readPath(r: FieldReader, p: PathPart[]): string {
  const path = r.str(p, {required: true}) ?? ''
  if (path && !path.startsWith('/')) r.fail(p, `must be an absolute path, got "${path}"`)
  else if (path.split('/').includes('..')) r.fail(p, 'must not contain ".."')
  else if (/[:,\n]/.test(path)) r.fail(p, 'must not contain ":", "," or a newline (podman cannot mount such a path)')
  return path
}

/** A PersistentVolumeClaim: access modes, requested storage, class, a volume name or selector. */
export function readPersistentVolumeClaim(r: FieldReader, apiVersion: string, source: PersistentVolumeClaimObject['source'], metadata: ObjectMeta): PersistentVolumeClaimObject {
  r.map(['spec'], {required: true})
  const accessModes = readAccessModes(r, ['spec', 'accessModes'])
  const request = readStorage(r, ['spec', 'resources', 'requests', 'storage']) ?? 0
  const spec: PersistentVolumeClaimObject['spec'] = {accessModes, request}
  const cls = r.str(['spec', 'storageClassName'])
  if (cls !== undefined) spec.storageClassName = cls
  const volumeName = r.str(['spec', 'volumeName'])
  if (volumeName) spec.volumeName = volumeName
  const selector = readSelector(r, ['spec', 'selector'])
  if (selector) spec.selector = selector
  if (r.get(['spec', 'dataSource']) !== undefined || r.get(['spec', 'dataSourceRef']) !== undefined) r.warn(['spec', 'dataSource'], 'dataSource is not run by this version of kgit: the volume starts empty')
  return {kind: 'PersistentVolumeClaim', apiVersion, source, metadata, spec}
}

function readSelector(r: FieldReader, p: PathPart[]): LabelSelector | undefined {
  if (r.map(p) === undefined) return undefined
  const sel: LabelSelector = {}
  const labels = r.strMap([...p, 'matchLabels'])
  if (Object.keys(labels).length > 0) sel.matchLabels = labels
  const exprs = r.list([...p, 'matchExpressions'])
  if (exprs?.length) sel.matchExpressions = exprs.map((_, i) => readLabelRequirement(r, [...p, 'matchExpressions', i]))
  return sel
}

/** A StorageClass: its provisioner, reclaim policy, binding mode, and whether it is the default. */
export function readStorageClass(r: FieldReader, apiVersion: string, source: StorageClassObject['source'], metadata: ObjectMeta): StorageClassObject {
  const provisioner = r.str(['provisioner'], {required: true}) ?? ''
  const reclaimPolicy = (r.str(['reclaimPolicy'], {oneOf: ['Retain', 'Delete']}) ?? 'Delete') as StorageClassObject['reclaimPolicy']
  const volumeBindingMode = (r.str(['volumeBindingMode'], {oneOf: ['Immediate', 'WaitForFirstConsumer']}) ?? 'Immediate') as StorageClassObject['volumeBindingMode']
  const isDefault = DEFAULT_CLASS_ANNOTATIONS.some((a) => metadata.annotations[a] === 'true')
  if (provisioner && !LOCAL_PATH_PROVISIONERS.includes(provisioner) && provisioner !== 'kubernetes.io/no-provisioner') {
    r.warn(['provisioner'], `kgit provisions volumes with ${LOCAL_PATH_PROVISIONERS[0]} only: claims of class ${metadata.name} bind to existing PersistentVolumes`)
  }
  return {kind: 'StorageClass', apiVersion, source, metadata, provisioner, reclaimPolicy, volumeBindingMode, isDefault, parameters: r.strMap(['parameters'])}
}

function readAccessModes(r: FieldReader, p: PathPart[]): AccessMode[] {
  const modes = r.strList(p) ?? []
  if (modes.length === 0) r.fail(p, 'Required value: at least 1 access mode is required')
  modes.forEach((m, i) => {
    if (!ACCESS_MODES.includes(m as AccessMode)) r.fail([...p, i], `Unsupported value: "${m}": supported values: ${ACCESS_MODES.join(', ')}`)
  })
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) r.fail(p, 'may not use ReadWriteOncePod with other access modes')
  return modes as AccessMode[]
}

function readStorage(r: FieldReader, p: PathPart[]): number | undefined {
  const raw = r.get(p)
  if (raw === undefined || raw === null) {
    r.fail(p, 'Required value: a storage size such as 1Gi')
    return undefined
  }
  const q = typeof raw === 'string' || typeof raw === 'number' ? parseQuantity(raw) : undefined
  if (q === undefined || q <= 0) {
    r.fail(p, `must be a positive quantity such as 1Gi or 500M, got ${JSON.stringify(raw)}`)
    return undefined
  }
  return Math.ceil(q)
}

