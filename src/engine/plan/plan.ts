import {safeEncode, fnv32a} from '../controllers/hash.js'
import {expandWorkloads} from '../controllers/workloads.js'
import {addToLoad, emptyLoad, placeRoundRobin, type NodeLoad} from '../scheduler/round-robin.js'
import type {Desired, DesiredPod, NodeSpec, Observed, ObservedPod, PodGroup} from '../types.js'
import {byText} from '../order.js'

export type Action =
  | {type: 'create'; node: string; pod: DesiredPod; reason: string}
  | {type: 'replace'; node: string; pod: DesiredPod; old: ObservedPod; reason: string}
  | {type: 'delete'; node: string; old: ObservedPod; reason: string}

export interface Unschedulable {
  pod: DesiredPod
  reason: string
}

export interface Plan {
  revision: string
  actions: Action[]
  unschedulable: Unschedulable[]
  unreachable: {node: string; reason: string}[]
  /** Pods that stay as they are, with their node: for reports. */
  unchanged: {node: string; pod: DesiredPod}[]
}

/**
 * Compares what git wants with what the nodes run and lists the actions that
 * converge them. Pure and deterministic: the same input gives the same plan.
 */
export function plan(desired: Desired, observed: Observed): Plan {
  const nodes = desired.cluster.nodes
  const reachable = new Set(observed.nodes.filter((n) => n.reachable).map((n) => n.node))
  const live = observed.nodes.flatMap((n) => (n.reachable ? n.pods : [])).filter((p) => reachable.has(p.node))
  const order = new Map(nodes.map((n, i) => [n.name, i]))
  live.sort((a, b) => (order.get(a.node) ?? 1e9) - (order.get(b.node) ?? 1e9) || byText(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`) || byText(a.podmanName, b.podmanName))

  const {pods, groups} = expandWorkloads(desired)
  const kept = new Map<ObservedPod, DesiredPod>()
  const pending: DesiredPod[] = []
  const why = new Map<ObservedPod, string>()
  const held: Unschedulable[] = []
  claimBarePods(pods, live, {kept, pending, why, held}, observed.nodes.filter((n) => !n.reachable).map((n) => n.node))
  for (const g of groups) claimGroup(g, live, {kept, pending, why})

  const loads = new Map<string, NodeLoad>()
  for (const [obs, want] of kept) addToLoad(loadOf(loads, obs.node), want)
  const candidates = nodes.filter((n: NodeSpec) => reachable.has(n.name))
  const actions: Action[] = []
  const unschedulable: Unschedulable[] = [...held]
  const runnable = pending.filter((p) => {
    if (!p.unsupported) return true
    unschedulable.push({pod: p, reason: cannotRun(p.unsupported)})
    return false
  })
  for (const p of placeRoundRobin(runnable, candidates, loads)) {
    if (p.node === undefined) unschedulable.push({pod: p.pod, reason: p.reason})
    else actions.push({type: 'create', node: p.node, pod: p.pod, reason: 'missing'})
  }
  const unchanged: Plan['unchanged'] = []
  for (const obs of live) {
    const want = kept.get(obs)
    if (!want) {
      actions.push({type: 'delete', node: obs.node, old: obs, reason: why.get(obs) ?? deleteReason(obs, desired)})
      continue
    }
    const replace = replaceReason(obs, want)
    if (replace && want.unsupported) unschedulable.push({pod: want, reason: cannotRun(want.unsupported)})
    else if (replace) actions.push({type: 'replace', node: obs.node, pod: want, old: obs, reason: replace})
    else unchanged.push({node: obs.node, pod: want})
  }
  const unreachable = observed.nodes.flatMap((n) => (n.reachable ? [] : [{node: n.node, reason: n.reason}]))
  return {revision: desired.revision, actions: sortActions(actions, order), unschedulable, unreachable, unchanged}
}

function cannotRun(features: string[]): string {
  return `it uses ${features.join(', ')}, which this version of kgit cannot run yet`
}

function loadOf(loads: Map<string, NodeLoad>, node: string): NodeLoad {
  let l = loads.get(node)
  if (!l) loads.set(node, (l = emptyLoad()))
  return l
}

/** Running pods never move: of several copies, the oldest stays. */
function oldestFirst(a: ObservedPod, b: ObservedPod): number {
  return byText(a.created, b.created) || byText(a.node, b.node)
}

function claimBarePods(pods: DesiredPod[], live: ObservedPod[], {kept, pending, held}: Claims & {held: Unschedulable[]}, unreachable: string[]): void {
  for (const want of pods) {
    const found = live.filter((o) => !o.owner && o.namespace === want.namespace && o.name === want.name).sort(oldestFirst)[0]
    if (found) kept.set(found, want)
    // A Pod is never started twice: it may still run on a node that does not answer.
    else if (unreachable.length > 0) held.push({pod: want, reason: `it may still run on unreachable node(s) ${unreachable.join(', ')}; it is not started elsewhere until they answer`})
    else pending.push(want)
  }
}

interface Claims {
  kept: Map<ObservedPod, DesiredPod>
  pending: DesiredPod[]
  why: Map<ObservedPod, string>
}

function claimGroup(g: PodGroup, live: ObservedPod[], {kept, pending, why}: Claims): void {
  const owned = live.filter((o) => o.namespace === g.namespace && o.owner?.kind === g.owner.kind && o.owner.name === g.owner.name && !kept.has(o))
  for (const o of owned) if (o.templateHash !== g.templateHash) why.set(o, `old template (pod-template-hash ${o.templateHash ?? 'none'}, now ${g.templateHash})`)
  const mine = owned.filter((o) => o.templateHash === g.templateHash)
  // Keep pods spread: when there are too many, drop from the most crowded node first.
  const perNode = new Map<string, number>()
  for (const o of mine) perNode.set(o.node, (perNode.get(o.node) ?? 0) + 1)
  const keep = [...mine].sort((a, b) => perNode.get(a.node)! - perNode.get(b.node)! || oldestFirst(a, b) || byText(a.name, b.name)).slice(0, g.replicas)
  const names = new Set(mine.map((o) => o.name))
  for (const o of keep) kept.set(o, {...g.template, name: o.name})
  for (const o of mine) if (!kept.has(o)) why.set(o, `surplus replica (replicas: ${g.replicas})`)
  for (let ordinal = 0, missing = g.replicas - keep.length; missing > 0; ordinal++) {
    const name = `${g.prefix}-${safeEncode(String(fnv32a(`${g.prefix}/${ordinal}`))).slice(0, 5)}`
    if (names.has(name)) continue
    names.add(name)
    pending.push({...g.template, name})
    missing--
  }
}

function replaceReason(obs: ObservedPod, want: DesiredPod): string | undefined {
  if (obs.specHash !== want.specHash) return 'spec changed'
  for (const c of want.spec.containers) {
    const oc = obs.containers.find((x) => x.name === c.name)
    if (!oc) return `container ${c.name} is missing`
    if (want.spec.restartPolicy === 'Always' && oc.state !== 'running') return `container ${c.name} is ${oc.state}`
  }
  const extra = obs.containers.find((x) => !want.spec.containers.some((c) => c.name === x.name))
  if (extra) return `unexpected container ${extra.name}`
  return undefined
}

function deleteReason(obs: ObservedPod, desired: Desired): string {
  if (!obs.owner) return desired.objects.some((o) => o.kind === 'Pod' && o.metadata.name === obs.name && o.metadata.namespace === obs.namespace) ? 'duplicate copy' : 'no longer in git'
  return `${obs.owner.kind} ${obs.owner.name} is no longer in git`
}

const TYPE_ORDER = {delete: 0, replace: 1, create: 2} as const

function sortActions(actions: Action[], order: Map<string, number>): Action[] {
  const nameOf = (a: Action): string => (a.type === 'delete' ? `${a.old.namespace}/${a.old.name}` : `${a.pod.namespace}/${a.pod.name}`)
  return actions.sort((a, b) => (order.get(a.node) ?? 1e9) - (order.get(b.node) ?? 1e9) || TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || byText(nameOf(a), nameOf(b)))
}

export function planSummary(p: Plan): {create: number; replace: number; delete: number} {
  const s = {create: 0, replace: 0, delete: 0}
  for (const a of p.actions) s[a.type]++
  return s
}

