import type {ObjectRef} from '../types.js'
import type {FieldReader} from './field-reader.js'
import {isRecord, type PathPart} from './yaml-docs.js'

/** Fields that change what a pod is; kgit does not run them yet, so such pods are not started. */
const UNSUPPORTED_POD = ['volumes', 'initContainers', 'ephemeralContainers', 'hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace']
const UNSUPPORTED_CONTAINER = ['envFrom', 'volumeMounts', 'volumeDevices']
/** Fields kgit reads but does not act on yet: the pod runs without them, with a warning. */
const IGNORED_POD = ['nodeSelector', 'affinity', 'tolerations', 'securityContext', 'imagePullSecrets', 'priorityClassName', 'dnsPolicy', 'dnsConfig', 'hostAliases', 'topologySpreadConstraints', 'runtimeClassName', 'activeDeadlineSeconds']
const IGNORED_CONTAINER = ['resources', 'livenessProbe', 'readinessProbe', 'startupProbe', 'securityContext', 'lifecycle', 'stdin', 'tty']

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
  for (const f of IGNORED_POD) if (present([...base, f])) r.warn([...base, f], `${f} is not acted on by this version of kgit yet; the pod runs without it`)
  const sa = r.get([...base, 'serviceAccountName']) ?? r.get([...base, 'serviceAccount'])
  if (typeof sa === 'string' && sa !== '' && sa !== 'default') refs.push({kind: 'ServiceAccount', name: sa, optional: false, pos: r.doc.posOf([...base, 'serviceAccountName'])})
  const containers = r.get([...base, 'containers'])
  if (!Array.isArray(containers)) return {unsupported, refs}
  containers.forEach((_, i) => {
    const c: PathPart[] = [...base, 'containers', i]
    for (const f of UNSUPPORTED_CONTAINER) if (present([...c, f])) unsupported.push(`containers[${i}].${f}`)
    for (const f of IGNORED_CONTAINER) if (present([...c, f])) r.warn([...c, f], `${f} is not acted on by this version of kgit yet; the container runs without it`)
    envRefs(r, c, i, unsupported, refs)
  })
  return {unsupported, refs}
}

function envRefs(r: FieldReader, c: PathPart[], i: number, unsupported: string[], refs: ObjectRef[]): void {
  const env = r.get([...c, 'env'])
  if (!Array.isArray(env)) return
  env.forEach((e, j) => {
    if (!isRecord(e) || !isRecord(e.valueFrom)) return
    unsupported.push(`containers[${i}].env[${j}].valueFrom`)
    for (const [field, kind] of [['configMapKeyRef', 'ConfigMap'], ['secretKeyRef', 'Secret']] as const) {
      const ref = e.valueFrom[field]
      if (isRecord(ref) && typeof ref.name === 'string') refs.push({kind, name: ref.name, optional: ref.optional === true, pos: r.doc.posOf([...c, 'env', j, 'valueFrom', field, 'name'])})
    }
  })
}
