import type {ObjectRef} from '../types.js'
import type {FieldReader} from './field-reader.js'
import {valueFromSupported} from './env.js'
import {SUPPORTED_VOLUME_TYPES, volumeSourceKeys} from './volumes.js'
import {isRecord, type PathPart} from './yaml-docs.js'

/** Fields that change what a pod is; kgit does not run them yet, so such pods are not started. */
const UNSUPPORTED_POD = ['initContainers', 'ephemeralContainers', 'hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace']
const UNSUPPORTED_CONTAINER = ['volumeDevices']
const UNSUPPORTED_PROBE = ['livenessProbe', 'readinessProbe']
/** Fields kgit reads but does not act on yet: the pod runs without them, with a warning. */
const IGNORED_POD = ['priorityClassName', 'dnsPolicy', 'dnsConfig', 'hostAliases', 'topologySpreadConstraints', 'runtimeClassName', 'activeDeadlineSeconds']
const IGNORED_CONTAINER = ['startupProbe', 'lifecycle', 'stdin', 'tty']

export interface PodFeatures {
  /** Why kgit cannot start this pod yet (empty: it can). */
  unsupported: string[]
  /** Objects the pod names, checked against the revision. */
  refs: ObjectRef[]
}

/** Sorts a pod template's fields into what kgit runs, ignores (warning) or cannot run yet. */
export function podFeatures(r: FieldReader, base: PathPart[]): PodFeatures {
  const unsupported: string[] = []
  const refs: ObjectRef[] = []
  const present = (p: PathPart[]): boolean => {
    const v = r.get(p)
    return v !== undefined && v !== null && v !== false && !(Array.isArray(v) && v.length === 0)
  }
  for (const f of UNSUPPORTED_POD) if (present([...base, f])) unsupported.push(f)
  const volumes = r.get([...base, 'volumes'])
  const emptyDirs = new Set<unknown>()
  if (Array.isArray(volumes)) {
    volumes.forEach((v, i) => {
      for (const k of volumeSourceKeys(v)) if (!(SUPPORTED_VOLUME_TYPES as readonly string[]).includes(k)) unsupported.push(`volumes[${i}].${k}`)
      if (isRecord(v) && isRecord(v.emptyDir)) emptyDirs.add(v.name)
      const claim = isRecord(v) && isRecord(v.persistentVolumeClaim) ? v.persistentVolumeClaim.claimName : undefined
      if (typeof claim === 'string' && claim) refs.push({kind: 'PersistentVolumeClaim', name: claim, optional: false, pos: r.doc.posOf([...base, 'volumes', i, 'persistentVolumeClaim', 'claimName'])})
    })
  }
  for (const f of IGNORED_POD) if (present([...base, f])) r.warn([...base, f], `${f} is not acted on by this version of kgit yet; the pod runs without it`)
  const sa = r.get([...base, 'serviceAccountName']) ?? r.get([...base, 'serviceAccount'])
  if (typeof sa === 'string' && sa !== '' && sa !== 'default') refs.push({kind: 'ServiceAccount', name: sa, optional: false, pos: r.doc.posOf([...base, 'serviceAccountName'])})
  const containers = r.get([...base, 'containers'])
  if (!Array.isArray(containers)) return {unsupported, refs}
  containers.forEach((_, i) => {
    const c: PathPart[] = [...base, 'containers', i]
    for (const f of UNSUPPORTED_CONTAINER) if (present([...c, f])) unsupported.push(`containers[${i}].${f}`)
    for (const f of UNSUPPORTED_PROBE) if (present([...c, f, 'grpc'])) unsupported.push(`containers[${i}].${f}.grpc`)
    const mounts = r.get([...c, 'volumeMounts'])
    // podman 4.3 cannot mount a subPath of a named volume.
    if (Array.isArray(mounts)) mounts.forEach((m, j) => isRecord(m) && m.subPath && emptyDirs.has(m.name) && unsupported.push(`containers[${i}].volumeMounts[${j}].subPath`))
    for (const f of IGNORED_CONTAINER) if (present([...c, f])) r.warn([...c, f], `${f} is not acted on by this version of kgit yet; the container runs without it`)
    envRefs(r, c, i, unsupported)
  })
  return {unsupported, refs}
}

/** resourceFieldRef is not run yet; ConfigMaps and Secrets are resolved by load.ts (env.ts). */
function envRefs(r: FieldReader, c: PathPart[], i: number, unsupported: string[]): void {
  const env = r.get([...c, 'env'])
  if (!Array.isArray(env)) return
  env.forEach((e, j) => {
    if (valueFromSupported(e) || !isRecord(e) || !isRecord(e.valueFrom)) return
    unsupported.push(`containers[${i}].env[${j}].valueFrom.${Object.keys(e.valueFrom)[0] ?? ''}`)
  })
}
