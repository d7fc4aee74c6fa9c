import type {ManifestError} from '../errors.js'
import type {SourcePos} from '../errors.js'
import type {ContainerEnvSources, ContainerPort, ContainerSpec, DeploymentObject, DeploymentStrategy, KObject, NamespaceObject, ObjectMeta, PodNotes, PodObject, PodSpec, PodTemplate} from '../types.js'
import {readConfigMap} from './config-map.js'
import {readSecret} from './secret.js'
import {readPodAccount, readServiceAccount} from './service-account.js'
import {readDaemonSet} from './daemon-set.js'
import {readStatefulSet} from './stateful-set.js'
import {readEnv} from './env.js'
import {readJob} from './job.js'
import {readCronJob} from './cron-job.js'
import {DNS1123_LABEL, DNS1123_SUBDOMAIN, FieldReader} from './field-reader.js'
import {checkLabels, selectorMatches, type LabelSelector} from './labels.js'
import {podFeatures} from './pod-features.js'
import {readProbe} from './probes.js'
import {readContainerResources, readScheduling} from './scheduling.js'
import {readReplicaSet} from './replica-set.js'
import {readLimitRange, readResourceQuota} from './resource-policy.js'
import {readNetworkPolicy} from './network-policy.js'
import {readVolumeMounts, readVolumes} from './volumes.js'
import {checkGroupWithoutUser, readHostNamespaces, readPodSecurityContext, readSecurityContext} from './security-context.js'
import {readStorageObject} from './storage.js'
import {readRbacObject} from './rbac.js'
import {readService} from './service.js'
import {readPodSecurityPolicy} from './psp.js'
import type {ParsedDoc, PathPart} from './yaml-docs.js'
import {KGIT_KINDS} from './schema/kinds.js'

/** apiVersions Kubernetes has served for each kind kgit runs; all are read as the current one. */
export const SERVED_VERSIONS: Record<string, readonly string[]> = {
  Namespace: ['v1'],
  Pod: ['v1'],
  Deployment: ['apps/v1', 'apps/v1beta2', 'apps/v1beta1', 'extensions/v1beta1'],
  ReplicaSet: ['apps/v1', 'apps/v1beta2', 'extensions/v1beta1'],
  ReplicationController: ['v1'],
  DaemonSet: ['apps/v1', 'apps/v1beta2', 'extensions/v1beta1'],
  StatefulSet: ['apps/v1', 'apps/v1beta2', 'apps/v1beta1'],
  Job: ['batch/v1'],
  CronJob: ['batch/v1', 'batch/v1beta1', 'batch/v2alpha1'],
  ConfigMap: ['v1'],
  Secret: ['v1'],
  ServiceAccount: ['v1'],
  ResourceQuota: ['v1'],
  LimitRange: ['v1'],
  PersistentVolume: ['v1'],
  PersistentVolumeClaim: ['v1'],
  StorageClass: ['storage.k8s.io/v1', 'storage.k8s.io/v1beta1'],
  NetworkPolicy: ['networking.k8s.io/v1', 'extensions/v1beta1'],
  Role: KGIT_KINDS.Role!.served,
  ClusterRole: KGIT_KINDS.ClusterRole!.served,
  RoleBinding: KGIT_KINDS.RoleBinding!.served,
  ClusterRoleBinding: KGIT_KINDS.ClusterRoleBinding!.served,
  PodSecurityPolicy: KGIT_KINDS.PodSecurityPolicy!.served,
  Service: ['v1'],
}

export type ParseResult = {object?: KObject; skipped?: string; errors: ManifestError[]; warnings: string[]; /** A Secret's unencrypted values. */ plaintext?: SourcePos[]}

/** Turns one document into a typed, defaulted object, or reports why it cannot be one. */
export function parseObject(doc: ParsedDoc): ParseResult {
  const r = new FieldReader(doc)
  if (r.map([], {required: true}) === undefined) return {errors: r.errors, warnings: []}
  const apiVersion = r.str(['apiVersion'], {required: true})
  const kind = r.str(['kind'], {required: true})
  if (!apiVersion || !kind) return {errors: r.errors, warnings: []}
  const versions = SERVED_VERSIONS[kind]
  if (!versions) return {skipped: `kind ${kind} (${apiVersion}) is not supported by this version of kgit`, errors: r.errors, warnings: []}
  if (!versions.includes(apiVersion)) {
    r.fail(['apiVersion'], `${kind} is not served as "${apiVersion}" (use one of: ${versions.join(', ')})`)
    return {errors: r.errors, warnings: []}
  }
  const source = doc.posOf([])
  let object: KObject | undefined
  if (kind === 'Namespace') object = {kind, apiVersion, source, metadata: readMeta(r, false)} satisfies NamespaceObject
  if (kind === 'Pod') object = {kind, apiVersion, source, metadata: readMeta(r, true), ...readPod(r, ['spec'])} satisfies PodObject
  if (kind === 'Deployment') object = readDeployment(r, apiVersion, source)
  if (kind === 'ReplicaSet' || kind === 'ReplicationController') object = readReplicaSet(r, kind, apiVersion, source, readMeta(r, true))
  if (kind === 'DaemonSet') object = readDaemonSet(r, apiVersion, source, readMeta(r, true))
  if (kind === 'StatefulSet') object = readStatefulSet(r, apiVersion, source, readMeta(r, true))
  if (kind === 'Job') object = readJob(r, apiVersion, source, readMeta(r, true))
  if (kind === 'CronJob') object = readCronJob(r, apiVersion, source, readMeta(r, true))
  if (kind === 'ConfigMap') object = readConfigMap(r, apiVersion, source, readMeta(r, true))
  if (kind === 'ServiceAccount') object = readServiceAccount(r, apiVersion, source, readMeta(r, true))
  if (kind === 'Secret') {
    const {object: secret, plaintext} = readSecret(r, apiVersion, source, readMeta(r, true))
    return r.errors.length > 0 ? {errors: r.errors, warnings: r.warnings} : {object: secret, errors: [], warnings: r.warnings, ...(plaintext.length > 0 ? {plaintext} : {})}
  }
  if (kind === 'ResourceQuota') object = readResourceQuota(r, apiVersion, source, readMeta(r, true))
  if (kind === 'LimitRange') object = readLimitRange(r, apiVersion, source, readMeta(r, true))
  if (kind === 'NetworkPolicy') object = readNetworkPolicy(r, source, readMeta(r, true))
  if (kind === 'Service') object = readService(r, apiVersion, source, readMeta(r, true))
  if (kind === 'PersistentVolume' || kind === 'PersistentVolumeClaim' || kind === 'StorageClass') object = readStorageObject(r, kind, apiVersion, source, readMeta(r, kind === 'PersistentVolumeClaim'))
  if (kind === 'Role' || kind === 'RoleBinding' || kind === 'ClusterRole' || kind === 'ClusterRoleBinding') object = readRbacObject(r, kind, source, readMeta(r, kind.startsWith('Role'), 'path-segment'))
  if (kind === 'PodSecurityPolicy') object = readPodSecurityPolicy(r, source, readMeta(r, false))
  return r.errors.length > 0 ? {errors: r.errors, warnings: r.warnings} : {object, errors: [], warnings: r.warnings}
}

/** A pod spec and what kgit learnt about it (features, references, env to resolve). */
export function readPod(r: FieldReader, base: PathPart[], claimVolumes?: ReadonlySet<string>): {spec: PodSpec; notes: PodNotes} {
  const env: ContainerEnvSources[] = []
  const spec = readPodSpec(r, base, env, claimVolumes)
  const notes = podFeatures(r, base)
  return {spec, notes: env.length > 0 ? {...notes, env} : notes}
}

/**
 * The template of a Deployment, ReplicaSet, ReplicationController, DaemonSet or
 * StatefulSet (whose volumeClaimTemplates are volumes its containers may mount).
 */
export function readTemplate(r: FieldReader, claimVolumes?: ReadonlySet<string>): {template: PodTemplate; notes: PodNotes} {
  const labels = r.strMap(['spec', 'template', 'metadata', 'labels'])
  checkLabels(r, ['spec', 'template', 'metadata', 'labels'], labels)
  const {spec, notes} = readPod(r, ['spec', 'template', 'spec'], claimVolumes)
  const template: PodTemplate = {metadata: {labels, annotations: r.strMap(['spec', 'template', 'metadata', 'annotations'])}, spec}
  return {template, notes}
}

/** Metadata; RBAC objects' names are path segments (`system:aggregate-to-edit`), others DNS names. */
function readMeta(r: FieldReader, namespaced: boolean, nameRule: 'dns' | 'path-segment' = 'dns'): ObjectMeta {
  r.map(['metadata'], {required: true})
  const name = nameRule === 'path-segment' ? readPathSegmentName(r) : r.str(['metadata', 'name'], {required: true, pattern: namespaced ? DNS1123_SUBDOMAIN : DNS1123_LABEL, patternMsg: `must be a DNS-1123 ${namespaced ? 'subdomain' : 'label'}: lowercase letters, digits and "-"${namespaced ? ' or "."' : ''}, starting and ending with a letter or digit`}) ?? ''
  if (nameRule === 'dns' && name.length > (namespaced ? 253 : 63)) r.fail(['metadata', 'name'], `must be at most ${namespaced ? 253 : 63} characters`)
  const namespace = namespaced
    ? r.str(['metadata', 'namespace'], {pattern: DNS1123_LABEL, patternMsg: 'must be a DNS-1123 label'}) ?? 'default'
    : ''
  if (!namespaced && r.get(['metadata', 'namespace']) !== undefined) r.fail(['metadata', 'namespace'], `${String(r.get(['kind']))} objects are cluster-scoped and take no namespace`)
  const labels = r.strMap(['metadata', 'labels'])
  checkLabels(r, ['metadata', 'labels'], labels)
  return {name, namespace, labels, annotations: r.strMap(['metadata', 'annotations'])}
}

/** apimachinery's path segment names: anything but "." and "..", without "/" or "%". */
function readPathSegmentName(r: FieldReader): string {
  const name = r.str(['metadata', 'name'], {required: true}) ?? ''
  if (name === '.' || name === '..') r.fail(['metadata', 'name'], `may not be '${name}'`)
  else if (/[/%]/.test(name)) r.fail(['metadata', 'name'], `may not contain '${name.includes('/') ? '/' : '%'}'`)
  return name
}

function readDeployment(r: FieldReader, apiVersion: string, source: DeploymentObject['source']): DeploymentObject {
  const metadata = readMeta(r, true)
  r.map(['spec'], {required: true})
  const replicas = r.int(['spec', 'replicas'], {min: 0, max: 100000}) ?? 1
  const {template, notes} = readTemplate(r)
  const tplLabels = template.metadata.labels
  if (template.spec.restartPolicy !== 'Always') r.fail(['spec', 'template', 'spec', 'restartPolicy'], `Unsupported value: "${template.spec.restartPolicy}": a Deployment's pods must use restartPolicy Always`)
  const legacy = apiVersion !== 'apps/v1'
  const given = r.map(['spec', 'selector'], {required: !legacy}) !== undefined
  // Before apps/v1 an absent selector defaulted to the template's labels.
  const matchLabels = given ? r.strMap(['spec', 'selector', 'matchLabels']) : tplLabels
  if (given || legacy) {
    const exprs = given ? (r.list(['spec', 'selector', 'matchExpressions']) ?? []) : []
    const selector = {matchLabels, matchExpressions: exprs as LabelSelector['matchExpressions']}
    if (Object.keys(matchLabels).length === 0 && exprs.length === 0) r.fail(['spec', 'selector'], 'empty selector is invalid for a Deployment')
    else if (!selectorMatches(selector, tplLabels)) r.fail(['spec', 'template', 'metadata', 'labels'], '`selector` does not match template `labels`')
  }
  const spec = {replicas, selector: {matchLabels}, template, strategy: readStrategy(r), ...deploymentDefaults(r, apiVersion)}
  return {kind: 'Deployment', apiVersion: 'apps/v1', source, metadata, spec, notes}
}

/** Kubernetes' defaults: RollingUpdate with 25% surge and 25% unavailable. */
function readStrategy(r: FieldReader): DeploymentStrategy {
  const type = r.str(['spec', 'strategy', 'type'], {oneOf: ['RollingUpdate', 'Recreate']}) ?? 'RollingUpdate'
  if (type === 'Recreate') {
    if (r.get(['spec', 'strategy', 'rollingUpdate']) !== undefined) r.fail(['spec', 'strategy', 'rollingUpdate'], 'Forbidden: may not be specified when strategy `type` is \'Recreate\'')
    return {type}
  }
  const value = (f: string): number | string => {
    const v = r.get(['spec', 'strategy', 'rollingUpdate', f])
    if (typeof v === 'string' && !/^[0-9]+%$/.test(v)) r.fail(['spec', 'strategy', 'rollingUpdate', f], `Invalid value: "${v}": a valid percent string must be a numeric string followed by an ending '%'`)
    return typeof v === 'number' || typeof v === 'string' ? v : '25%'
  }
  const rollingUpdate = {maxSurge: value('maxSurge'), maxUnavailable: value('maxUnavailable')}
  const zero = (v: number | string): boolean => v === 0 || v === '0%'
  if (zero(rollingUpdate.maxSurge) && zero(rollingUpdate.maxUnavailable)) r.fail(['spec', 'strategy', 'rollingUpdate', 'maxUnavailable'], 'Invalid value: 0: may not be 0 when `maxSurge` is 0')
  return {type: 'RollingUpdate', rollingUpdate}
}

/** The other defaulted fields; before apps/v1 revisionHistoryLimit and progressDeadlineSeconds were unset (unlimited). */
function deploymentDefaults(r: FieldReader, apiVersion: string): {minReadySeconds: number; revisionHistoryLimit: number; progressDeadlineSeconds: number; paused: boolean} {
  const legacy = apiVersion === 'extensions/v1beta1'
  return {
    minReadySeconds: r.int(['spec', 'minReadySeconds'], {min: 0}) ?? 0,
    revisionHistoryLimit: r.int(['spec', 'revisionHistoryLimit'], {min: 0}) ?? (legacy ? 2147483647 : 10),
    progressDeadlineSeconds: r.int(['spec', 'progressDeadlineSeconds'], {min: 1}) ?? (legacy ? 2147483647 : 600),
    paused: r.bool(['spec', 'paused']) ?? false,
  }
}

/**
 * A pod spec; containers whose env reads ConfigMaps add their env sources to `envOut`.
 * `claimVolumes`: names of a StatefulSet's volumeClaimTemplates, which mounts may name too.
 */
export function readPodSpec(r: FieldReader, base: PathPart[], envOut: ContainerEnvSources[] = [], claimVolumes?: ReadonlySet<string>): PodSpec {
  r.map(base, {required: true})
  const items = r.list([...base, 'containers'], {required: true}) ?? []
  if (r.get([...base, 'containers']) !== undefined && items.length === 0) r.fail([...base, 'containers'], 'must have at least one container')
  const {volumes, names: podVolumes} = readVolumes(r, base)
  const names = claimVolumes ? new Set([...podVolumes, ...claimVolumes]) : podVolumes
  const containers = items.map((_, i) => {
    const {container, sources} = readContainer(r, [...base, 'containers', i], base, names)
    if (sources) envOut.push({container: i, sources})
    return container
  })
  const seen = new Map<string, number>()
  containers.forEach((c, i) => {
    const prev = seen.get(c.name)
    if (c.name && prev !== undefined) r.fail([...base, 'containers', i, 'name'], `duplicate container name "${c.name}" (also containers[${prev}])`)
    seen.set(c.name, i)
  })
  checkHostPorts(r, base, containers)
  const securityContext = readPodSecurityContext(r, base)
  checkGroupWithoutUser(r, base, securityContext, containers)
  return {
    containers,
    restartPolicy: (r.str([...base, 'restartPolicy'], {oneOf: ['Always', 'OnFailure', 'Never']}) ?? 'Always') as PodSpec['restartPolicy'],
    terminationGracePeriodSeconds: r.int([...base, 'terminationGracePeriodSeconds'], {min: 0}) ?? 30,
    ...(r.str([...base, 'hostname'], {pattern: DNS1123_LABEL, patternMsg: 'must be a DNS-1123 label'}) !== undefined ? {hostname: r.get([...base, 'hostname']) as string} : {}),
    ...(volumes.length > 0 ? {volumes} : {}),
    ...readPullSecrets(r, base),
    ...readPodAccount(r, base),
    ...readScheduling(r, base),
    ...(securityContext ? {securityContext} : {}),
    ...readHostNamespaces(r, base),
  }
}

/** `imagePullSecrets: [{name}]`, kept only when given (spec hashes of other pods stay as they were). */
function readPullSecrets(r: FieldReader, base: PathPart[]): {imagePullSecrets?: string[]} {
  const items = r.list([...base, 'imagePullSecrets'])
  if (!items?.length) return {}
  return {imagePullSecrets: items.map((_, i) => r.str([...base, 'imagePullSecrets', i, 'name'], {required: true}) ?? '')}
}

function readContainer(r: FieldReader, p: PathPart[], podBase: PathPart[], volumes: Set<string>): {container: ContainerSpec; sources?: ContainerEnvSources['sources']} {
  r.map(p)
  const name = r.str([...p, 'name'], {required: true, pattern: DNS1123_LABEL, patternMsg: 'must be a DNS-1123 label'}) ?? ''
  const image = r.str([...p, 'image'], {required: true}) ?? ''
  if (/\s/.test(image)) r.fail([...p, 'image'], 'must not contain spaces')
  const policy = r.str([...p, 'imagePullPolicy'], {oneOf: ['Always', 'IfNotPresent', 'Never']}) ?? defaultPullPolicy(image)
  const {env, sources} = readEnv(r, p, podBase)
  const c: ContainerSpec = {name, image, imagePullPolicy: policy as ContainerSpec['imagePullPolicy'], env, ports: readPorts(r, [...p, 'ports'])}
  const command = r.strList([...p, 'command'])
  const args = r.strList([...p, 'args'])
  const workingDir = r.str([...p, 'workingDir'])
  if (command) c.command = command
  if (args) c.args = args
  if (workingDir) c.workingDir = workingDir
  const mounts = readVolumeMounts(r, [...p, 'volumeMounts'], volumes)
  if (mounts?.length) c.volumeMounts = mounts
  const liveness = readProbe(r, [...p, 'livenessProbe'], c.ports, true)
  const readiness = readProbe(r, [...p, 'readinessProbe'], c.ports, false)
  if (liveness) c.livenessProbe = liveness
  if (readiness) c.readinessProbe = readiness
  const resources = readContainerResources(r, p)
  if (resources) c.resources = resources
  const securityContext = readSecurityContext(r, p)
  if (securityContext) c.securityContext = securityContext
  return sources ? {container: c, sources} : {container: c}
}

/** Kubernetes: `:latest` or no tag means Always, anything else IfNotPresent. */
export function defaultPullPolicy(image: string): string {
  if (image.includes('@')) return 'IfNotPresent'
  const last = image.split('/').pop() ?? image
  const tag = last.includes(':') ? last.split(':').pop() : undefined
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent'
}

function readPorts(r: FieldReader, p: PathPart[]): ContainerPort[] {
  const items = r.list(p) ?? []
  return items.map((_, i) => {
    const port: ContainerPort = {
      containerPort: r.int([...p, i, 'containerPort'], {required: true, min: 1, max: 65535}) ?? 0,
      protocol: (r.str([...p, i, 'protocol'], {oneOf: ['TCP', 'UDP', 'SCTP']}) ?? 'TCP') as ContainerPort['protocol'],
    }
    const hostPort = r.int([...p, i, 'hostPort'], {min: 1, max: 65535})
    const hostIP = r.str([...p, i, 'hostIP'])
    const name = r.str([...p, i, 'name'], {pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, patternMsg: 'must be an IANA service name (lowercase letters, digits, "-")'})
    if (hostPort !== undefined) port.hostPort = hostPort
    if (hostIP !== undefined) port.hostIP = hostIP
    if (name !== undefined) port.name = name
    return port
  })
}

function checkHostPorts(r: FieldReader, base: PathPart[], containers: ContainerSpec[]): void {
  const seen = new Set<string>()
  containers.forEach((c, ci) =>
    c.ports.forEach((port, pi) => {
      const key = `${port.containerPort}/${port.protocol}`
      if (seen.has(key)) r.fail([...base, 'containers', ci, 'ports', pi, 'containerPort'], `duplicate port ${key} in the pod`)
      seen.add(key)
    }),
  )
}
