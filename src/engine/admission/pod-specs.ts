import type {KObject, PodNotes, PodSpec} from '../types.js'

/** A pod spec inside an object: the pod's own, or the template its controller makes pods from. */
export interface PodSpecAt {
  spec: PodSpec
  notes: PodNotes
  /** Field path of the pod spec in the object (`spec`, `spec.template.spec`...). */
  path: string
  /** The pod's (or template's) annotations. */
  annotations: Record<string, string>
}

/** The pod spec of a Pod, or of the template of a workload (Deployment, Job, CronJob...); undefined for other kinds. */
export function podSpecOf(o: KObject): PodSpecAt | undefined {
  if (o.kind === 'Pod') return {spec: o.spec, notes: o.notes, path: 'spec', annotations: o.metadata.annotations}
  if (o.kind === 'CronJob') return {spec: o.spec.jobTemplate.spec.template.spec, notes: o.notes, path: 'spec.jobTemplate.spec.template.spec', annotations: o.spec.jobTemplate.spec.template.metadata.annotations}
  if (o.kind === 'Deployment' || o.kind === 'ReplicaSet' || o.kind === 'ReplicationController' || o.kind === 'DaemonSet' || o.kind === 'StatefulSet' || o.kind === 'Job') {
    return {spec: o.spec.template.spec, notes: o.notes, path: 'spec.template.spec', annotations: o.spec.template.metadata.annotations}
  }
  return undefined
}

/** The volume types a pod uses, with their index in the manifest: kgit's own and those it does not run (`volumes[i].nfs` in its notes). */
export function volumeTypes(at: PodSpecAt): {index: number; type: string; name?: string}[] {
  const others = new Map<number, string>()
  for (const u of at.notes.unsupported) {
    const m = /^volumes\[(\d+)\]\.(\w+)$/.exec(u)
    if (m) others.set(Number(m[1]), m[2] === 'cephfs' ? 'cephFS' : m[2]!)
  }
  // kgit keeps only the volumes it runs, in order: the others' indices are skipped.
  const out: {index: number; type: string; name?: string}[] = [...others].map(([index, type]) => ({index, type}))
  let index = 0
  for (const v of at.spec.volumes ?? []) {
    while (others.has(index)) index++
    out.push({index: index++, type: Object.keys(v).find((k) => k !== 'name')!, name: v.name})
  }
  return out.sort((a, b) => a.index - b.index)
}
