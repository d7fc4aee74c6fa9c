import {PRUNE_ANNOTATION} from '../marks.js'
import {byText} from '../order.js'
import type {ClaimMark, ClaimTemplate, DesiredPod, ObservedPod, OwnerRef, PersistentVolumeClaimObject, PodSpec, StatefulSetObject} from '../types.js'
import {podTemplateHash, specHash} from './hash.js'
import {isAvailable, rolloutStatus, type RolloutStatus} from './rollout.js'

/** A StatefulSet as the planner sees it: a template and the ordinals it wants. */
export interface StatefulGroup {
  namespace: string
  owner: OwnerRef
  templateHash: string
  /** The pod of the template, without its name (see statefulPod). */
  template: DesiredPod
  replicas: number
  ordinalStart: number
  policy: 'OrderedReady' | 'Parallel'
  strategy: StatefulSetObject['spec']['updateStrategy']
  minReadySeconds: number
  serviceName: string
  claims: ClaimTemplate[]
  retention: StatefulSetObject['spec']['retention']
  /** The selector's matchLabels: Kubernetes copies them onto the claims it makes. */
  selectorLabels: Record<string, string>
}

/** StatefulSets have no progress deadline in Kubernetes; kgit stops waiting for their pods after this many seconds. */
export const STATEFUL_PROGRESS_DEADLINE = 600

export function statefulGroup(o: StatefulSetObject): StatefulGroup {
  const tpl = o.spec.template
  const templateHash = podTemplateHash(tpl)
  const {namespace, name} = o.metadata
  const owner = {kind: 'StatefulSet', name}
  const template: DesiredPod = {namespace, name: '', owner, labels: tpl.metadata.labels, templateHash, spec: tpl.spec, specHash: '', source: o.source}
  if (o.notes.unsupported.length > 0) template.unsupported = o.notes.unsupported
  if (o.metadata.annotations[PRUNE_ANNOTATION] === 'disabled') template.keep = true
  const s = o.spec
  return {namespace, owner, templateHash, template, replicas: s.replicas, ordinalStart: s.ordinalStart, policy: s.podManagementPolicy, strategy: s.updateStrategy, minReadySeconds: s.minReadySeconds, serviceName: s.serviceName, claims: s.volumeClaimTemplates, retention: s.retention, selectorLabels: s.selector.matchLabels ?? {}}
}

/** The claim of one ordinal made from a volumeClaimTemplate, as Kubernetes names it: TEMPLATE-STATEFULSET-ORDINAL. */
export function claimName(template: string, set: string, ordinal: number): string {
  return `${template}-${set}-${ordinal}`
}

/**
 * The pod of one ordinal: NAME-ORDINAL (also its hostname), with the labels the
 * Kubernetes StatefulSet controller sets, and its own claims mounted where the template
 * names them.
 */
export function statefulPod(g: StatefulGroup, ordinal: number): DesiredPod {
  const name = `${g.owner.name}-${ordinal}`
  const labels = {...g.template.labels, 'controller-revision-hash': `${g.owner.name}-${g.templateHash}`, 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(ordinal)}
  let spec: PodSpec = g.template.spec
  if (g.claims.length > 0) {
    // A claim template replaces a pod volume of its name, as Kubernetes does.
    const claimed = new Set(g.claims.map((c) => c.name))
    const volumes = [...(spec.volumes ?? []).filter((v) => !claimed.has(v.name)), ...g.claims.map((c) => ({name: c.name, persistentVolumeClaim: {claimName: claimName(c.name, g.owner.name, ordinal), readOnly: false}}))]
    spec = {...spec, volumes}
  }
  return {...g.template, name, labels, spec, specHash: specHash({labels, spec})}
}

/**
 * The claims the set's volumeClaimTemplates give its ordinals, as Kubernetes makes them:
 * one per template and ordinal in range, and (whenScaled: Retain, the default) those of
 * ordinals scaled away that still hold a volume on a node, so that their data waits for
 * them.
 */
export function statefulClaims(g: StatefulGroup, marks: readonly ClaimMark[]): PersistentVolumeClaimObject[] {
  const ordinals = new Set<number>()
  for (let n = g.ordinalStart; n < g.ordinalStart + g.replicas; n++) ordinals.add(n)
  const owner = `StatefulSet/${g.owner.name}`
  if (g.retention.whenScaled === 'Retain') {
    for (const m of marks) {
      if (m.namespace !== g.namespace || m.owner !== owner) continue
      for (const t of g.claims) {
        const n = m.claim.startsWith(`${t.name}-`) ? ordinalOf(g.owner.name, m.claim.slice(t.name.length + 1)) : undefined
        if (n !== undefined) ordinals.add(n)
      }
    }
  }
  return [...ordinals].sort((a, b) => a - b).flatMap((n) =>
    g.claims.map((t): PersistentVolumeClaimObject => {
      const spec: PersistentVolumeClaimObject['spec'] = {accessModes: t.accessModes as PersistentVolumeClaimObject['spec']['accessModes'], request: t.storage}
      if (t.storageClassName !== undefined) spec.storageClassName = t.storageClassName
      if (t.selector) spec.selector = t.selector
      return {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        metadata: {name: claimName(t.name, g.owner.name, n), namespace: g.namespace, labels: {...t.labels, ...g.selectorLabels}, annotations: t.annotations},
        spec,
        source: t.source,
        owner: {kind: 'StatefulSet', name: g.owner.name, retainOnDelete: g.retention.whenDeleted === 'Retain'},
      }
    }),
  )
}

/** The ordinal of a pod of the set (NAME-N), or undefined for a name that is not one. */
export function ordinalOf(set: string, pod: string): number | undefined {
  if (!pod.startsWith(`${set}-`)) return undefined
  const rest = pod.slice(set.length + 1)
  return /^(0|[1-9][0-9]{0,8})$/.test(rest) ? Number(rest) : undefined
}

export interface StatefulSetInput {
  set: StatefulGroup
  /** The set's pods on nodes that answer (claimable: not evicted, not drift). */
  pods: ObservedPod[]
  /** Pods of the set the nodes' records place on nodes that do not answer: name -> node. */
  away: ReadonlyMap<string, string>
  /** Nodes that do not answer and that no record tells about: any ordinal may run there. */
  unknown: readonly string[]
  /** Pods of the set this step removes from their node (evicted): started again once gone. */
  leaving: ReadonlySet<string>
  /** Where the records place each pod (name -> node): of two copies, that one stays. */
  recorded: ReadonlyMap<string, string>
  now: number
}

export interface StatefulSetStep {
  create: DesiredPod[]
  /** Pods that stay, with what they should be: a different specHash means replace (same name, same node). */
  keep: {pod: ObservedPod; want: DesiredPod}[]
  remove: {pod: ObservedPod; reason: string}[]
  /** Ordinals that are missing but may still run on a node that does not answer. */
  blocked: {pod: DesiredPod; reason: string}[]
  status: RolloutStatus
}

/**
 * One step of a StatefulSet, as the Kubernetes StatefulSet controller computes it from
 * what runs now: OrderedReady creates the next ordinal only when every lower one is
 * running and ready and removes the highest surplus ordinal first, one at a time;
 * Parallel does all at once. RollingUpdate replaces one pod at a time, from the highest
 * ordinal down to the partition, each once the ones above it are available again.
 * An ordinal is never started while a copy of it may run on a node that does not answer.
 */
export function statefulSetStep(d: StatefulSetInput): StatefulSetStep {
  const {set} = d
  const name = set.owner.name
  const out: Omit<StatefulSetStep, 'status'> = {create: [], keep: [], remove: [], blocked: []}
  const avail = (p: ObservedPod): boolean => isAvailable(p, set.minReadySeconds, d.now)
  const byOrdinal = new Map<number, ObservedPod>()
  for (const p of [...d.pods].sort((a, b) => Number(d.recorded.get(b.name) === b.node) - Number(d.recorded.get(a.name) === a.node) || byText(a.created, b.created) || byText(a.node, b.node))) {
    const n = ordinalOf(name, p.name)
    if (n === undefined) out.remove.push({pod: p, reason: `not a pod of StatefulSet ${name} (its pods are ${name}-N)`})
    else if (byOrdinal.has(n)) out.remove.push({pod: p, reason: `second copy of ${p.name} (the one on ${byOrdinal.get(n)!.node} stays)`})
    else byOrdinal.set(n, p)
  }
  const first = set.ordinalStart
  const end = first + set.replicas
  const monotonic = set.policy === 'OrderedReady'
  const current: ObservedPod[] = []
  const old: ObservedPod[] = []
  let halted = false
  // The ordinals it should run, lowest first.
  for (let n = first; n < end; n++) {
    const want = statefulPod(set, n)
    const pod = byOrdinal.get(n)
    if (!pod) {
      const where = d.away.get(want.name) ?? (d.unknown.length > 0 ? d.unknown.join(', ') : undefined)
      if (d.leaving.has(want.name)) halted ||= monotonic
      else if (where !== undefined) {
        out.blocked.push({pod: want, reason: `it may still run on node(s) ${where}, which do not answer: a StatefulSet never runs two copies of one ordinal; it starts elsewhere once they answer or after \`kgit node forget NODE\``})
        halted ||= monotonic
      } else if (!halted) {
        out.create.push(want)
        halted ||= monotonic
      }
      continue
    }
    const isCurrent = pod.templateHash === set.templateHash
    ;(isCurrent ? current : old).push(pod)
    out.keep.push({pod, want: isCurrent ? want : asRunning(want, pod)})
    if (!avail(pod)) halted ||= monotonic
  }
  // Surplus ordinals, highest first: OrderedReady removes one, once the others are available.
  const surplus = [...byOrdinal.entries()].filter(([n]) => n < first || n >= end).sort((a, b) => b[0] - a[0])
  for (const [, pod] of surplus) {
    if (halted) {
      out.keep.push({pod, want: asRunning({...set.template, name: pod.name, specHash: pod.specHash}, pod)})
      continue
    }
    out.remove.push({pod, reason: `ordinal out of range (replicas: ${set.replicas}${first > 0 ? `, ordinals from ${first}` : ''})`})
    halted ||= monotonic
  }
  if (set.strategy.type === 'RollingUpdate') rollingUpdate(set, out, byOrdinal, avail, halted || surplus.length > 0)
  const status = rolloutStatus({replicas: set.replicas, strategy: {type: 'Recreate'}, minReadySeconds: set.minReadySeconds, progressDeadlineSeconds: STATEFUL_PROGRESS_DEADLINE, paused: false, current, old: partitioned(set, old), now: d.now})
  // Pods kept at an old template below the partition (or by OnDelete) wait for a person, not for kgit.
  const heldBack = old.length - partitioned(set, old).length
  const s = {...status, updated: status.updated + heldBack}
  const done = current.length + heldBack === set.replicas && [...current, ...old].filter(avail).length === set.replicas && surplus.length === 0 && out.blocked.length === 0
  return {...out, status: {...s, complete: done, deadlineExceeded: s.deadlineExceeded && !done, pending: s.pending + old.filter((p) => !p.unknown && !avail(p)).length}}
}

/** Old pods the update strategy is to replace: ordinals at or above the partition (none with OnDelete). */
function partitioned(set: StatefulGroup, old: ObservedPod[]): ObservedPod[] {
  if (set.strategy.type === 'OnDelete') return []
  const partition = set.strategy.partition
  return old.filter((p) => (ordinalOf(set.owner.name, p.name) ?? 0) >= partition)
}

/**
 * RollingUpdate: from the highest ordinal down to the partition, the first old pod is
 * replaced; a pod above it that is not available (or the step already changing
 * something) makes it wait.
 */
function rollingUpdate(set: StatefulGroup, out: Omit<StatefulSetStep, 'status'>, byOrdinal: Map<number, ObservedPod>, avail: (p: ObservedPod) => boolean, busy: boolean): void {
  if (set.strategy.type !== 'RollingUpdate' || busy || out.create.length > 0 || out.blocked.length > 0) return
  const low = Math.max(set.ordinalStart, set.strategy.partition)
  for (let n = set.ordinalStart + set.replicas - 1; n >= low; n--) {
    const pod = byOrdinal.get(n)
    if (!pod) return
    const k = out.keep.find((x) => x.pod === pod)!
    if (pod.templateHash !== set.templateHash) {
      k.want = statefulPod(set, n)
      return
    }
    if (!avail(pod)) return
  }
}

/** An old pod kept as it runs (its turn has not come, OnDelete, or below the partition). */
function asRunning(want: DesiredPod, p: ObservedPod): DesiredPod {
  if (!p.spec) return want
  return {...want, spec: p.spec, specHash: p.specHash, templateHash: p.templateHash ?? '', labels: p.labels}
}
