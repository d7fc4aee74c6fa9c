import {isTerminated, podLimits, podRequests, qosClass} from '../facts/node-resources.js'
import {AdmissionError, formatPos, type SourcePos} from '../errors.js'
import {daemonFit} from '../controllers/daemon-set.js'
import {statefulClaims, statefulGroup, statefulPod} from '../controllers/stateful-set.js'
import {expandWorkloads} from '../controllers/workloads.js'
import {formatAmount} from '../manifest/quantity.js'
import type {Plan} from '../plan/plan.js'
import type {Desired, DesiredPod, KObject, Observed, ObservedPod, PersistentVolumeClaimObject, PodSpec, ResourceQuotaObject, Resources} from '../types.js'

/** A pod that runs and stays (its spec may be unknown: a pod on a node that does not answer). */
export interface PodInUse {
  namespace: string
  spec?: PodSpec
}

/** What a change adds and what it keeps. */
export interface QuotaChange {
  /** Pods that run now and stay: neither removed nor replaced. */
  staying: PodInUse[]
  /** Pods the change starts (new ones, and the new spec of replaced ones). */
  incoming: DesiredPod[]
}

/** How kgit counts one resource of `spec.hard`. */
export type Tracking = {by: 'pods'} | {by: 'storage'; storageClass?: string; count?: true} | {by: 'compute'; kind: 'requests' | 'limits'; resource: string} | {by: 'objects'; kinds: string[]} | {by: 'none'; why: string}

const OBJECT_COUNTS: Record<string, string[]> = {
  configmaps: ['ConfigMap'],
  replicationcontrollers: ['ReplicationController'],
  resourcequotas: ['ResourceQuota'],
  'count/configmaps': ['ConfigMap'],
  'count/replicationcontrollers': ['ReplicationController'],
  'count/resourcequotas': ['ResourceQuota'],
  'count/limitranges': ['LimitRange'],
  'count/deployments.apps': ['Deployment'],
  // Each Deployment has one current ReplicaSet (kgit keeps no old ones as objects).
  'count/replicasets.apps': ['ReplicaSet', 'Deployment'],
  'count/daemonsets.apps': ['DaemonSet'],
  'count/statefulsets.apps': ['StatefulSet'],
  persistentvolumeclaims: ['PersistentVolumeClaim'],
  'count/persistentvolumeclaims': ['PersistentVolumeClaim'],
  'count/jobs.batch': ['Job'],
}

/** Which resources of a quota kgit enforces, and how it counts them. */
export function quotaTracking(key: string): Tracking {
  if (key === 'pods' || key === 'count/pods') return {by: 'pods'}
  if (key === 'cpu' || key === 'memory' || key === 'ephemeral-storage') return {by: 'compute', kind: 'requests', resource: key}
  const m = /^(requests|limits)\.(.+)$/.exec(key)
  const storage = storageTracking(key)
  if (storage) return storage
  if (m && m[2] !== 'storage') return {by: 'compute', kind: m[1] as 'requests' | 'limits', resource: m[2]!}
  const kinds = OBJECT_COUNTS[key]
  if (kinds) return {by: 'objects', kinds}
  return {by: 'none', why: key.startsWith('count/') || /^(services|secrets|persistentvolumeclaims)/.test(key) ? 'kgit does not run that kind of object yet' : 'kgit does not track that resource'}
}

/** The amount of one quota resource a pod uses (the sum of its containers). */
export function podAmount(spec: PodSpec | undefined, key: string): number {
  const t = quotaTracking(key)
  if (t.by === 'pods') return 1
  if (t.by !== 'compute' || !spec) return 0
  return (t.kind === 'requests' ? podRequests(spec) : podLimits(spec))[t.resource] ?? 0
}

/** Kubernetes' QoS class BestEffort: no container requests or limits cpu or memory. */
function bestEffort(spec: PodSpec | undefined): boolean {
  return !spec || qosClass(spec) === 'BestEffort'
}

/** Whether a quota's scopes select a pod; every kgit pod is NotTerminating (activeDeadlineSeconds is not run). */
export function inScope(q: ResourceQuotaObject, spec: PodSpec | undefined): boolean {
  return q.spec.scopes.every((s) => (s === 'BestEffort' ? bestEffort(spec) : s === 'NotBestEffort' ? !bestEffort(spec) : s === 'NotTerminating'))
}

/** What the given pods use of each resource a quota tracks (pods and compute). */
export function podsUsage(q: ResourceQuotaObject, pods: PodInUse[]): Resources {
  const mine = pods.filter((p) => p.namespace === q.metadata.namespace && inScope(q, p.spec))
  const out: Resources = {}
  for (const key of Object.keys(q.spec.hard)) {
    const t = quotaTracking(key)
    if (t.by === 'pods' || t.by === 'compute') out[key] = mine.reduce((sum, p) => sum + podAmount(p.spec, key), 0)
  }
  return out
}

/** What a revision's objects use of each object count a quota tracks. */
export function objectUsage(q: ResourceQuotaObject, given: KObject[]): Resources {
  const out: Resources = {}
  // The claims a StatefulSet's volumeClaimTemplates give its ordinals count as Kubernetes counts the PVCs it makes.
  const objects = [...given, ...given.flatMap((o) => (o.kind === 'StatefulSet' ? statefulClaims(statefulGroup(o), []) : []))]
  for (const key of Object.keys(q.spec.hard)) {
    const t = quotaTracking(key)
    if (t.by === 'objects') out[key] = objects.filter((o) => o.metadata.namespace === q.metadata.namespace && t.kinds.includes(o.kind)).length
    if (t.by === 'storage') out[key] = claimsUsage(objects, q.metadata.namespace, t)
  }
  return out
}

/** requests.storage, and per class `CLASS.storageclass.storage.k8s.io/requests.storage` or `/persistentvolumeclaims`. */
function storageTracking(key: string): Tracking | undefined {
  if (key === 'requests.storage') return {by: 'storage'}
  const m = /^(.+)\.storageclass\.storage\.k8s\.io\/(requests\.storage|persistentvolumeclaims)$/.exec(key)
  if (!m) return undefined
  return m[2] === 'persistentvolumeclaims' ? {by: 'storage', storageClass: m[1]!, count: true} : {by: 'storage', storageClass: m[1]!}
}

/** Storage the namespace's claims request (or how many there are), of one class when asked; a claim without class counts in the default class. */
function claimsUsage(objects: KObject[], namespace: string, t: Extract<Tracking, {by: 'storage'}>): number {
  const dflt = objects.filter((o) => o.kind === 'StorageClass' && o.isDefault).map((o) => o.metadata.name).sort()[0] ?? ''
  const claims = objects.filter((o): o is PersistentVolumeClaimObject => o.kind === 'PersistentVolumeClaim' && o.metadata.namespace === namespace && (t.storageClass === undefined || (o.spec.storageClassName ?? dflt) === t.storageClass))
  return t.count ? claims.length : claims.reduce((sum, c) => sum + c.spec.request, 0)
}

function quotas(objects: KObject[]): ResourceQuotaObject[] {
  return objects.filter((o): o is ResourceQuotaObject => o.kind === 'ResourceQuota' && !o.unenforced)
}

/**
 * The ResourceQuota admission check on one step of a plan: in each namespace, the pods
 * that stay plus the pods the step starts must fit each quota's hard amounts, and a
 * quota that tracks a compute resource needs every new pod to say it. All violations
 * are returned; empty: the step is admitted.
 */
export function checkPlanQuotas(objects: KObject[], change: QuotaChange): AdmissionError[] {
  const errors: AdmissionError[] = []
  for (const q of quotas(objects)) {
    const incoming = change.incoming.filter((p) => p.namespace === q.metadata.namespace && inScope(q, p.spec))
    if (incoming.length === 0) continue
    errors.push(...mustSpecify(q, incoming))
    const used = podsUsage(q, change.staying)
    const requested = podsUsage(q, incoming)
    for (const [key, hard] of Object.entries(q.spec.hard)) {
      const [u, r] = [used[key], requested[key]]
      if (u === undefined || !r || u + r <= hard) continue
      errors.push(exceeded(q, `${key} requested ${formatAmount(key, r)}, used ${formatAmount(key, u)}, hard ${formatAmount(key, hard)}`))
    }
  }
  return errors
}

/**
 * The ResourceQuota check on a revision alone (no nodes): all the pods it runs and all
 * the objects it declares, per namespace, against each quota's hard amounts.
 */
export function checkRevisionQuotas(desired: Desired): AdmissionError[] {
  const qs = quotas(desired.objects)
  if (qs.length === 0) return []
  const pods = revisionPods(desired)
  const errors: AdmissionError[] = []
  for (const q of qs) {
    const mine = pods.filter((p) => p.namespace === q.metadata.namespace && inScope(q, p.spec))
    errors.push(...mustSpecify(q, mine))
    const requested = {...podsUsage(q, mine), ...objectUsage(q, desired.objects)}
    for (const [key, hard] of Object.entries(q.spec.hard)) {
      const r = requested[key]
      if (r !== undefined && r > hard) errors.push(exceeded(q, `${key} requested ${formatAmount(key, r)} by this revision, hard ${formatAmount(key, hard)}`))
    }
  }
  return errors
}

/** Every pod the revision runs (replicas of each template, a DaemonSet's pod per node that may run it, a StatefulSet's ordinals), not those kgit cannot run. */
function revisionPods(desired: Desired): DesiredPod[] {
  const {pods, groups, daemons, stateful, jobs} = expandWorkloads(desired)
  // A Job runs at most parallelism pods at once (fewer when fewer completions are needed).
  const jobPods = jobs.flatMap((j) => Array.from({length: Math.min(j.parallelism, j.completions ?? j.parallelism)}, () => j.template))
  const daemonPods = daemons.flatMap((d) => desired.cluster.nodes.filter((n) => !daemonFit(n, d.template.spec).run).map(() => d.template))
  const statefulPods = stateful.flatMap((s) => Array.from({length: s.replicas}, (_, i) => statefulPod(s, s.ordinalStart + i)))
  return [...pods, ...groups.flatMap((g) => Array.from({length: g.replicas}, () => g.template)), ...daemonPods, ...statefulPods, ...jobPods].filter((p) => !p.unsupported)
}

/** Kubernetes: a quota on requests.memory (or cpu, limits.*) refuses a pod whose containers do not say it. */
function mustSpecify(q: ResourceQuotaObject, pods: DesiredPod[]): AdmissionError[] {
  const out = new Map<string, AdmissionError>()
  for (const p of pods) {
    const missing: string[] = []
    for (const key of Object.keys(q.spec.hard)) {
      const t = quotaTracking(key)
      // Kubernetes asks it for cpu and memory only; other resources simply count what is given.
      if (t.by !== 'compute' || (t.resource !== 'cpu' && t.resource !== 'memory')) continue
      const names = p.spec.containers.filter((c) => c.resources?.[t.kind][t.resource] === undefined).map((c) => c.name)
      if (names.length > 0) missing.push(`${key} for: ${names.join(',')}`)
    }
    const who = p.owner ? `the pods of ${p.owner.kind} ${p.namespace}/${p.owner.name}` : `pod ${p.namespace}/${p.name}`
    const msg = `${named(q)}: ${who} (${where(p.source)}) must specify ${missing.join('; ')}`
    if (missing.length > 0 && !out.has(msg)) out.set(msg, new AdmissionError(p.source, msg))
  }
  return [...out.values()]
}

function exceeded(q: ResourceQuotaObject, detail: string): AdmissionError {
  return new AdmissionError(q.source, `${named(q)}: exceeded quota in namespace ${q.metadata.namespace}: ${detail}`)
}

function named(q: ResourceQuotaObject): string {
  return `ResourceQuota ${q.metadata.namespace}/${q.metadata.name} (${where(q.source)})`
}

function where(pos: SourcePos): string {
  return formatPos({file: pos.file, ...(pos.line !== undefined ? {line: pos.line} : {})})
}

/**
 * What a plan step changes: pods that run now (on nodes that answer, and those counted
 * as running on nodes that do not) minus those it removes or replaces stay; the pods
 * it creates, and replaced pods' new specs, come in.
 */
export function planQuotaChange(plan: Plan, observed: Observed): QuotaChange {
  const gone = new Set<string>()
  const incoming: DesiredPod[] = []
  for (const a of plan.actions) {
    if (a.type === 'delete' || a.type === 'replace') gone.add(`${a.node}/${a.old.podmanName}/${a.old.namespace}/${a.old.name}`)
    if (a.type === 'create' || a.type === 'replace') incoming.push(a.pod)
  }
  return {staying: podsInUse(observed, plan.held, (p) => !gone.has(`${p.node}/${p.podmanName}/${p.namespace}/${p.name}`)), incoming}
}

/** The pods that count against quotas now: those the nodes run (and `held` ones), except pods that ran to completion, as in Kubernetes. */
export function podsInUse(observed: Observed, held: ObservedPod[] = [], keep: (p: ObservedPod) => boolean = () => true): PodInUse[] {
  const live = [...observed.nodes.flatMap((n) => (n.reachable ? n.pods : [])), ...held]
  return live.filter((p) => !isTerminated(p) && keep(p)).map((p) => ({namespace: p.namespace, ...(p.spec ? {spec: p.spec} : {})}))
}
