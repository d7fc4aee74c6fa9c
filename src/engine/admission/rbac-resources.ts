import {KGIT_KINDS, groupOf} from '../manifest/schema/kinds.js'
import type {KObject} from '../types.js'
import type {RequestAttributes, UserInfo} from './rbac.js'

/** A kind as RBAC rules name it: resource (plural, lower case) and API group. */
export interface ResourceRef {
  resource: string
  apiGroup: string
  namespaced: boolean
}

/** The plural resource of each kind kgit reads (KGIT_KINDS), as the API server serves it. */
const PLURALS: Readonly<Record<string, string>> = {
  Namespace: 'namespaces', Pod: 'pods', ReplicationController: 'replicationcontrollers', ReplicaSet: 'replicasets',
  Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets', Job: 'jobs', CronJob: 'cronjobs',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers', Service: 'services', Endpoints: 'endpoints', Ingress: 'ingresses',
  NetworkPolicy: 'networkpolicies', ConfigMap: 'configmaps', Secret: 'secrets', ServiceAccount: 'serviceaccounts',
  ResourceQuota: 'resourcequotas', LimitRange: 'limitranges', PersistentVolume: 'persistentvolumes',
  PersistentVolumeClaim: 'persistentvolumeclaims', StorageClass: 'storageclasses', Role: 'roles', ClusterRole: 'clusterroles',
  RoleBinding: 'rolebindings', ClusterRoleBinding: 'clusterrolebindings', PodSecurityPolicy: 'podsecuritypolicies',
  CustomResourceDefinition: 'customresourcedefinitions',
}

/** kubectl's short names and singulars of those resources (`deploy`, `pod`, `sa`...). */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  ns: 'namespaces', po: 'pods', rc: 'replicationcontrollers', rs: 'replicasets', deploy: 'deployments', sts: 'statefulsets',
  ds: 'daemonsets', cj: 'cronjobs', hpa: 'horizontalpodautoscalers', svc: 'services', ep: 'endpoints', ing: 'ingresses',
  netpol: 'networkpolicies', cm: 'configmaps', sa: 'serviceaccounts', quota: 'resourcequotas', limits: 'limitranges',
  pv: 'persistentvolumes', pvc: 'persistentvolumeclaims', sc: 'storageclasses', psp: 'podsecuritypolicies', crd: 'customresourcedefinitions', crds: 'customresourcedefinitions',
}

/** The resource and group of a kind kgit knows; undefined for others (custom resources need their CRD's plural). */
export function resourceOfKind(kind: string): ResourceRef | undefined {
  const info = KGIT_KINDS[kind]
  const resource = PLURALS[kind]
  return info && resource ? {resource, apiGroup: groupOf(info.preferred), namespaced: info.namespaced} : undefined
}

/** A resource as a user types it (`deploy`, `deployment`, `Deployments`): the plural, and the group kgit serves it in. */
export function lookupResource(typed: string): ResourceRef | undefined {
  const lower = typed.toLowerCase()
  const plural = SHORT_NAMES[lower] ?? Object.values(PLURALS).find((p) => p === lower || p === `${lower}s` || p === `${lower}es` || (lower.endsWith('y') && p === `${lower.slice(0, -1)}ies`))
  const kind = plural && Object.keys(PLURALS).find((k) => PLURALS[k] === plural)
  return kind ? resourceOfKind(kind) : undefined
}

/**
 * The request Kubernetes would authorize for a change of one object: `create`, `update`
 * or `delete` on its resource, name and namespace. A create names no object (the API
 * server authorizes it before the name is known): rules with resourceNames never allow it.
 */
export function changeAttributes(who: UserInfo, verb: 'create' | 'update' | 'delete', object: Pick<KObject, 'kind' | 'metadata'>): RequestAttributes | undefined {
  const ref = resourceOfKind(object.kind)
  if (!ref) return undefined
  return {...who, verb, apiGroup: ref.apiGroup, resource: ref.resource, ...(verb === 'create' ? {} : {name: object.metadata.name}), namespace: ref.namespaced ? object.metadata.namespace : ''}
}
