import type {PlanRun} from '../engine/session.js'
import type {NodeObservation, NodeSpec, Resources} from '../engine/types.js'
import {allocated, isTerminated, nodeAllocatable, nodeCapacity, podLimits, podRequests, sum} from '../engine/facts/node-resources.js'
import {formatAmount, roundedAmount} from '../engine/manifest/quantity.js'
import {byText} from '../engine/order.js'
import {age} from './render-pods.js'
import {table} from './table.js'

/** A node's resources as `get nodes` and `describe node` show them. */
export interface NodeResourcesView {
  capacity: Resources
  allocatable: Resources
  /** Sum of the requests (and `pods`, their count) of the kgit pods it runs; unknown when it does not answer. */
  requested?: Resources
  /** Sum of those pods' limits. */
  limits?: Resources
}

export function nodeResources(n: NodeSpec, o?: NodeObservation): NodeResourcesView {
  const view: NodeResourcesView = {capacity: nodeCapacity(n, o), allocatable: nodeAllocatable(n, o)}
  if (o?.reachable) {
    view.requested = allocated(o.pods)
    view.limits = sum(o.pods.filter((p) => p.spec && !isTerminated(p)).map((p) => podLimits(p.spec!)))
  }
  return view
}

/** kubectl's node STATUS: Ready or not, and `SchedulingDisabled` when cordoned. */
export function nodeStatus(n: NodeSpec, o?: NodeObservation): string {
  const base = !o ? 'Unknown' : o.reachable ? 'Ready' : 'Unreachable'
  return n.unschedulable ? `${base},SchedulingDisabled` : base
}

/** A short amount for a column (`3.8Gi`), `?` when unknown. */
export function shortAmount(resource: string, amount: number | undefined): string {
  return amount === undefined ? '?' : roundedAmount(resource, amount)
}

/** `750m (37%)`: an amount and its share of what is allocatable (kubectl truncates the percentage). */
export function withPercent(resource: string, amount: number, of: number | undefined): string {
  const pct = of ? `${Math.trunc((amount / of) * 100)}%` : of === 0 ? '∞%' : '?%'
  return `${formatAmount(resource, amount)} (${pct})`
}

/** The JSON of `get nodes -o json`: the node of kgit.yaml, whether it answered, its resources. */
export function nodesJson(run: PlanRun): unknown[] {
  const observedBy = new Map(run.observed.nodes.map((o) => [o.node, o]))
  return run.desired.cluster.nodes.map((n) => {
    const o = observedBy.get(n.name)
    return {...n, observed: o?.reachable ?? false, status: nodeStatus(n, o), ...nodeResources(n, o)}
  })
}

/** kubectl's `Non-terminated Pods` table: each pod's requests and limits, as shares of allocatable. */
export function nodePodLines(o: NodeObservation | undefined, res: NodeResourcesView): string[] {
  if (!o?.reachable) return ['Non-terminated Pods:  <unknown: the node does not answer>']
  const pods = o.pods.filter((p) => !isTerminated(p))
  if (pods.length === 0) return ['Non-terminated Pods:  (0 in total)']
  const cell = (r: string, of: Resources): string => withPercent(r, of[r] ?? 0, res.allocatable[r])
  const rows = pods.map((p) => {
    const req = p.spec ? podRequests(p.spec) : {}
    const lim = p.spec ? podLimits(p.spec) : {}
    return [p.namespace, p.name, cell('cpu', req), cell('cpu', lim), cell('memory', req), cell('memory', lim), age(p.created)]
  })
  const head = ['Namespace', 'Name', 'CPU Requests', 'CPU Limits', 'Memory Requests', 'Memory Limits', 'Age']
  return [`Non-terminated Pods:  (${pods.length} in total)`, ...table([head, head.map((h) => '-'.repeat(h.length)), ...rows]).map((l) => `  ${l}`)]
}

/** kubectl's `Allocated resources`: the pods' total requests and limits, as shares of allocatable. */
export function allocatedLines(res: NodeResourcesView): string[] {
  if (!res.requested || !res.limits) return []
  const names = [...new Set(['cpu', 'memory', ...Object.keys(res.requested), ...Object.keys(res.limits)])].filter((r) => r !== 'pods')
  const rows = names.map((r) => [r, withPercent(r, res.requested![r] ?? 0, res.allocatable[r]), withPercent(r, res.limits![r] ?? 0, res.allocatable[r])])
  return ['Allocated resources:', '  (Total limits may be over 100 percent, i.e., overcommitted.)', ...table([['Resource', 'Requests', 'Limits'], ['--------', '--------', '------'], ...rows]).map((l) => `  ${l}`)]
}

/** `  cpu:     2` lines, resources sorted by name, amounts as kubectl writes them. */
export function resourceLines(r: Resources): string[] {
  const keys = Object.keys(r).sort(byText)
  const w = Math.max(0, ...keys.map((k) => k.length)) + 3
  return keys.map((k) => `  ${(k + ':').padEnd(w)}${formatAmount(k, r[k]!)}`)
}
