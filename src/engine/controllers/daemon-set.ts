import {PRUNE_ANNOTATION} from '../marks.js'
import {byText} from '../order.js'
import {nodeAffinityMatches, nodeLabels, taintText, untoleratedTaint} from '../scheduler/predicates.js'
import type {DaemonSetObject, DaemonSetUpdateStrategy, DesiredPod, NodeSpec, ObservedPod, OwnerRef, PodSpec, Toleration} from '../types.js'
import {fnv32a, podTemplateHash, safeEncode, specHash} from './hash.js'
import {isAvailable, rolloutStatus, type RolloutStatus} from './rollout.js'

/** A DaemonSet as the planner sees it: the pod it wants on every node that may run it. */
export interface DaemonGroup {
  namespace: string
  owner: OwnerRef
  templateHash: string
  /** The pod, without its name (one per node: see daemonPodName). */
  template: DesiredPod
  strategy: DaemonSetUpdateStrategy
  minReadySeconds: number
}

/**
 * Tolerations the Kubernetes DaemonSet controller adds to every daemon pod: a cordoned
 * node still runs its daemons, and node conditions do not evict them.
 */
export const DAEMON_TOLERATIONS: readonly Toleration[] = [
  {key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute'},
  {key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute'},
  {key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule'},
  {key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule'},
  {key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule'},
  {key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule'},
]

/** The DaemonSet's pod template as a DesiredPod (labels carry controller-revision-hash, as Kubernetes sets it). */
export function daemonGroup(o: DaemonSetObject): DaemonGroup {
  const tpl = o.spec.template
  const templateHash = podTemplateHash(tpl)
  const {namespace, name} = o.metadata
  const labels = {...tpl.metadata.labels, 'controller-revision-hash': templateHash}
  const tolerations = [...(tpl.spec.tolerations ?? []), ...DAEMON_TOLERATIONS.filter((t) => !tpl.spec.tolerations?.some((x) => x.key === t.key && x.effect === t.effect))]
  const spec: PodSpec = {...tpl.spec, tolerations}
  const owner = {kind: 'DaemonSet', name}
  const template: DesiredPod = {namespace, name: '', owner, labels, templateHash, spec, specHash: specHash({labels, spec}), source: o.source}
  if (o.notes.unsupported.length > 0) template.unsupported = o.notes.unsupported
  if (o.metadata.annotations[PRUNE_ANNOTATION] === 'disabled') template.keep = true
  return {namespace, owner, templateHash, template, strategy: o.spec.updateStrategy, minReadySeconds: o.spec.minReadySeconds}
}

/** The name of a DaemonSet's pod on one node: `NAME-xxxxx`, the same on every run. */
export function daemonPodName(name: string, node: string): string {
  return `${name}-${safeEncode(String(fnv32a(`${name}/${node}`))).slice(0, 5)}`
}

/** Whether a node should run the pod, and whether a pod already there may stay (Kubernetes' nodeShouldRunDaemonPod). */
export function daemonFit(node: NodeSpec, spec: PodSpec): {run?: string; stay?: string} {
  if (spec.nodeName !== undefined && spec.nodeName !== node.name) {
    const why = `the pod's nodeName is ${spec.nodeName}`
    return {run: why, stay: why}
  }
  if (!nodeAffinityMatches(spec, nodeLabels(node), node.name)) {
    const why = `node ${node.name} does not match the pod's node selector or affinity`
    return {run: why, stay: why}
  }
  const evict = untoleratedTaint(node.taints, spec.tolerations, ['NoExecute'])
  if (evict) {
    const why = `node ${node.name} has taint ${taintText(evict)}, which the pod does not tolerate`
    return {run: why, stay: why}
  }
  // A NoSchedule taint keeps new pods away but lets a running one stay.
  const t = untoleratedTaint(node.taints, spec.tolerations, ['NoSchedule'])
  return t ? {run: `node ${node.name} has taint ${taintText(t)}, which the pod does not tolerate`} : {}
}

export interface DaemonSetInput {
  ds: DaemonGroup
  /** The cluster's nodes, in the order of kgit.yaml. */
  nodes: NodeSpec[]
  /** Nodes that answer: the others keep whatever they run, and nothing replaces it elsewhere. */
  reachable: ReadonlySet<string>
  /** The DaemonSet's pods on reachable nodes (claimable: not evicted, not drift). */
  pods: ObservedPod[]
  now: number
}

export interface DaemonSetStep {
  create: {node: string; pod: DesiredPod}[]
  /** Pods that stay, with what they should be: a different specHash means replace. */
  keep: {pod: ObservedPod; want: DesiredPod}[]
  remove: {pod: ObservedPod; reason: string}[]
  status: RolloutStatus
}

/**
 * One step of a DaemonSet, as the Kubernetes DaemonSet controller computes it from what
 * runs now: a pod on each node that should run it, none elsewhere, and for a new template
 * RollingUpdate (at most maxUnavailable pods unavailable at once) or OnDelete.
 */
export function daemonSetStep(d: DaemonSetInput): DaemonSetStep {
  const {ds} = d
  const {create, keep, remove, current, old, desired} = byNode(d)
  for (const p of current) keep.push({pod: p, want: {...ds.template, name: p.name}})
  const update = rollingUpdate(d, desired, current, old)
  for (const p of old) keep.push({pod: p, want: update.has(p) ? {...ds.template, name: p.name} : asRunning(ds, p)})
  const status = rolloutStatus({replicas: desired, strategy: {type: 'Recreate'}, minReadySeconds: ds.minReadySeconds, progressDeadlineSeconds: DAEMON_PROGRESS_DEADLINE, paused: false, current, old, now: d.now})
  // OnDelete old pods wait for a person, not for kgit: that is no lack of progress.
  const waitsForPerson = ds.strategy.type === 'OnDelete' && status.deadlineExceeded && status.pending === 0
  return {create, keep, remove, status: waitsForPerson ? {...status, deadlineExceeded: false} : status}
}

/** Node by node: the pod to create, the copies to remove, and the pod that counts there (of the current template or an old one). */
function byNode(d: DaemonSetInput): Omit<DaemonSetStep, 'status'> & {current: ObservedPod[]; old: ObservedPod[]; desired: number} {
  const {ds} = d
  const out = {create: [] as DaemonSetStep['create'], keep: [] as DaemonSetStep['keep'], remove: [] as DaemonSetStep['remove'], current: [] as ObservedPod[], old: [] as ObservedPod[], desired: 0}
  const onNode = new Map<string, ObservedPod[]>()
  for (const p of d.pods) onNode.set(p.node, [...(onNode.get(p.node) ?? []), p])
  const avail = (p: ObservedPod): boolean => isAvailable(p, ds.minReadySeconds, d.now)
  const isCurrent = (p: ObservedPod): number => Number(p.templateHash === ds.templateHash)
  for (const node of d.nodes) {
    if (!d.reachable.has(node.name)) continue
    const fit = daemonFit(node, ds.template.spec)
    const here = [...(onNode.get(node.name) ?? [])].sort((a, b) => isCurrent(b) - isCurrent(a) || Number(avail(b)) - Number(avail(a)) || byText(a.created, b.created) || byText(a.name, b.name))
    if (!fit.run) out.desired++
    if (fit.run && (fit.stay || here.length === 0)) {
      for (const p of here) out.remove.push({pod: p, reason: `${fit.stay ?? fit.run}: DaemonSet ${ds.owner.name} does not run there`})
      continue
    }
    const [first, ...extra] = here
    for (const p of extra) out.remove.push({pod: p, reason: `surplus copy: DaemonSet ${ds.owner.name} runs one pod per node`})
    if (!first) out.create.push({node: node.name, pod: {...ds.template, name: daemonPodName(ds.owner.name, node.name)}})
    // Kubernetes' "misscheduled" pod: it may stay, but is neither counted nor updated.
    else if (fit.run) out.keep.push({pod: first, want: isCurrent(first) ? {...ds.template, name: first.name} : asRunning(ds, first)})
    else (isCurrent(first) ? out.current : out.old).push(first)
  }
  return out
}

/** DaemonSets have no progress deadline in Kubernetes; kgit stops waiting for their pods after this many seconds. */
export const DAEMON_PROGRESS_DEADLINE = 600

/** An old pod kept as it runs (OnDelete, or waiting for its turn in a rolling update). */
function asRunning(ds: DaemonGroup, p: ObservedPod): DesiredPod {
  if (!p.spec) return {...ds.template, name: p.name}
  return {...ds.template, name: p.name, spec: p.spec, specHash: p.specHash, templateHash: p.templateHash ?? '', labels: p.labels}
}

/** Old pods to replace now: those not available, then available ones while fewer than maxUnavailable nodes lack an available pod. */
function rollingUpdate(d: DaemonSetInput, desired: number, current: ObservedPod[], old: ObservedPod[]): Set<ObservedPod> {
  if (d.ds.strategy.type !== 'RollingUpdate') return new Set()
  const avail = (p: ObservedPod): boolean => isAvailable(p, d.ds.minReadySeconds, d.now)
  const limit = maxUnavailable(d.ds.strategy.rollingUpdate.maxUnavailable, desired)
  let unavailable = desired - [...current, ...old].filter(avail).length
  const out = new Set<ObservedPod>(old.filter((p) => !avail(p)))
  for (const p of old) {
    if (unavailable >= limit) break
    if (out.has(p)) continue
    out.add(p)
    unavailable++
  }
  return out
}

/** Kubernetes rounds a DaemonSet's percentage up (of the nodes that should run it); never less than 1. */
export function maxUnavailable(v: number | string, desired: number): number {
  const n = typeof v === 'number' ? v : Math.ceil((Number(v.slice(0, -1)) * desired) / 100)
  return Math.max(1, n)
}
