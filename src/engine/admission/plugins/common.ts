import type {SourcePos} from '../../errors.js'
import type {KObject} from '../../types.js'
import type {AdmissionRequest, Denial, ObjectChange} from '../plugin.js'

/** Namespaces every Kubernetes cluster has, with or without a Namespace object in git. */
export const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public']

/** The pod spec an object runs (a Pod's own, a workload's template), its path and annotations: one reading for every plugin. */
export {podSpecOf as podSpecAt, type PodSpecAt} from '../pod-specs.js'

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
