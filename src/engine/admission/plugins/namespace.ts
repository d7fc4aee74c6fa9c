import type {KObject, NamespaceObject} from '../../types.js'
import type {AdmissionPlugin, AdmissionRequest, Denial} from '../plugin.js'
import {BUILTIN_NAMESPACES, deny, namespacesOf, written} from './common.js'

/** Objects written into a namespace the new revision does not have. */
function missingNamespace(plugin: string, req: AdmissionRequest): Denial[] {
  const have = namespacesOf(req.desired.objects)
  return written(req)
    .filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== '' && !have.has(o.metadata.namespace))
    .map((o) => deny(plugin, o, `namespace "${o.metadata.namespace}" does not exist: add a Namespace manifest for it`, 'metadata.namespace'))
}

/**
 * Kubernetes' NamespaceLifecycle: nothing is created in a namespace that does not exist or
 * that the same change deletes, and the namespaces Kubernetes itself needs (default,
 * kube-system, kube-public) are never deleted.
 */
export const NamespaceLifecycle: AdmissionPlugin = {
  name: 'NamespaceLifecycle',
  mutating: false,
  admit(req) {
    const denials: Denial[] = []
    const deleted = new Set(req.changes.filter((c) => c.verb === 'delete' && c.object.kind === 'Namespace').map((c) => c.object.metadata.name))
    for (const c of req.changes) {
      const o = c.object
      if (c.verb === 'delete' && o.kind === 'Namespace' && BUILTIN_NAMESPACES.includes(o.metadata.name)) denials.push(deny('NamespaceLifecycle', o, `namespace ${o.metadata.name} may not be deleted: Kubernetes needs it (${BUILTIN_NAMESPACES.join(', ')} are never deleted)`))
      if (c.verb !== 'delete' && o.metadata.namespace !== '' && deleted.has(o.metadata.namespace)) denials.push(deny('NamespaceLifecycle', o, `namespace "${o.metadata.namespace}" is deleted by this change: nothing can be ${c.verb === 'create' ? 'created' : 'updated'} in it`, 'metadata.namespace'))
    }
    const doomed = new Set(denials.map((d) => `${d.kind}/${d.namespace}/${d.name}`))
    return [...denials, ...missingNamespace('NamespaceLifecycle', req).filter((d) => !doomed.has(`${d.kind}/${d.namespace}/${d.name}`))]
  },
}

/** Kubernetes' NamespaceExists (deprecated there for NamespaceLifecycle): objects only in namespaces that exist. */
export const NamespaceExists: AdmissionPlugin = {
  name: 'NamespaceExists',
  mutating: false,
  admit: (req) => missingNamespace('NamespaceExists', req),
}

/**
 * Kubernetes' NamespaceAutoProvision: a namespace an object names that the revision does
 * not have is added to it (and to the change, as created), as the API server creates it.
 */
export const NamespaceAutoProvision: AdmissionPlugin = {
  name: 'NamespaceAutoProvision',
  mutating: true,
  admit(req) {
    const have = namespacesOf(req.desired.objects)
    for (const o of [...req.desired.objects]) {
      const ns = o.metadata.namespace
      if (o.kind === 'Namespace' || ns === '' || have.has(ns)) continue
      have.add(ns)
      const made = provisioned(ns, o)
      req.desired.objects.push(made)
      req.changes.push({verb: 'create', object: made})
    }
    return []
  },
}

/** A Namespace made for `ns`, written where the first object naming it is. */
function provisioned(ns: string, by: KObject): NamespaceObject {
  return {kind: 'Namespace', apiVersion: 'v1', metadata: {name: ns, namespace: '', labels: {}, annotations: {}}, source: {...by.source, path: 'metadata.namespace'}}
}
