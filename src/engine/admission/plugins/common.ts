import type {SourcePos} from '../../errors.js'
import type {KObject, PodSpec} from '../../types.js'
import type {AdmissionRequest, Denial, ObjectChange} from '../plugin.js'

/** Namespaces every Kubernetes cluster has, with or without a Namespace object in git. */
export const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public']

/** A pod spec inside an object (a Pod, or a workload's template) and the field path to it. */
export interface PodSpecAt {
  spec: PodSpec
  /** Path of the pod spec in the object (`spec`, `spec.template.spec`...). */
  path: string
  annotations: Record<string, string>
}

/** The pod spec an object runs: a Pod's own, a workload's template (StatefulSet and CronJob included). */
export function podSpecAt(o: KObject): PodSpecAt | undefined {
  if (o.kind === 'Pod') return {spec: o.spec, path: 'spec', annotations: o.metadata.annotations}
  if (o.kind === 'Deployment' || o.kind === 'ReplicaSet' || o.kind === 'ReplicationController' || o.kind === 'DaemonSet' || o.kind === 'Job' || o.kind === 'StatefulSet') return {spec: o.spec.template.spec, path: 'spec.template.spec', annotations: o.spec.template.metadata.annotations}
  if (o.kind === 'CronJob') return {spec: o.spec.jobTemplate.spec.template.spec, path: 'spec.jobTemplate.spec.template.spec', annotations: o.spec.jobTemplate.spec.template.metadata.annotations}
  return undefined
}

/** The changes that create or update an object (validating plugins look at these, not at the whole tree). */
export function written(req: AdmissionRequest): KObject[] {
  return req.changes.filter((c: ObjectChange) => c.verb !== 'delete').map((c) => c.object)
}

/** A field of an object, for a denial: the object's file and line, and the field's path. */
export function fieldPos(o: KObject, path?: string): SourcePos {
  const field = path ?? o.source.path
  return {file: o.source.file, ...(o.source.line !== undefined ? {line: o.source.line} : {}), ...(field ? {path: field} : {})}
}

export function deny(plugin: string, o: KObject, rule: string, path?: string): Denial {
  return {plugin, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, pos: fieldPos(o, path), rule}
}

/** The namespaces a revision has: its Namespace objects and the built-in ones. */
export function namespacesOf(objects: readonly KObject[]): Set<string> {
  return new Set([...BUILTIN_NAMESPACES, ...objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)])
}
