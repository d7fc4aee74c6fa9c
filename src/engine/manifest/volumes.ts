import {parseQuantity, resourceAmount} from './quantity.js'
import type {HostPathType, Volume, VolumeMount} from '../types.js'
import {DNS1123_LABEL, type FieldReader} from './field-reader.js'
import {isRecord, type PathPart} from './yaml-docs.js'
import {readFilesSource} from './file-volumes.js'

/** The volume types kgit runs; any other (nfs, configMap, ...) keeps the pod from starting. */
export const SUPPORTED_VOLUME_TYPES = ['emptyDir', 'hostPath', 'persistentVolumeClaim', 'configMap', 'secret'] as const
const HOST_PATH_TYPES: readonly HostPathType[] = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice']
/** Kubernetes' resource.Quantity syntax (a number with an optional binary, decimal or exponent suffix). */

/** The source fields a volume entry sets (all but `name`). */
export function volumeSourceKeys(v: unknown): string[] {
  return isRecord(v) ? Object.keys(v).filter((k) => k !== 'name' && v[k] !== undefined && v[k] !== null) : []
}

/** The pod's volumes of the types kgit runs, and the names of all of them. */
export function readVolumes(r: FieldReader, base: PathPart[]): {volumes: Volume[]; names: Set<string>} {
  const p = [...base, 'volumes']
  const items = r.list(p) ?? []
  const volumes: Volume[] = []
  const names = new Map<string, number>()
  items.forEach((item, i) => {
    const name = r.str([...p, i, 'name'], {required: true, pattern: DNS1123_LABEL, patternMsg: 'must be a DNS-1123 label'}) ?? ''
    const prev = names.get(name)
    if (name && prev !== undefined) r.fail([...p, i, 'name'], `duplicate volume name "${name}" (also volumes[${prev}])`)
    else names.set(name, i)
    const keys = volumeSourceKeys(item)
    if (keys.length === 0) r.fail([...p, i], 'must specify a volume type')
    else if (keys.length > 1) r.fail([...p, i, keys[1]!], `may not specify more than 1 volume type (also ${keys[0]})`)
    else if (keys[0] === 'emptyDir') volumes.push({name, emptyDir: readEmptyDir(r, [...p, i, 'emptyDir'])})
    else if (keys[0] === 'hostPath') volumes.push({name, hostPath: readHostPath(r, [...p, i, 'hostPath'])})
    else if (keys[0] === 'persistentVolumeClaim') volumes.push({name, persistentVolumeClaim: readClaimSource(r, [...p, i, 'persistentVolumeClaim'])})
    else if (keys[0] === 'configMap') volumes.push({name, configMap: readFilesSource(r, [...p, i, 'configMap'], 'name')})
    else if (keys[0] === 'secret') volumes.push({name, secret: readFilesSource(r, [...p, i, 'secret'], 'secretName')})
  })
  return {volumes, names: new Set(names.keys())}
}

function readEmptyDir(r: FieldReader, p: PathPart[]): Extract<Volume, {emptyDir: unknown}>['emptyDir'] {
  r.map(p)
  const medium = (r.str([...p, 'medium'], {oneOf: ['', 'Memory']}) ?? '') as '' | 'Memory'
  const raw = r.get([...p, 'sizeLimit'])
  if (raw === undefined || raw === null) return {medium}
  const sizeLimit = String(raw)
  const q = typeof raw === 'string' || typeof raw === 'number' ? parseQuantity(raw) : undefined
  if (q === undefined || q < 0) {
    r.fail([...p, 'sizeLimit'], `must be a quantity such as 64Mi or 1G, got ${JSON.stringify(raw)}`)
    return {medium}
  }
  if (medium === '') r.warn([...p, 'sizeLimit'], 'sizeLimit of an emptyDir on disk is not enforced by this version of kgit (use medium: Memory for a size-limited tmpfs)')
  return {medium, sizeLimit}
}

function readHostPath(r: FieldReader, p: PathPart[]): Extract<Volume, {hostPath: unknown}>['hostPath'] {
  r.map(p, {required: true})
  const path = r.str([...p, 'path'], {required: true}) ?? ''
  if (path && !path.startsWith('/')) r.fail([...p, 'path'], `must be an absolute path, got "${path}"`)
  else if (path.split('/').includes('..')) r.fail([...p, 'path'], 'must not contain ".."')
  else if (/[:,\n]/.test(path)) r.fail([...p, 'path'], 'must not contain ":", "," or a newline (podman cannot mount such a path)')
  const type = (r.str([...p, 'type'], {oneOf: HOST_PATH_TYPES}) ?? '') as HostPathType
  return {path, type}
}

function readClaimSource(r: FieldReader, p: PathPart[]): {claimName: string; readOnly: boolean} {
  r.map(p, {required: true})
  const claimName = r.str([...p, 'claimName'], {required: true}) ?? ''
  return {claimName, readOnly: r.bool([...p, 'readOnly']) ?? false}
}

/** A container's volumeMounts: each names a volume of the pod, at a distinct absolute path. */
export function readVolumeMounts(r: FieldReader, p: PathPart[], volumes: Set<string>): VolumeMount[] | undefined {
  const items = r.list(p)
  if (!items) return undefined
  const seen = new Map<string, number>()
  return items.map((_, j) => {
    const name = r.str([...p, j, 'name'], {required: true}) ?? ''
    if (name && !volumes.has(name)) r.fail([...p, j, 'name'], `no volume named "${name}" in the pod's volumes`)
    const mountPath = r.str([...p, j, 'mountPath'], {required: true}) ?? ''
    const prev = seen.get(mountPath)
    if (mountPath && !mountPath.startsWith('/')) r.fail([...p, j, 'mountPath'], `must be an absolute path, got "${mountPath}"`)
    else if (/[:,\n]/.test(mountPath)) r.fail([...p, j, 'mountPath'], 'must not contain ":", "," or a newline (podman cannot mount at such a path)')
    else if (mountPath && prev !== undefined) r.fail([...p, j, 'mountPath'], `must be unique: "${mountPath}" is also volumeMounts[${prev}]`)
    seen.set(mountPath, j)
    const mount: VolumeMount = {name, mountPath, readOnly: r.bool([...p, j, 'readOnly']) ?? false}
    const subPath = r.str([...p, j, 'subPath'])
    if (subPath?.startsWith('/')) r.fail([...p, j, 'subPath'], `must be a relative path, got "${subPath}"`)
    else if (subPath?.split('/').includes('..')) r.fail([...p, j, 'subPath'], 'must not contain ".."')
    else if (subPath && /[:,\n]/.test(subPath)) r.fail([...p, j, 'subPath'], 'must not contain ":", "," or a newline (podman cannot mount such a path)')
    else if (subPath) mount.subPath = subPath
    return mount
  })
}

/** Bytes of a Kubernetes quantity, rounded up ("64Mi" -> 67108864, "1G" -> 1000000000). */
export function quantityBytes(q: string): number {
  const v = parseQuantity(q)
  if (v === undefined) throw new TypeError(`not a quantity: ${q}`)
  return resourceAmount('memory', v)
}
