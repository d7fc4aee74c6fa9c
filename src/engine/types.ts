import type {SourcePos} from './errors.js'
import type {AuthenticationSpec, AuthorizationSpec} from './identity/config.js'
import type {AdmissionConfig} from './admission/chain.js'

/** A node of the cluster, as kgit.yaml declares it. */
export interface NodeSpec {
  name: string
  address: string
  port: number
  labels: Record<string, string>
  taints: Taint[]
  dataDir: string
  /** Cordoned: no new pod is placed here (`kgit cordon`). */
  unschedulable: boolean
  /** Drained: cordoned, and its pods are moved to other nodes (`kgit drain`). */
  drain: boolean
  /** Overrides what the node reports (cpu in millicores, memory in bytes, other resources as counts). */
  capacity?: Resources
  /** What pods may use; default: capacity minus reserved. */
  allocatable?: Resources
  /** Kept for the system (kubelet's system-reserved + kube-reserved): subtracted from capacity. */
  reserved?: Resources
}

/**
 * Amounts of resources: `cpu` in millicores, `memory` and `ephemeral-storage` in bytes,
 * `pods` and extended resources (`example.com/gpu`) as counts.
 */
export type Resources = Record<string, number>

/** A container's resources, parsed (Kubernetes: a limit with no request requests the limit). */
export interface ResourceRequirements {
  requests: Resources
  limits: Resources
}

/** A node selector term: all expressions must hold (terms of a list are ORed). */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[]
  /** Only `metadata.name` is a field Kubernetes allows here. */
  matchFields?: NodeSelectorRequirement[]
}

export interface NodeSelectorRequirement {
  key: string
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt'
  values?: string[]
}

export interface PodAffinityTerm {
  labelSelector?: LabelSelector
  /** Namespaces the selector looks in; none and no namespaceSelector: the pod's own. */
  namespaces?: string[]
  namespaceSelector?: LabelSelector
  topologyKey: string
}

export interface Affinity {
  nodeAffinity?: {
    required?: NodeSelectorTerm[]
    preferred?: {weight: number; preference: NodeSelectorTerm}[]
  }
  podAffinity?: {required?: PodAffinityTerm[]; preferred?: {weight: number; podAffinityTerm: PodAffinityTerm}[]}
  podAntiAffinity?: {required?: PodAffinityTerm[]; preferred?: {weight: number; podAffinityTerm: PodAffinityTerm}[]}
}

export interface Toleration {
  key?: string
  operator: 'Equal' | 'Exists'
  value?: string
  /** Absent: every effect. */
  effect?: Taint['effect']
  tolerationSeconds?: number
}

export interface Taint {
  key: string
  value?: string
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'
}

export interface SshSpec {
  user: string
  identityFile: string
  knownHostsFile: string
  /** Seconds to wait for a node's SSH handshake. */
  connectTimeout: number
  /** Seconds an idle connection keeper holds the connections for the next run (0: none). */
  controlPersist: number
}

export interface ClusterSpec {
  name: string
  manifests: string[]
  ssh: SshSpec
  runtime: 'podman'
  network: {
    podCIDR: string
    serviceCIDR: string
    clusterDomain: string
    /** Prefix length of each node's slice of podCIDR (Kubernetes' --node-cidr-mask-size). */
    nodeCIDRMaskSize: number
  }
  nodes: NodeSpec[]
  /** Seconds a node may not answer before its replicas are started on other nodes. */
  unreachableGracePeriodSeconds?: number
  /** spec.secrets: `allowPlaintext` lets Secrets with unencrypted values in (docs/secrets.md). */
  secrets?: {allowPlaintext: boolean}
  /** spec.authentication: who makes a change (docs/authorization.md). */
  authentication?: AuthenticationSpec
  /** spec.authorization: what they may change; absent: AlwaysAllow. */
  authorization?: AuthorizationSpec
  /** spec.admission: the enabled admission plugins and their configuration; absent: the defaults (docs/admission.md). */
  admission?: AdmissionConfig
  /** spec.suspend: reconciles change nothing, drift is still reported (docs/gitops.md). */
  suspend?: boolean
  /** spec.notifications: who is told about failed or drifted reconciles (docs/gitops.md). */
  notifications?: NotificationSpec
}

/** A command run with the JSON report on stdin, and/or a URL the report is POSTed to. */
export interface NotificationSpec {
  command?: string[]
  webhook?: string
  /** When: `failure` (failed, unreachable), `drift` (drift was found); default both. */
  on: ('failure' | 'drift')[]
}

export interface EnvVar {
  name: string
  value: string
  /**
   * Set for `valueFrom.fieldRef` fields that depend on the pod instance (metadata.name,
   * metadata.namespace, metadata.labels['k'], spec.nodeName): `value` is then '' and
   * the value is filled in when the container is started.
   */
  fieldPath?: string
}

export interface ContainerPort {
  name?: string
  containerPort: number
  hostPort?: number
  hostIP?: string
  protocol: 'TCP' | 'UDP' | 'SCTP'
}

/** How a probe checks a container. Named ports are resolved to numbers when read. */
export type ProbeHandler =
  | {exec: {command: string[]}}
  | {httpGet: {path: string; port: number; scheme: 'HTTP' | 'HTTPS'; host?: string; headers: {name: string; value: string}[]}}
  | {tcpSocket: {port: number; host?: string}}

/** A liveness or readiness probe, with Kubernetes' defaults filled in. */
export interface Probe {
  handler: ProbeHandler
  initialDelaySeconds: number
  periodSeconds: number
  timeoutSeconds: number
  successThreshold: number
  failureThreshold: number
}

export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice'

/** The volume types kgit runs: a fresh directory per pod, a path of the node, or a claim (storage.ts). */
export type Volume =
  | {name: string; emptyDir: {medium: '' | 'Memory'; sizeLimit?: string}}
  | {name: string; hostPath: {path: string; type: HostPathType}}
  | {name: string; persistentVolumeClaim: {claimName: string; readOnly: boolean}}
  | {name: string; configMap: FilesVolumeSource}
  | {name: string; secret: FilesVolumeSource}

/** A configMap or secret volume (`name` is the ConfigMap's name or the secretName): files made from its keys. */
export interface FilesVolumeSource {
  name: string
  /** Keys to project and where; absent: every key, at a path of its own name. */
  items?: {key: string; path: string; mode?: number}[]
  defaultMode: number
  optional: boolean
}

/** A container variable read from a Secret: its value reaches the container through an env file on the node, never argv. */
export interface SecretEnvVar {
  name: string
  secret: string
  key: string
}

export interface VolumeMount {
  name: string
  mountPath: string
  readOnly: boolean
  subPath?: string
}

export interface ContainerSpec {
  name: string
  image: string
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never'
  command?: string[]
  args?: string[]
  workingDir?: string
  /** Resolved values: envFrom and valueFrom are expanded when the revision is read. */
  env: EnvVar[]
  /** Variables read from Secrets (references only: values stay out of the spec and its label). */
  secretEnv?: SecretEnvVar[]
  ports: ContainerPort[]
  volumeMounts?: VolumeMount[]
  livenessProbe?: Probe
  readinessProbe?: Probe
  /** Set when the manifest gives requests or limits. */
  resources?: ResourceRequirements
  /** Set only when the manifest gives one (security-context.ts). */
  securityContext?: SecurityContext
}

/** SELinux labels of a container's process (podman --security-opt label=...). */
export interface SELinuxOptions {
  user?: string
  role?: string
  type?: string
  level?: string
}

/** A container's SecurityContext; every field set only when the manifest gives it. */
export interface SecurityContext {
  runAsUser?: number
  runAsGroup?: number
  runAsNonRoot?: boolean
  privileged?: boolean
  /** Kubernetes' names, as written (with or without CAP_). */
  capabilities?: {add?: string[]; drop?: string[]}
  readOnlyRootFilesystem?: boolean
  allowPrivilegeEscalation?: boolean
  seLinuxOptions?: SELinuxOptions
}

/** A pod's PodSecurityContext: defaults for its containers, groups for the pod; set only when given. */
export interface PodSecurityContext {
  runAsUser?: number
  runAsGroup?: number
  runAsNonRoot?: boolean
  seLinuxOptions?: SELinuxOptions
  supplementalGroups?: number[]
  fsGroup?: number
}

export interface PodSpec {
  containers: ContainerSpec[]
  restartPolicy: 'Always' | 'OnFailure' | 'Never'
  terminationGracePeriodSeconds: number
  hostname?: string
  volumes?: Volume[]
  /** Secrets (kubernetes.io/dockerconfigjson) with registry credentials for pulling the pod's images; set only when given. */
  imagePullSecrets?: string[]
  /** Set only when the manifest names an account other than `default`. */
  serviceAccountName?: string
  /** Set only when the manifest says so. */
  automountServiceAccountToken?: boolean
  /** Scheduling: set only when the manifest says so (absent fields keep spec hashes as they were). */
  nodeName?: string
  nodeSelector?: Record<string, string>
  affinity?: Affinity
  tolerations?: Toleration[]
  /** Set only when the manifest gives one (security-context.ts). */
  securityContext?: PodSecurityContext
  /** Set only when true; kgit does not run such pods yet (PodSecurityPolicy reads them). */
  hostNetwork?: true
  hostPID?: true
  hostIPC?: true
}

export interface ObjectMeta {
  name: string
  namespace: string
  labels: Record<string, string>
  annotations: Record<string, string>
}

/** Every object read from git carries where it came from, for error messages. */
export interface Sourced {
  source: SourcePos
}

/** An object a pod names (a ServiceAccount, the ConfigMap of an env value...). */
export interface ObjectRef {
  kind: 'ConfigMap' | 'Secret' | 'ServiceAccount' | 'PersistentVolumeClaim'
  name: string
  optional: boolean
  pos: SourcePos
}

/** What kgit learnt about a pod template beyond its spec. */
export interface PodNotes {
  /** Features the pod uses that kgit cannot run yet: such a pod is not started. */
  unsupported: string[]
  refs: ObjectRef[]
  /**
   * env and envFrom of the containers that read ConfigMaps, as written; the revision's
   * ConfigMaps resolve them into each container's `env` when the revision is read.
   */
  env?: ContainerEnvSources[]
}

/** One `env` or `envFrom` entry, in the order Kubernetes applies them. */
export type EnvSource =
  | {var: EnvVar}
  | {configMapKeyRef: {name: string; key: string; optional: boolean}; varName: string; pos: SourcePos}
  | {configMapRef: {name: string; optional: boolean}; prefix: string; pos: SourcePos}
  | {secretKeyRef: {name: string; key: string; optional: boolean}; varName: string; pos: SourcePos}
  | {secretRef: {name: string; optional: boolean}; prefix: string; pos: SourcePos}

export interface ContainerEnvSources {
  /** Index in the pod spec's containers. */
  container: number
  sources: EnvSource[]
}

export interface ConfigMapObject extends Sourced {
  kind: 'ConfigMap'
  apiVersion: string
  metadata: ObjectMeta
  data: Record<string, string>
  /** Base64 text, as written. */
  binaryData: Record<string, string>
  immutable: boolean
}

/** Bytes of a secret: printed, logged or serialised, it shows `[redacted]`; only `reveal()` gives the bytes. */
export interface SecretBytes {
  reveal(): Uint8Array
  toString(): string
  toJSON(): string
}

/**
 * A Secret. In git its values are age-encrypted (docs/secrets.md); `keys` and `encrypted`
 * come from the file, `values` and `digest` once the run decrypted it (exec/secrets.ts).
 */
export interface SecretObject extends Sourced {
  kind: 'Secret'
  apiVersion: string
  metadata: ObjectMeta
  type: string
  /** Every key of data and stringData. */
  keys: string[]
  /** key -> the age-armored value as written; empty for a plaintext Secret. */
  encrypted: Record<string, string>
  /** key -> value: from a plaintext Secret when read, from decryption otherwise. */
  values?: Record<string, SecretBytes>
  /** A slow salted hash of the values, for plans and for the nodes to compare (never the values). */
  digest?: string
  immutable: boolean
}

/** A ServiceAccount (v1). Every namespace has a `default` one, in git or not. */
export interface ServiceAccountObject extends Sourced {
  kind: 'ServiceAccount'
  apiVersion: string
  metadata: ObjectMeta
  automountServiceAccountToken?: boolean
  imagePullSecrets: string[]
}

export interface NamespaceObject extends Sourced {
  kind: 'Namespace'
  apiVersion: string
  metadata: ObjectMeta
}

export interface PodObject extends Sourced {
  kind: 'Pod'
  apiVersion: string
  metadata: ObjectMeta
  spec: PodSpec
  notes: PodNotes
}

export interface PodTemplate {
  metadata: {labels: Record<string, string>; annotations: Record<string, string>}
  spec: PodSpec
}

export interface DeploymentObject extends Sourced {
  kind: 'Deployment'
  apiVersion: string
  metadata: ObjectMeta
  spec: {
    replicas: number
    selector: {matchLabels: Record<string, string>}
    template: PodTemplate
    strategy: DeploymentStrategy
    minReadySeconds: number
    revisionHistoryLimit: number
    progressDeadlineSeconds: number
    paused: boolean
  }
  notes: PodNotes
}

export type DeploymentStrategy =
  | {type: 'RollingUpdate'; rollingUpdate: {maxSurge: number | string; maxUnavailable: number | string}}
  | {type: 'Recreate'}

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: {key: string; operator: string; values?: string[]}[]
}

/** A ReplicaSet (apps/v1) or a ReplicationController (v1, whose selector is a plain map). */
export interface ReplicaSetObject extends Sourced {
  kind: 'ReplicaSet' | 'ReplicationController'
  apiVersion: string
  metadata: ObjectMeta
  spec: {
    replicas: number
    selector: LabelSelector
    template: PodTemplate
    minReadySeconds: number
  }
  notes: PodNotes
}

/** A DaemonSet (apps/v1, or an older served version read as apps/v1): one pod on every node that may run it. */
export interface DaemonSetObject extends Sourced {
  kind: 'DaemonSet'
  apiVersion: string
  metadata: ObjectMeta
  spec: {
    selector: LabelSelector
    template: PodTemplate
    updateStrategy: DaemonSetUpdateStrategy
    minReadySeconds: number
    revisionHistoryLimit: number
  }
  notes: PodNotes
}

/** RollingUpdate replaces at most maxUnavailable pods at a time (maxSurge is always 0 in kgit); OnDelete waits for pods to be removed by hand. */
export type DaemonSetUpdateStrategy = {type: 'RollingUpdate'; rollingUpdate: {maxUnavailable: number | string}} | {type: 'OnDelete'}

/**
 * A StatefulSet (apps/v1, or apps/v1beta1/v1beta2 read as apps/v1): pods NAME-0 ..
 * NAME-(N-1), each with its own identity and claims.
 */
export interface StatefulSetObject extends Sourced {
  kind: 'StatefulSet'
  apiVersion: string
  metadata: ObjectMeta
  spec: {
    replicas: number
    selector: LabelSelector
    serviceName: string
    template: PodTemplate
    podManagementPolicy: 'OrderedReady' | 'Parallel'
    updateStrategy: {type: 'RollingUpdate'; partition: number} | {type: 'OnDelete'}
    minReadySeconds: number
    revisionHistoryLimit: number
    /** The first ordinal (spec.ordinals.start). */
    ordinalStart: number
    volumeClaimTemplates: ClaimTemplate[]
    /** What happens to the claims when the StatefulSet is deleted or scaled down. */
    retention: {whenDeleted: 'Retain' | 'Delete'; whenScaled: 'Retain' | 'Delete'}
  }
  notes: PodNotes
}

/** One of a StatefulSet's volumeClaimTemplates: each ordinal gets a claim NAME-STATEFULSET-ORDINAL. */
export interface ClaimTemplate {
  name: string
  labels: Record<string, string>
  annotations: Record<string, string>
  accessModes: string[]
  /** Requested storage in bytes. */
  storage: number
  /** Absent: the default class; '': no class. */
  storageClassName?: string
  selector?: LabelSelector
  volumeMode: 'Filesystem' | 'Block'
  source: SourcePos
}

/** One entry of a LimitRange, with Kubernetes' defaulting done (default from max, defaultRequest from default or min). */
export interface LimitRangeItem {
  type: 'Container' | 'Pod' | 'PersistentVolumeClaim'
  min: Resources
  max: Resources
  /** Default limits. */
  default: Resources
  defaultRequest: Resources
  /** limit / request, as a plain ratio (not millicores). */
  maxLimitRequestRatio: Resources
  /** Where the item is written, for messages. */
  source: SourcePos
}

export interface LimitRangeObject extends Sourced {
  kind: 'LimitRange'
  apiVersion: string
  metadata: ObjectMeta
  spec: {limits: LimitRangeItem[]}
}

/** Quota scopes kgit enforces (every kgit pod is NotTerminating: activeDeadlineSeconds is not run). */
export type QuotaScope = 'BestEffort' | 'NotBestEffort' | 'Terminating' | 'NotTerminating'

export interface ResourceQuotaObject extends Sourced {
  kind: 'ResourceQuota'
  apiVersion: string
  metadata: ObjectMeta
  /** hard: `requests.cpu` in millicores, memory in bytes, counts otherwise. */
  spec: {hard: Resources; scopes: QuotaScope[]}
  /** Set when the quota uses scopes kgit cannot tell (PriorityClass...): it is then not enforced. */
  unenforced?: string
}

/** A NetworkPolicy (networking.k8s.io/v1; extensions/v1beta1 is read as v1), defaulted as the API server does. */
export interface NetworkPolicyObject extends Sourced {
  kind: 'NetworkPolicy'
  apiVersion: string
  metadata: ObjectMeta
  spec: {
    /** The pods of the policy's namespace it applies to; {} selects them all. */
    podSelector: LabelSelector
    /** Defaulted: Ingress always, Egress too when spec.egress has rules. */
    policyTypes: PolicyType[]
    ingress: {from: NetworkPolicyPeer[]; ports: NetworkPolicyPort[]}[]
    egress: {to: NetworkPolicyPeer[]; ports: NetworkPolicyPort[]}[]
  }
}

export type PolicyType = 'Ingress' | 'Egress'

/** One peer: pods (podSelector and/or namespaceSelector, ANDed) or an ipBlock, never both. */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector
  namespaceSelector?: LabelSelector
  /** IPv4 CIDRs, host bits cleared; every `except` is a strict subset of `cidr`. */
  ipBlock?: {cidr: string; except: string[]}
}

/** A port (or range with endPort) of the destination pod; no port: every port of the protocol. */
export interface NetworkPolicyPort {
  protocol: 'TCP' | 'UDP' | 'SCTP'
  /** A number, or the name of a container port of the destination pod. */
  port?: number | string
  /** Only with a numeric port. */
  endPort?: number
}

export type KObject = NamespaceObject | PodObject | DeploymentObject | ReplicaSetObject | DaemonSetObject | StatefulSetObject | JobObject | CronJobObject | ConfigMapObject | ServiceAccountObject | SecretObject | LimitRangeObject | ResourceQuotaObject | StorageObject | NetworkPolicyObject | RbacObject | ServiceObject | PodSecurityPolicyObject

/** One port of a Service, defaulted (protocol TCP, targetPort = port). */
export interface ServicePort {
  /** '' only when the Service has a single port. */
  name: string
  protocol: 'TCP' | 'UDP' | 'SCTP'
  port: number
  /** A number, or the name of a container port (looked up per pod). */
  targetPort: number | string
  /** Given in git (NodePort only); absent: allocated (controllers/service-ips.ts). */
  nodePort?: number
}

/** A Service (v1). Its ClusterIP and unset nodePorts are allocated when the cluster is known. */
export interface ServiceObject extends Sourced {
  kind: 'Service'
  apiVersion: string
  metadata: ObjectMeta
  spec: {
    type: 'ClusterIP' | 'NodePort' | 'ExternalName'
    /** Absent: kgit manages no endpoints for it. */
    selector?: Record<string, string>
    ports: ServicePort[]
    /** '' : allocate one; 'None': headless; otherwise an IPv4 address asked for in git. */
    clusterIP: string
    externalName?: string
    sessionAffinity: 'None' | 'ClientIP'
    /** sessionAffinityConfig.clientIP.timeoutSeconds (10800 unless given), used with ClientIP. */
    affinityTimeoutSeconds: number
    publishNotReadyAddresses: boolean
    /** Recorded as written; kgit routes both policies as Cluster. */
    externalTrafficPolicy?: 'Cluster' | 'Local'
    internalTrafficPolicy: 'Cluster' | 'Local'
  }
}

export type AccessMode = 'ReadWriteOnce' | 'ReadOnlyMany' | 'ReadWriteMany' | 'ReadWriteOncePod'

/** Where a PersistentVolume's data is: a path of the node, a local disk of one node, or an NFS export. */
export type PvSource = {hostPath: {path: string; type: HostPathType}} | {local: {path: string}} | {nfs: {server: string; path: string; readOnly: boolean}}

/** A PersistentVolume (v1; cluster-scoped: metadata.namespace is ''). */
export interface PersistentVolumeObject extends Sourced {
  kind: 'PersistentVolume'
  apiVersion: string
  metadata: ObjectMeta
  spec: {
    /** Bytes. */
    capacity: number
    accessModes: AccessMode[]
    reclaimPolicy: 'Retain' | 'Delete' | 'Recycle'
    /** '' : no class. */
    storageClassName: string
    source: PvSource
    /** Required node affinity terms (ORed): the nodes that can reach the volume. */
    nodeAffinity?: NodeSelectorTerm[]
    /** Pre-bound to this claim. */
    claimRef?: {namespace: string; name: string}
  }
}

/** A PersistentVolumeClaim (v1), read from git or made by a controller (StatefulSet volumeClaimTemplates). */
export interface PersistentVolumeClaimObject extends Sourced {
  kind: 'PersistentVolumeClaim'
  apiVersion: string
  metadata: ObjectMeta
  spec: {
    accessModes: AccessMode[]
    /** resources.requests.storage, bytes. */
    request: number
    /** Absent: the default class (DefaultStorageClass admission), or no class when none is default; '': no class. */
    storageClassName?: string
    volumeName?: string
    selector?: LabelSelector
  }
  /** Made from a StatefulSet's volumeClaimTemplates (not in git): its owner and whenDeleted. */
  owner?: {kind: 'StatefulSet'; name: string; retainOnDelete: boolean}
}

/** A StorageClass (storage.k8s.io/v1; cluster-scoped). */
export interface StorageClassObject extends Sourced {
  kind: 'StorageClass'
  apiVersion: string
  metadata: ObjectMeta
  provisioner: string
  reclaimPolicy: 'Retain' | 'Delete'
  volumeBindingMode: 'Immediate' | 'WaitForFirstConsumer'
  /** Annotation storageclass.kubernetes.io/is-default-class: "true". */
  isDefault: boolean
  parameters: Record<string, string>
}

export type StorageObject = PersistentVolumeObject | PersistentVolumeClaimObject | StorageClassObject

/**
 * What a pod's claim volume mounts, once its claim is bound (controllers/claims.ts):
 * filled in by the plan, never part of the spec hash.
 */
export interface ClaimMount {
  /** `namespace/claim`. */
  claim: string
  pv: string
  /** A provisioned volume lives at dataDir/volumes/NAMESPACE/CLAIM of its node. */
  source: PvSource | {provisioned: true}
  /** The volume itself is read-only (nfs readOnly). */
  readOnly: boolean
  /** The mark written at dataDir/claims/NAMESPACE/CLAIM of the node as the pod starts (one line of JSON). */
  mark: ClaimMark
}

/** A node's mark of a bound claim (dataDir/claims/NAMESPACE/CLAIM): how the nodes remember bindings. */
export interface ClaimMark {
  namespace: string
  claim: string
  pv: string
  /** kgit made its directory (dataDir/volumes/NAMESPACE/CLAIM); it may delete it. */
  provisioned?: boolean
  /** Hash of the static PV object it was bound to: a changed PV is Available again. */
  pvHash?: string
  storageClass: string
  capacity: number
  accessModes: AccessMode[]
  reclaimPolicy: 'Retain' | 'Delete' | 'Recycle'
  /** ISO time of the first mark (provisioning). */
  created?: string
  /** `StatefulSet/NAME` for a claim made from its volumeClaimTemplates. */
  owner?: string
  /** Such a claim outlives its StatefulSet (persistentVolumeClaimRetentionPolicy.whenDeleted: Retain, the default). */
  retain?: boolean
}
/** A CronJob (batch/v1): a Job made from `jobTemplate` at each time of `schedule` (ADR 0012). */
export interface CronJobObject extends Sourced {
  kind: 'CronJob'
  apiVersion: string
  metadata: ObjectMeta
  spec: {
    /** Five cron fields, or @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly. */
    schedule: string
    /** IANA name; absent: UTC (kgit has no controller-manager local time to fall back to). */
    timeZone?: string
    concurrencyPolicy: 'Allow' | 'Forbid' | 'Replace'
    startingDeadlineSeconds?: number
    suspend: boolean
    successfulJobsHistoryLimit: number
    failedJobsHistoryLimit: number
    /** The Job each schedule makes, named '' (a child is NAME-MINUTES). */
    jobTemplate: JobObject
  }
  /** The job template's pod notes (env to resolve, unsupported features). */
  notes: PodNotes
}

/** A Job (batch/v1): pods that run to completion, retried up to backoffLimit (ADR 0010). */
export interface JobObject extends Sourced {
  kind: 'Job'
  apiVersion: string
  metadata: ObjectMeta
  spec: {
    /** Successful pods needed; null: a work queue (done when one pod succeeded and none runs). */
    completions: number | null
    parallelism: number
    backoffLimit: number
    activeDeadlineSeconds?: number
    ttlSecondsAfterFinished?: number
    template: PodTemplate
  }
  notes: PodNotes
}


/** What git says the cluster should be, at one commit. */
export interface Desired {
  revision: string
  cluster: ClusterSpec
  objects: KObject[]
}

/** A reference to the object that owns a pod. */
export interface OwnerRef {
  kind: string
  name: string
}

/** One pod kgit wants to run: a name, an owner and a fully defaulted spec. */
export interface DesiredPod {
  namespace: string
  name: string
  owner?: OwnerRef
  labels: Record<string, string>
  /** Hash of the pod template (Deployment pods) — part of their names. */
  templateHash?: string
  /** Hash of everything that makes the pod what it is; a change means replace. */
  specHash: string
  spec: PodSpec
  source: SourcePos
  /** Features kgit cannot run yet (not part of the spec hash). */
  unsupported?: string[]
  /** Its object says `kgit.dev/prune: disabled`. */
  keep?: boolean
  /** Claim volumes, by pod volume name, as bound (set by the plan). */
  claims?: Record<string, ClaimMount>
  /** Why its claims keep it from starting (an unbound claim...). */
  blocked?: string
  /** Nodes its volumes can be reached from (required terms, ORed), ANDed with its own affinity when scheduled. */
  volumePin?: NodeSelectorTerm[]
  /** restartPolicy OnFailure: podman restarts a failed container at most this many times (a Job's backoffLimit). */
  restartLimit?: number
  /** Its address on the pod network, picked by the plan from its node's slice. */
  ip?: string
  /** Kubernetes' Service environment variables (`WEB_SERVICE_HOST`...), as of when it starts (not part of its spec). */
  serviceEnv?: {name: string; value: string}[]
  /** Files of its configMap and secret volumes, and its secret env files (set by the plan; not part of the spec hash). */
  files?: PodFiles
}

/** One file of a configMap or secret volume: path inside the volume, mode, bytes. */
export interface PodFile {
  path: string
  mode: number
  data: Uint8Array | SecretBytes
}

/** What kgit writes for a pod under dataDir/pod-files on its node (argv/pod-files.ts). */
export interface PodFiles {
  volumes: {name: string; files: PodFile[]}[]
  /** container name -> its env file (`NAME=VALUE` lines) of secret variables. */
  env: {container: string; text: SecretBytes}[]
  /** Registry credentials merged from the pod's imagePullSecrets (podman --authfile). */
  auth?: SecretBytes
  /** Hash of the volumes' files and credentials (secret values through their digest): a change updates the files in place. */
  hash: string
  /** Hash of the env files: a change replaces the pod (a running process's env cannot change). */
  envHash: string
}

/** A replica group: N interchangeable pods from one template. */
export interface PodGroup {
  namespace: string
  owner: OwnerRef
  /** Name prefix of the pods: `<deployment>-<templateHash>`. */
  prefix: string
  templateHash: string
  replicas: number
  template: DesiredPod
  /** Deployments roll from template to template; a ReplicaSet keeps the pods it has. */
  rollout?: {strategy: DeploymentStrategy; minReadySeconds: number; progressDeadlineSeconds: number; paused: boolean}
}

/** A container kgit finds on a node (from podman, filtered by kgit's labels). */
export interface ObservedContainer {
  name: string
  container: string
  /** podman's container ID. */
  id?: string
  /** Running, and its readiness probe (if any) passes. */
  ready?: boolean
  /** Its liveness probe is restarting it right now. */
  restarting?: boolean
  state: string
  exitCode?: number
  startedAt?: number
  /** When it last exited (ms, this machine's clock). */
  finishedAt?: number
  /** Times podman restarted it (restartPolicy OnFailure only; others are not asked). */
  restarts?: number
}

/** A pod kgit finds on a node. */
export interface ObservedPod {
  node: string
  podmanName: string
  namespace: string
  name: string
  owner?: OwnerRef
  templateHash?: string
  specHash: string
  labels: Record<string, string>
  status: string
  created: string
  containers: ObservedContainer[]
  /** terminationGracePeriodSeconds it was started with. */
  grace?: number
  /** All containers run and every readiness probe passes (Kubernetes' Ready condition). */
  ready?: boolean
  /** Since when (ms, this machine's clock) it has been ready. */
  readySince?: number
  /** Why it is not ready, for reports. */
  notReady?: string
  /** It differs from what kgit started, by hand or by accident: what differs. */
  drift?: string
  /** Containers restarted by a failing liveness probe. */
  restarts?: number
  /** Known only from the records: its node does not answer. */
  unknown?: true
  /** Annotation kgit.dev/prune: disabled on its object when it was started. */
  keep?: boolean
  /** The pod spec it was started with (label kgit.dev/spec), for diffs. */
  spec?: PodSpec
  /** Its address on the pod network (label kgit.dev/ip); absent for a pod started before kgit had one. */
  ip?: string
  /** `FILESHASH ENVHASH` of the files kgit wrote for it (dataDir/pod-files/POD/hash). */
  filesHash?: string
}

/** A container or pod carrying kgit's labels that kgit did not start (drift to revert). */
export interface StrayContainer {
  node: string
  id: string
  /** Set for an infra container: the pod it stands for goes as a whole. */
  pod?: string
  name: string
  reason: string
}

export type NodeObservation =
  | {node: string; reachable: true; pods: ObservedPod[]; strays?: StrayContainer[]; record?: NodeRecord; /** What the node reports it has (cpu, memory). */ capacity?: Resources; /** Claims bound on this node (dataDir/claims). */ claims?: ClaimMark[]; /** kgit's pod network on the node. */ net?: NodeNet}
  | {node: string; reachable: false; reason: string; /** Set when another kgit run holds the node's lock (its holder file, maybe empty). */ lockedBy?: string}

/** What a node says of kgit's pod network on it (ADR 0017). */
export interface NodeNet {
  /** Its slice of podCIDR (dataDir/net/slice), once kgit made its pod network. */
  slice?: string
  /** Hash of the network state kgit last wrote there (dataDir/net/state). */
  state?: string
  /** The hash in kgit's KGIT-STATE chain of the nat and filter tables ('' when the chain is gone). */
  tables?: {nat: string; filter: string}
  /** Its gateway routes (/proc/net/route): destination CIDR -> gateway. */
  routes?: {dest: string; via: string}[]
  /** The jump targets of the first rules of filter FORWARD, in order (kgit's hooks must lead). */
  forward?: string[]
}

export interface Observed {
  nodes: NodeObservation[]
  /** When it was read (ms); time-based decisions (minReadySeconds, grace periods) use it. */
  at?: number
}

/**
 * What every node holds after an apply (dataDir/record.json): which commit the cluster
 * runs, who made it and when, where each pod runs, and since when nodes do not answer.
 * Each node holds the commit and times, its own pods and those of its next RECORD_PEERS
 * nodes (plan/records.ts), so a node that stops answering is told about by those before it.
 */
export interface NodeRecord {
  commit: string
  /** When this record was written (ISO): of several, the newest counts. */
  writtenAt: string
  /** When this commit was applied (ISO), and by whom. */
  appliedAt: string
  appliedBy: string
  /** The commit's author and subject, from git. */
  author: string
  subject: string
  /** node -> its pods (`namespace/name`) with owner, as of the last apply. */
  pods: Record<string, {name: string; namespace: string; owner?: string; templateHash?: string}[]>
  /** node -> ISO time kgit first found it unreachable. */
  unreachableSince: Record<string, string>
  /** node -> NoExecute taint (`key=value:NoExecute`) -> ISO time kgit first applied with it: tolerationSeconds count from there. */
  taintedSince?: Record<string, Record<string, string>>
  /** The nodes of kgit.yaml when it was written: an older record's word on any other node is stale. */
  nodes?: string[]
  /** node -> its slice of podCIDR: a node that does not answer keeps its slice (ADR 0017). */
  podCIDRs?: Record<string, string>
  /** `namespace/name` -> a Service's cluster IP, and `namespace/name:port` -> its nodePort: kept while the Service is (ADR 0013). */
  clusterIPs?: Record<string, string>
  nodePorts?: Record<string, number>
  /** `namespace/name` -> how the Job's run ended: a finished run is never started again (ADR 0010). */
  jobs?: Record<string, JobMark>
  /** `namespace/name` -> a CronJob's schedule state and children: a fresh clone never runs a schedule again (ADR 0012). */
  cronJobs?: Record<string, CronMark>
}

/** What the records keep of a CronJob (Kubernetes keeps it in the CronJob's status). */
export interface CronMark {
  /** When kgit first applied it (ISO; Kubernetes' creationTimestamp): the earliest schedule that may run is after it. */
  since: string
  /** The last schedule a child was made for (ISO). */
  lastScheduleTime?: string
  /** The newest completion of a child that succeeded (ISO). */
  lastSuccessfulTime?: string
  /** Its child Jobs, oldest schedule first; their ends are in `jobs` under `namespace/CHILD`. */
  children: CronChild[]
}

export interface CronChild {
  /** `NAME-MINUTES`, MINUTES the scheduled time in minutes since the epoch (as Kubernetes names them). */
  name: string
  /** The scheduled time (ISO). */
  scheduled: string
  /** The hash of the Job it was made from: a later jobTemplate change never changes a child that exists. */
  hash: string
}

/** A finished run of a Job, kept in every node's record. */
export interface JobMark {
  /** The run: hash of the pod template and completions. */
  hash: string
  result: 'Complete' | 'Failed'
  reason?: string
  succeeded: number
  failed: number
  /** ISO times. */
  startTime: string
  completionTime: string
}

/** A pod as the pod network sees it (Services and NetworkPolicy): where it runs, its address, labels, readiness and ports. */
export interface NetPod {
  namespace: string
  name: string
  node: string
  /** Its address on the pod network (the node's slice of spec.network.podCIDR). */
  ip: string
  labels: Record<string, string>
  /** Kubernetes' Ready condition: only ready pods are Service endpoints. */
  ready: boolean
  /** Its containers' ports, for named targetPorts and named NetworkPolicy ports. */
  ports: {name?: string; containerPort: number; protocol: 'TCP' | 'UDP' | 'SCTP'}[]
  /** spec.hostname and spec.subdomain (StatefulSet pods: POD.SVC names). */
  hostname?: string
  subdomain?: string
}

/**
 * One rule of a Role or ClusterRole (rbac.authorization.k8s.io/v1). Absent lists are empty:
 * an empty resourceNames means every name.
 */
export interface PolicyRule {
  verbs: string[]
  apiGroups: string[]
  resources: string[]
  resourceNames: string[]
  nonResourceURLs: string[]
}

/** A Role: rules that hold in its own namespace only. */
export interface RoleObject extends Sourced {
  kind: 'Role'
  apiVersion: string
  metadata: ObjectMeta
  rules: PolicyRule[]
}

/**
 * A ClusterRole (cluster-scoped). With an aggregationRule its rules are those of the
 * ClusterRoles its selectors match (admission/rbac.ts resolves them), not its own.
 */
export interface ClusterRoleObject extends Sourced {
  kind: 'ClusterRole'
  apiVersion: string
  metadata: ObjectMeta
  rules: PolicyRule[]
  aggregationRule?: {clusterRoleSelectors: LabelSelector[]}
}

/** Who a binding grants to. A ServiceAccount subject of a RoleBinding defaults to the binding's namespace. */
export interface RbacSubject {
  kind: 'User' | 'Group' | 'ServiceAccount'
  name: string
  /** ServiceAccount only. */
  namespace?: string
  /** rbac.authorization.k8s.io for User and Group, '' for ServiceAccount. */
  apiGroup: string
}

export interface RoleRef {
  apiGroup: 'rbac.authorization.k8s.io'
  kind: 'Role' | 'ClusterRole'
  name: string
}

/** A RoleBinding: grants a Role of its namespace, or a ClusterRole, in its namespace only. */
export interface RoleBindingObject extends Sourced {
  kind: 'RoleBinding'
  apiVersion: string
  metadata: ObjectMeta
  subjects: RbacSubject[]
  roleRef: RoleRef
}

/** A ClusterRoleBinding: grants a ClusterRole in every namespace and for non-resource URLs. */
export interface ClusterRoleBindingObject extends Sourced {
  kind: 'ClusterRoleBinding'
  apiVersion: string
  metadata: ObjectMeta
  subjects: RbacSubject[]
  roleRef: RoleRef & {kind: 'ClusterRole'}
}

export type RbacObject = RoleObject | ClusterRoleObject | RoleBindingObject | ClusterRoleBindingObject

/** A range of IDs or ports, both ends included. */
export interface IdRange {
  min: number
  max: number
}

/** A rule of a PodSecurityPolicy on user or group IDs (`ranges` only for MustRunAs and MayRunAs). */
export interface IdRule<R extends string> {
  rule: R
  ranges: IdRange[]
}

/**
 * A PodSecurityPolicy (policy/v1beta1; extensions/v1beta1 read as policy/v1beta1), with
 * Kubernetes' defaults: cluster-scoped, checked by the PodSecurityPolicy admission plugin.
 */
export interface PodSecurityPolicyObject extends Sourced {
  kind: 'PodSecurityPolicy'
  apiVersion: string
  metadata: ObjectMeta
  spec: {
    privileged: boolean
    defaultAddCapabilities: string[]
    requiredDropCapabilities: string[]
    allowedCapabilities: string[]
    /** Volume types (`configMap`, `hostPath`...), `*` for any. */
    volumes: string[]
    hostNetwork: boolean
    hostPID: boolean
    hostIPC: boolean
    hostPorts: IdRange[]
    allowedHostPaths: {pathPrefix: string; readOnly: boolean}[]
    seLinux: {rule: 'MustRunAs' | 'RunAsAny'; seLinuxOptions?: SELinuxOptions}
    runAsUser: IdRule<'MustRunAs' | 'MustRunAsNonRoot' | 'RunAsAny'>
    /** Absent: any group. */
    runAsGroup?: IdRule<'MustRunAs' | 'MayRunAs' | 'RunAsAny'>
    supplementalGroups: IdRule<'MustRunAs' | 'MayRunAs' | 'RunAsAny'>
    fsGroup: IdRule<'MustRunAs' | 'MayRunAs' | 'RunAsAny'>
    readOnlyRootFilesystem: boolean
    /** Default true. */
    allowPrivilegeEscalation: boolean
    defaultAllowPrivilegeEscalation?: boolean
  }
}
