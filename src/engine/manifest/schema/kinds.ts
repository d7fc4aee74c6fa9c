/** How the API server validates an object's `metadata.name` (apimachinery's name validators). */
export type NameRule = 'dns-subdomain' | 'dns-label' | 'dns-1035-label' | 'path-segment'

export interface KindInfo {
  /** The apiVersion kgit normalises every served version to (what the API server stores today). */
  preferred: string
  /** Every apiVersion a Kubernetes release has served for this kind, newest first. */
  served: readonly string[]
  namespaced: boolean
  name: NameRule
  /** Longest name the API server accepts, when shorter than the rule's own limit. */
  maxName?: number
}

const ns = true
const cluster = false

/**
 * The kinds kgit runs (PRODUCT.md). Served versions are those of Kubernetes 1.5 to today;
 * the schemas of each come from kubernetes-models, except the aliases in SCHEMA_ALIASES.
 */
export const KGIT_KINDS: Readonly<Record<string, KindInfo>> = {
  Namespace: {preferred: 'v1', served: ['v1'], namespaced: cluster, name: 'dns-label'},
  Pod: {preferred: 'v1', served: ['v1'], namespaced: ns, name: 'dns-subdomain'},
  ReplicationController: {preferred: 'v1', served: ['v1'], namespaced: ns, name: 'dns-subdomain'},
  ReplicaSet: {preferred: 'apps/v1', served: ['apps/v1', 'apps/v1beta2', 'extensions/v1beta1'], namespaced: ns, name: 'dns-subdomain'},
  Deployment: {preferred: 'apps/v1', served: ['apps/v1', 'apps/v1beta2', 'apps/v1beta1', 'extensions/v1beta1'], namespaced: ns, name: 'dns-subdomain'},
  StatefulSet: {preferred: 'apps/v1', served: ['apps/v1', 'apps/v1beta2', 'apps/v1beta1'], namespaced: ns, name: 'dns-subdomain'},
  DaemonSet: {preferred: 'apps/v1', served: ['apps/v1', 'apps/v1beta2', 'extensions/v1beta1'], namespaced: ns, name: 'dns-subdomain'},
  Job: {preferred: 'batch/v1', served: ['batch/v1'], namespaced: ns, name: 'dns-subdomain'},
  CronJob: {preferred: 'batch/v1', served: ['batch/v1', 'batch/v1beta1', 'batch/v2alpha1'], namespaced: ns, name: 'dns-subdomain', maxName: 52},
  HorizontalPodAutoscaler: {preferred: 'autoscaling/v2', served: ['autoscaling/v2', 'autoscaling/v2beta2', 'autoscaling/v2beta1', 'autoscaling/v1'], namespaced: ns, name: 'dns-subdomain'},
  Service: {preferred: 'v1', served: ['v1'], namespaced: ns, name: 'dns-1035-label'},
  Endpoints: {preferred: 'v1', served: ['v1'], namespaced: ns, name: 'dns-subdomain'},
  Ingress: {preferred: 'networking.k8s.io/v1', served: ['networking.k8s.io/v1', 'networking.k8s.io/v1beta1', 'extensions/v1beta1'], namespaced: ns, name: 'dns-subdomain'},
  NetworkPolicy: {preferred: 'networking.k8s.io/v1', served: ['networking.k8s.io/v1', 'extensions/v1beta1'], namespaced: ns, name: 'dns-subdomain'},
  ConfigMap: {preferred: 'v1', served: ['v1'], namespaced: ns, name: 'dns-subdomain'},
  Secret: {preferred: 'v1', served: ['v1'], namespaced: ns, name: 'dns-subdomain'},
  ServiceAccount: {preferred: 'v1', served: ['v1'], namespaced: ns, name: 'dns-subdomain'},
  ResourceQuota: {preferred: 'v1', served: ['v1'], namespaced: ns, name: 'dns-subdomain'},
  LimitRange: {preferred: 'v1', served: ['v1'], namespaced: ns, name: 'dns-subdomain'},
  PersistentVolume: {preferred: 'v1', served: ['v1'], namespaced: cluster, name: 'dns-subdomain'},
  PersistentVolumeClaim: {preferred: 'v1', served: ['v1'], namespaced: ns, name: 'dns-subdomain'},
  StorageClass: {preferred: 'storage.k8s.io/v1', served: ['storage.k8s.io/v1', 'storage.k8s.io/v1beta1'], namespaced: cluster, name: 'dns-subdomain'},
  Role: {preferred: 'rbac.authorization.k8s.io/v1', served: rbac(), namespaced: ns, name: 'path-segment'},
  ClusterRole: {preferred: 'rbac.authorization.k8s.io/v1', served: rbac(), namespaced: cluster, name: 'path-segment'},
  RoleBinding: {preferred: 'rbac.authorization.k8s.io/v1', served: rbac(), namespaced: ns, name: 'path-segment'},
  ClusterRoleBinding: {preferred: 'rbac.authorization.k8s.io/v1', served: rbac(), namespaced: cluster, name: 'path-segment'},
  PodSecurityPolicy: {preferred: 'policy/v1beta1', served: ['policy/v1beta1', 'extensions/v1beta1'], namespaced: cluster, name: 'dns-subdomain'},
  CustomResourceDefinition: {preferred: 'apiextensions.k8s.io/v1', served: ['apiextensions.k8s.io/v1', 'apiextensions.k8s.io/v1beta1'], namespaced: cluster, name: 'dns-subdomain'},
}

function rbac(): string[] {
  return ['rbac.authorization.k8s.io/v1', 'rbac.authorization.k8s.io/v1beta1', 'rbac.authorization.k8s.io/v1alpha1']
}

/**
 * Served versions whose schema kubernetes-models does not ship: they are validated with the
 * schema of the version the API server converted them to, which had the same fields.
 */
export const SCHEMA_ALIASES: Readonly<Record<string, string>> = {
  'batch/v2alpha1/CronJob': 'batch/v1beta1',
  'rbac.authorization.k8s.io/v1alpha1/Role': 'rbac.authorization.k8s.io/v1beta1',
  'rbac.authorization.k8s.io/v1alpha1/ClusterRole': 'rbac.authorization.k8s.io/v1beta1',
  'rbac.authorization.k8s.io/v1alpha1/RoleBinding': 'rbac.authorization.k8s.io/v1beta1',
  'rbac.authorization.k8s.io/v1alpha1/ClusterRoleBinding': 'rbac.authorization.k8s.io/v1beta1',
}

/** The API group of an apiVersion: "" for the core group ("v1"). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/')
  return slash < 0 ? '' : apiVersion.slice(0, slash)
}
