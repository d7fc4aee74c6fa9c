import type {DesiredPod, NodeSpec} from '../types.js'

/** What is already placed on a node, as the scheduler counts it. */
export interface NodeLoad {
  pods: number
  byOwner: Map<string, number>
  hostPorts: Set<string>
}

export type Placement = {pod: DesiredPod; node: string} | {pod: DesiredPod; node?: undefined; reason: string}

export function ownerKey(pod: Pick<DesiredPod, 'namespace' | 'owner' | 'name'>): string {
  return pod.owner ? `${pod.namespace}/${pod.owner.kind}/${pod.owner.name}` : `${pod.namespace}/Pod/${pod.name}`
}

export function hostPortsOf(pod: DesiredPod): string[] {
  return pod.spec.containers.flatMap((c) => c.ports.filter((p) => p.hostPort !== undefined).map((p) => `${p.hostIP ?? '0.0.0.0'}:${p.hostPort}/${p.protocol}`))
}

export function emptyLoad(): NodeLoad {
  return {pods: 0, byOwner: new Map(), hostPorts: new Set()}
}

export function addToLoad(load: NodeLoad, pod: DesiredPod): void {
  load.pods++
  const k = ownerKey(pod)
  load.byOwner.set(k, (load.byOwner.get(k) ?? 0) + 1)
  for (const hp of hostPortsOf(pod)) load.hostPorts.add(hp)
}

/**
 * Placeholder placement until the real scheduler: spread each owner's pods across
 * nodes (fewest of that owner first, then fewest pods, then node order), skipping
 * nodes whose host ports are taken. Deterministic for the same input.
 */
export function placeRoundRobin(pending: DesiredPod[], nodes: NodeSpec[], loads: Map<string, NodeLoad>): Placement[] {
  const out: Placement[] = []
  for (const pod of pending) {
    const ports = hostPortsOf(pod)
    const key = ownerKey(pod)
    let best: {node: NodeSpec; load: NodeLoad} | undefined
    let portConflicts = 0
    for (const node of nodes) {
      const load = loads.get(node.name) ?? emptyLoad()
      if (ports.some((p) => conflicts(load.hostPorts, p))) {
        portConflicts++
        continue
      }
      if (!best || better(load, best.load, key)) best = {node, load}
    }
    if (!best) {
      out.push({pod, reason: nodes.length === 0 ? 'no node is reachable' : `0/${nodes.length} nodes available: ${portConflicts} node(s) didn't have free ports for the requested pod ports`})
      continue
    }
    addToLoad(best.load, pod)
    loads.set(best.node.name, best.load)
    out.push({pod, node: best.node.name})
  }
  return out
}

function better(a: NodeLoad, b: NodeLoad, key: string): boolean {
  const ao = a.byOwner.get(key) ?? 0
  const bo = b.byOwner.get(key) ?? 0
  if (ao !== bo) return ao < bo
  return a.pods < b.pods
}

function conflicts(used: Set<string>, want: string): boolean {
  if (used.has(want)) return true
  const [ip, rest] = splitHostPort(want)
  for (const u of used) {
    const [uip, urest] = splitHostPort(u)
    if (urest === rest && (ip === '0.0.0.0' || uip === '0.0.0.0')) return true
  }
  return false
}

function splitHostPort(s: string): [string, string] {
  const i = s.lastIndexOf(':')
  return [s.slice(0, i), s.slice(i + 1)]
}
