import {ManifestError} from '../../errors.js'
import {isRecord, type ParsedDoc, type PathPart} from '../yaml-docs.js'

/** Where each kind keeps its pod spec. */
const POD_SPEC_PATHS: Record<string, PathPart[]> = {
  Pod: ['spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
}

/**
 * Pod spec checks the API server makes in code (pkg/apis/core/validation) or through
 * list-map keys, which the precompiled schemas do not carry: at least one container,
 * an image for each, unique container names, unique (containerPort, protocol) per container.
 */
export function podSpecErrors(doc: ParsedDoc, kind: string): ManifestError[] {
  const base = POD_SPEC_PATHS[kind]
  if (!base) return []
  let spec: unknown = doc.value
  for (const p of base) spec = isRecord(spec) ? spec[p as string] : undefined
  if (!isRecord(spec)) return []
  const errors: ManifestError[] = []
  const fail = (path: PathPart[], detail: string) => errors.push(new ManifestError(doc.posOf([...base, ...path]), detail))
  if (Array.isArray(spec.containers) && spec.containers.length === 0) fail(['containers'], 'must have at least one container')
  const names = new Map<string, string>()
  for (const field of ['initContainers', 'containers']) {
    const list = spec[field]
    if (!Array.isArray(list)) continue
    list.forEach((c, i) => {
      if (!isRecord(c)) return
      if (c.image === undefined || c.image === null || c.image === '') fail([field, i, 'image'], 'required field is missing')
      if (typeof c.name === 'string') {
        const prev = names.get(c.name)
        if (prev) fail([field, i, 'name'], `duplicate container name "${c.name}" (also ${prev})`)
        else names.set(c.name, `${field}[${i}]`)
      }
      portErrors(c.ports, (j, detail) => fail([field, i, 'ports', j], detail))
    })
  }
  return errors
}

function portErrors(ports: unknown, fail: (index: number, detail: string) => void): void {
  if (!Array.isArray(ports)) return
  const seen = new Map<string, number>()
  ports.forEach((p, j) => {
    if (!isRecord(p) || typeof p.containerPort !== 'number') return
    const protocol = typeof p.protocol === 'string' ? p.protocol : 'TCP'
    const key = `${p.containerPort}/${protocol}`
    const prev = seen.get(key)
    if (prev !== undefined) fail(j, `duplicate port ${key} (also ports[${prev}])`)
    else seen.set(key, j)
  })
}
