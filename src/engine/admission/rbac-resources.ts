import {UsageError} from '../errors.js'
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
  no: 'nodes', node: 'nodes', nodes: 'nodes', ds: 'daemonsets', cj: 'cronjobs', hpa: 'horizontalpodautoscalers', svc: 'services', ep: 'endpoints', ing: 'ingresses',
  netpol: 'networkpolicies', cm: 'configmaps', sa: 'serviceaccounts', quota: 'resourcequotas', limits: 'limitranges',
  pv: 'persistentvolumes', pvc: 'persistentvolumeclaims', sc: 'storageclasses', psp: 'podsecuritypolicies', crd: 'customresourcedefinitions', crds: 'customresourcedefinitions',
}

/** Kinds that are not manifests in kgit but that RBAC rules name (nodes are in kgit.yaml). */
const OTHER_KINDS: Readonly<Record<string, ResourceRef>> = {Node: {resource: 'nodes', apiGroup: '', namespaced: false}}

/** The resource and group of a kind kgit knows; undefined for others (custom resources need their CRD's plural). */
export function resourceOfKind(kind: string): ResourceRef | undefined {
  const info = KGIT_KINDS[kind]
  const resource = PLURALS[kind]
  return info && resource ? {resource, apiGroup: groupOf(info.preferred), namespaced: info.namespaced} : OTHER_KINDS[kind]
}

/** A resource as a user types it (`deploy`, `deployment`, `Deployments`): the plural, and the group kgit serves it in. */
export function lookupResource(typed: string): ResourceRef | undefined {
  const lower = typed.toLowerCase()
  const plural = SHORT_NAMES[lower] ?? Object.values(PLURALS).find((p) => p === lower || p === `${lower}s` || p === `${lower}es` || (lower.endsWith('y') && p === `${lower.slice(0, -1)}ies`))
  if (plural === 'nodes') return OTHER_KINDS.Node
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

/** Subresources the API server serves for the resources kgit knows: `TYPE/SUB` must name one of them. */
const SUBRESOURCES = ['log', 'exec', 'attach', 'portforward', 'proxy', 'status', 'scale', 'eviction', 'binding', 'ephemeralcontainers', 'resize', 'rollback', 'token', 'finalize', 'approval', '*']

/** `kgit auth can-i` as typed: VERB RESOURCE [NAME] -n NS --subresource S (-A: namespace ''). */
export interface AccessArgs {
  verb: string
  resource: string
  name?: string
  namespace: string
  subresource?: string
}

/** A request without user, and what kgit had to guess. */
export interface AccessRequest {
  ask: Omit<RequestAttributes, 'user' | 'groups'>
  /** The resource is none kgit knows: it is asked about as typed, in the core group. */
  unknownResource?: string
}

/**
 * Reads RESOURCE as kubectl does (`deployments`, `deploy`, `deployments.apps`, `*`, a
 * non-resource URL `/healthz`), and `TYPE/SUBRESOURCE` (`pods/log`) as RBAC rules write
 * it. A cluster-scoped resource is asked about cluster-wide whatever the namespace.
 */
export function accessRequest(a: AccessArgs): AccessRequest {
  if (a.resource.startsWith('/')) {
    if (a.name !== undefined || a.subresource !== undefined) throw new UsageError(`a non-resource URL (${a.resource}) takes no NAME and no --subresource`)
    return {ask: {verb: a.verb, path: a.resource}}
  }
  const [typed, sub, ...rest] = a.resource.split('/')
  if (!typed || rest.length > 0 || sub === '') throw new UsageError(`"${a.resource}" is not a resource: give TYPE, TYPE.GROUP or TYPE/SUBRESOURCE (pods/log)`)
  if (sub !== undefined && !SUBRESOURCES.includes(sub)) throw new UsageError(`"${a.resource}": "${sub}" is no subresource (${SUBRESOURCES.slice(0, -1).join(', ')}); kubectl reads TYPE/NAME here, kgit takes the name as its own argument: kgit auth can-i ${a.verb} ${typed} ${sub}`)
  if (sub !== undefined && a.subresource !== undefined && sub !== a.subresource) throw new UsageError(`"${a.resource}" names subresource ${sub} but --subresource says ${a.subresource}`)
  const subresource = sub ?? a.subresource
  const {resource, apiGroup, namespaced, unknown} = resolveResource(typed)
  const ask = {verb: a.verb, apiGroup, resource, namespace: namespaced ? a.namespace : '', ...(subresource ? {subresource} : {}), ...(a.name !== undefined ? {name: a.name} : {})}
  return unknown ? {ask, unknownResource: typed} : {ask}
}

function resolveResource(typed: string): ResourceRef & {unknown?: boolean} {
  if (typed === '*') return {resource: '*', apiGroup: '', namespaced: true}
  const dot = typed.indexOf('.')
  const known = typed.startsWith('*.') ? {resource: '*', apiGroup: '', namespaced: true} : lookupResource(dot < 0 ? typed : typed.slice(0, dot))
  if (dot >= 0) return {resource: known?.resource ?? typed.slice(0, dot).toLowerCase(), apiGroup: typed.slice(dot + 1), namespaced: known?.namespaced ?? true, ...(known ? {} : {unknown: true})}
  return known ?? {resource: typed.toLowerCase(), apiGroup: '', namespaced: true, unknown: true}
}
