import type {DesiredPod, NodeSpec, PodAffinityTerm, PodSpec, Resources} from '../types.js'
import {labelSelectorMatches, nodeAffinityMatches, nodeLabels, taintText, termMatches, tolerated, untoleratedTaint, zoneOf} from './predicates.js'
import {DEFAULT_MAX_PODS} from '../facts/node-resources.js'
import {cachedRequests, hostPortsOf, portTaken, scoringRequests} from './resources.js'

/**
 * Kubernetes' scheduler, run over the plan's pending pods: for each pod, filters
 * (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts,
 * NodeResourcesFit, InterPodAffinity, in that order, the first failure counting) and
 * scores (TaintToleration 3, NodeAffinity 2, LeastAllocated 1, BalancedAllocation 1,
 * InterPodAffinity 2, spreading an owner's pods over nodes and zones 2) on the nodes
 * that pass. As Kubernetes does on large clusters, it stops searching once it has found
 * enough feasible nodes (all below 100 nodes; 50% minus 1% per 125 nodes, at least 5%
 * and 100 nodes, above), starting each search where the previous one stopped.
 * Ties go to the node with fewer pods, then the first in search order: the same input
 * gives the same placement.
 * Pods that run are never moved here; only pending pods are placed.
 */
export interface SchedNode {
  spec: NodeSpec
  /** What pods may use (cpu millicores, memory bytes, pods, extended); a missing cpu or memory is unlimited. */
  allocatable: Resources
  /** Unreachable nodes count in "0/N nodes are available" with this reason. */
  unreachable?: boolean
}

/** A pod that occupies a node: running and staying, or placed earlier in this run. */
export interface ExistingPod {
  node: string
  namespace: string
  labels: Record<string, string>
  /** Owner key (`namespace/Kind/name`): pods of one owner are spread. */
  owner: string
  spec?: PodSpec
}

export interface ScheduleInput {
  nodes: SchedNode[]
  existing: ExistingPod[]
  pending: DesiredPod[]
  /** Namespace labels, for namespaceSelector in pod affinity terms. */
  namespaceLabels?: Map<string, Record<string, string>>
}

export type Placement = {pod: DesiredPod; node: string} | {pod: DesiredPod; node?: undefined; reason: string}

export const WEIGHTS = {taint: 3, nodeAffinity: 2, leastAllocated: 1, balanced: 1, interPod: 2, spread: 2} as const
/** SelectorSpread: how much the zone counts against the node when nodes have zones. */
const ZONE_WEIGHTING = 2 / 3

export const REASONS = {
  unreachable: 'node(s) were unreachable',
  unschedulable: 'node(s) were unschedulable',
  nodeName: "node(s) didn't match the requested node name",
  nodeAffinity: "node(s) didn't match Pod's node affinity/selector",
  ports: "node(s) didn't have free ports for the requested pod ports",
  tooManyPods: 'Too many pods',
  affinity: "node(s) didn't match pod affinity rules",
  antiAffinity: "node(s) didn't match pod anti-affinity rules",
  existingAntiAffinity: "node(s) didn't satisfy existing pods anti-affinity rules",
} as const

/** Kubernetes cordons a node with this taint: a pod that tolerates it may still go there. */
const UNSCHEDULABLE_TAINT = {key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule'} as const

/** How many feasible nodes a search looks for (Kubernetes' percentageOfNodesToScore, adaptive). */
export function nodesToFind(n: number): number {
  if (n < 100) return n
  const pct = Math.max(5, 50 - Math.floor(n / 125))
  return Math.max(100, Math.floor((n * pct) / 100))
}

interface PlacedPod {
  node: number
  namespace: string
  labels: Record<string, string>
}

interface TrackedTerm {
  term: PodAffinityTerm
  inNs: (ns: string) => boolean
  domains: Map<string, number>
}

function termEntry(index: Map<PodAffinityTerm, Map<string, TrackedTerm>>, term: PodAffinityTerm, namespace: string, make: () => TrackedTerm): TrackedTerm {
  let byNs = index.get(term)
  if (!byNs) index.set(term, (byNs = new Map()))
  let t = byNs.get(namespace)
  if (!t) byNs.set(namespace, (t = make()))
  return t
}

export function ownerKey(pod: Pick<DesiredPod, 'namespace' | 'owner' | 'name'>): string {
  return pod.owner ? `${pod.namespace}/${pod.owner.kind}/${pod.owner.name}` : `${pod.namespace}/Pod/${pod.name}`
}

export function schedule(input: ScheduleInput): Placement[] {
  return new Scheduler(input).run(input.pending)
}

class Scheduler {
  private readonly n: number
  private readonly nodes: SchedNode[]
  private readonly index = new Map<string, number>()
  private readonly labels: Record<string, string>[]
  private readonly zone: Int32Array
  private readonly zones: number
  private readonly alloc: {cpu: Float64Array; memory: Float64Array; pods: Float64Array}
  private readonly req: {cpu: Float64Array; memory: Float64Array; pods: Float64Array}
  private readonly nz: {cpu: Float64Array; memory: Float64Array}
  private readonly extra = new Map<string, Float64Array>()
  private readonly ports: (Set<string> | undefined)[]
  private readonly ownerNodes = new Map<string, Map<number, number>>()
  private readonly placed: PlacedPod[] = []
  /**
   * Per pod affinity term (pods of one template share theirs) and the namespace of the pod
   * that carries it: how many placed pods it matches per topology value, kept up to date as
   * pods are placed, so a term costs one scan of the placed pods, not one per pod.
   */
  private readonly tracked = new Map<PodAffinityTerm, Map<string, TrackedTerm>>()
  /** Required anti-affinity terms of placed pods: the topology values their holders occupy. */
  private readonly holders = new Map<PodAffinityTerm, Map<string, TrackedTerm>>()
  private readonly staticCache = new Map<string, (string | undefined)[]>()
  private readonly staticBySpec = new WeakMap<PodSpec, (string | undefined)[]>()
  private readonly nsLabels: Map<string, Record<string, string>>
  private readonly toFind: number
  private start = 0
  // Scratch space of one search, reused pod after pod.
  private readonly feasible: Int32Array
  private readonly taintCounts: Float64Array
  private readonly prefNode: Float64Array
  private readonly interPod: Float64Array
  // The counts of the owner being placed, dense, for the spread score.
  private curOwner: string | undefined
  private readonly curNode: Int32Array
  private readonly curZone: Int32Array

  constructor(input: ScheduleInput) {
    this.nodes = input.nodes
    this.n = input.nodes.length
    const n = this.n
    this.labels = input.nodes.map((x) => nodeLabels(x.spec))
    const zoneIds = new Map<string, number>()
    this.zone = new Int32Array(n).fill(-1)
    this.labels.forEach((l, i) => {
      const z = zoneOf(l)
      if (z === undefined) return
      if (!zoneIds.has(z)) zoneIds.set(z, zoneIds.size)
      this.zone[i] = zoneIds.get(z)!
    })
    this.zones = zoneIds.size
    this.alloc = {cpu: new Float64Array(n), memory: new Float64Array(n), pods: new Float64Array(n)}
    this.req = {cpu: new Float64Array(n), memory: new Float64Array(n), pods: new Float64Array(n)}
    this.nz = {cpu: new Float64Array(n), memory: new Float64Array(n)}
    this.ports = new Array<Set<string> | undefined>(n)
    this.curNode = new Int32Array(n)
    this.curZone = new Int32Array(Math.max(1, this.zones))
    input.nodes.forEach((x, i) => {
      this.index.set(x.spec.name, i)
      this.alloc.cpu[i] = x.allocatable.cpu ?? Infinity
      this.alloc.memory[i] = x.allocatable.memory ?? Infinity
      this.alloc.pods[i] = x.allocatable.pods ?? DEFAULT_MAX_PODS
    })
    this.nsLabels = input.namespaceLabels ?? new Map()
    this.toFind = nodesToFind(n)
    this.feasible = new Int32Array(this.toFind)
    this.taintCounts = new Float64Array(this.toFind)
    this.prefNode = new Float64Array(this.toFind)
    this.interPod = new Float64Array(this.toFind)
    for (const e of input.existing) {
      const i = this.index.get(e.node)
      if (i === undefined) continue
      this.occupy(i, e.owner, e.namespace, e.labels, e.spec)
    }
  }

  run(pending: DesiredPod[]): Placement[] {
    return pending.map((pod) => {
      const r = this.placeOne(pod)
      if (typeof r === 'number') {
        this.occupy(r, ownerKey(pod), pod.namespace, pod.labels, pod.spec)
        return {pod, node: this.nodes[r]!.spec.name}
      }
      return {pod, reason: r}
    })
  }

  private occupy(i: number, owner: string, namespace: string, labels: Record<string, string>, spec: PodSpec | undefined): void {
    const r = spec ? cachedRequests(spec) : undefined
    const s = spec ? scoringRequests(spec) : undefined
    this.req.pods[i]!++
    if (r) {
      this.req.cpu[i]! += r.cpu ?? 0
      this.req.memory[i]! += r.memory ?? 0
      for (const [k, v] of Object.entries(r)) if (k !== 'cpu' && k !== 'memory') this.extraOf(k)[i]! += v
    }
    this.nz.cpu[i]! += s?.cpu ?? 0
    this.nz.memory[i]! += s?.memory ?? 0
    if (spec) for (const p of hostPortsOf(spec)) (this.ports[i] ??= new Set()).add(p)
    let counts = this.ownerNodes.get(owner)
    if (!counts) this.ownerNodes.set(owner, (counts = new Map()))
    counts.set(i, (counts.get(i) ?? 0) + 1)
    if (owner === this.curOwner) {
      this.curNode[i]!++
      if (this.zone[i]! >= 0) this.curZone[this.zone[i]!]!++
    }
    this.placed.push({node: i, namespace, labels})
    for (const byNs of this.tracked.values()) {
      for (const t of byNs.values()) {
        if (!t.inNs(namespace) || !labelSelectorMatches(t.term.labelSelector, labels)) continue
        const v = this.labels[i]![t.term.topologyKey]
        if (v !== undefined) t.domains.set(v, (t.domains.get(v) ?? 0) + 1)
      }
    }
    for (const term of spec?.affinity?.podAntiAffinity?.required ?? []) {
      const v = this.labels[i]![term.topologyKey]
      if (v === undefined) continue
      const t = termEntry(this.holders, term, namespace, () => ({term, inNs: termNamespaces(term, namespace, this.nsLabels), domains: new Map()}))
      t.domains.set(v, (t.domains.get(v) ?? 0) + 1)
    }
  }

  /** The placed pods a term matches, per topology value (tracked from now on). */
  private domainsOf(term: PodAffinityTerm, namespace: string): Map<string, number> {
    return termEntry(this.tracked, term, namespace, () => {
      const inNs = termNamespaces(term, namespace, this.nsLabels)
      const domains = new Map<string, number>()
      for (const p of this.placed) {
        if (!inNs(p.namespace) || !labelSelectorMatches(term.labelSelector, p.labels)) continue
        const v = this.labels[p.node]![term.topologyKey]
        if (v !== undefined) domains.set(v, (domains.get(v) ?? 0) + 1)
      }
      return {term, inNs, domains}
    }).domains
  }

  private extraOf(k: string): Float64Array {
    let a = this.extra.get(k)
    if (!a) this.extra.set(k, (a = new Float64Array(this.n)))
    return a
  }

  /** The node index chosen for the pod, or why none fits. */
  private placeOne(pod: DesiredPod): number | string {
    const n = this.n
    if (n === 0) return 'no node is reachable'
    const spec = pod.spec
    const statics = this.staticReasons(spec)
    const req = cachedRequests(spec)
    const cpu = req.cpu ?? 0
    const memory = req.memory ?? 0
    const extras = this.extrasOf(spec, req)
    const ports = hostPortsOf(spec)
    const affinity = this.affinityContext(pod)
    const feasible = this.feasible
    let found = 0
    let reasons: Map<string, number> | undefined
    const fail = (why: string): void => void (reasons ??= new Map()).set(why, (reasons.get(why) ?? 0) + 1)
    const {req: used, alloc} = this
    let processed = 0
    for (; processed < n && found < this.toFind; processed++) {
      const i = (this.start + processed) % n
      const s = statics[i]
      if (s !== undefined) {
        fail(s)
        continue
      }
      if (ports.length > 0 && this.ports[i] && ports.some((p) => portTaken(this.ports[i]!, p))) {
        fail(REASONS.ports)
        continue
      }
      const pods = used.pods[i]! + 1 > alloc.pods[i]!
      const cpuShort = cpu > 0 && used.cpu[i]! + cpu > alloc.cpu[i]!
      const memShort = memory > 0 && used.memory[i]! + memory > alloc.memory[i]!
      const extraShort = extras.length > 0 && extras.some(([k, v]) => this.short(i, k, v))
      if (pods || cpuShort || memShort || extraShort) {
        if (pods) fail(REASONS.tooManyPods)
        if (cpuShort) fail('Insufficient cpu')
        if (memShort) fail('Insufficient memory')
        if (extraShort) for (const [k, v] of extras) if (this.short(i, k, v)) fail(`Insufficient ${k}`)
        continue
      }
      const a = affinity ? affinity.problem(i) : undefined
      if (a) {
        fail(a)
        continue
      }
      feasible[found++] = i
    }
    this.start = (this.start + processed) % n
    if (found === 0) {
      const hist = [...(reasons ?? [])].map(([why, count]) => ({why, count})).sort((a, b) => (a.why < b.why ? -1 : a.why > b.why ? 1 : 0))
      return `0/${n} nodes are available: ${hist.map((h) => `${h.count} ${h.why}`).join(', ')}.`
    }
    return found === 1 ? feasible[0]! : this.best(pod, found, affinity)
  }

  private readonly extrasCache = new WeakMap<PodSpec, [string, number][]>()

  /** What the pod requests besides cpu and memory (computed once per spec object). */
  private extrasOf(spec: PodSpec, req: Resources): [string, number][] {
    let e = this.extrasCache.get(spec)
    if (!e) this.extrasCache.set(spec, (e = Object.entries(req).filter(([k, v]) => k !== 'cpu' && k !== 'memory' && v > 0)))
    return e
  }

  /** A resource other than cpu and memory the node has too little of: extended ones it does not list it has none of; ephemeral-storage it does not report is unknown, not short. */
  private short(i: number, k: string, v: number): boolean {
    const cap = this.nodes[i]!.allocatable[k] ?? (k === 'ephemeral-storage' ? Infinity : 0)
    return (this.extra.get(k)?.[i] ?? 0) + v > cap
  }

  /** Per node: why the pod's own constraints rule it out, whatever runs there (cached per spec). */
  private staticReasons(spec: PodSpec): (string | undefined)[] {
    const hit = this.staticBySpec.get(spec)
    if (hit) return hit
    const key = JSON.stringify([spec.nodeName, spec.nodeSelector, spec.affinity?.nodeAffinity?.required, spec.tolerations])
    let out = this.staticCache.get(key)
    if (!out) {
      out = this.nodes.map((node, i) => staticReason(node, this.labels[i]!, spec))
      this.staticCache.set(key, out)
    }
    this.staticBySpec.set(spec, out)
    return out
  }

  private best(pod: DesiredPod, f: number, affinity: AffinityContext | undefined): number {
    const spec = pod.spec
    const s = scoringRequests(spec)
    const r = cachedRequests(spec)
    this.loadOwner(ownerKey(pod))
    const {feasible, taintCounts, prefNode, interPod} = this
    let maxTaint = 0
    let maxPref = 0
    let maxOwner = 0
    let maxZone = 0
    let minInter = Infinity
    let maxInter = -Infinity
    const preferred = spec.affinity?.nodeAffinity?.preferred
    for (let k = 0; k < f; k++) {
      const i = feasible[k]!
      const node = this.nodes[i]!.spec
      taintCounts[k] = 0
      prefNode[k] = 0
      interPod[k] = 0
      if (node.taints.length > 0) {
        let c = 0
        for (const t of node.taints) if (t.effect === 'PreferNoSchedule' && !tolerated(spec.tolerations, t)) c++
        taintCounts[k] = c
        if (c > maxTaint) maxTaint = c
      }
      if (preferred) {
        let w = 0
        for (const p of preferred) if (termMatches(p.preference, this.labels[i]!, node.name)) w += p.weight
        prefNode[k] = w
        if (w > maxPref) maxPref = w
      }
      if (affinity) {
        const v = affinity.preference(i)
        interPod[k] = v
        if (v < minInter) minInter = v
        if (v > maxInter) maxInter = v
      }
      const c = this.curNode[i]!
      if (c > maxOwner) maxOwner = c
      const z = this.zone[i]!
      if (z >= 0 && this.curZone[z]! > maxZone) maxZone = this.curZone[z]!
    }
    let best = -1
    let bestScore = -Infinity
    for (let k = 0; k < f; k++) {
      const i = feasible[k]!
      let score = 0
      score += WEIGHTS.taint * (maxTaint === 0 ? 100 : (100 * (maxTaint - taintCounts[k]!)) / maxTaint)
      score += WEIGHTS.nodeAffinity * (maxPref === 0 ? 0 : (100 * prefNode[k]!) / maxPref)
      // LeastAllocated counts requests with Kubernetes' non-zero defaults; BalancedAllocation the requests as given.
      const cpuFrac = fraction(this.nz.cpu[i]! + (s.cpu ?? 0), this.alloc.cpu[i]!)
      const memFrac = fraction(this.nz.memory[i]! + (s.memory ?? 0), this.alloc.memory[i]!)
      score += WEIGHTS.leastAllocated * ((100 * (1 - cpuFrac) + 100 * (1 - memFrac)) / 2)
      const cpuUsed = fraction(this.req.cpu[i]! + (r.cpu ?? 0), this.alloc.cpu[i]!)
      const memUsed = fraction(this.req.memory[i]! + (r.memory ?? 0), this.alloc.memory[i]!)
      score += WEIGHTS.balanced * (100 * (1 - Math.abs(cpuUsed - memUsed) / 2))
      if (affinity && maxInter > minInter) score += WEIGHTS.interPod * ((100 * (interPod[k]! - minInter)) / (maxInter - minInter))
      let spread = maxOwner === 0 ? 100 : (100 * (maxOwner - this.curNode[i]!)) / maxOwner
      const z = this.zone[i]!
      if (this.zones > 0 && z >= 0) spread = spread * (1 - ZONE_WEIGHTING) + ZONE_WEIGHTING * (maxZone === 0 ? 100 : (100 * (maxZone - this.curZone[z]!)) / maxZone)
      score += WEIGHTS.spread * spread
      // Ties (Kubernetes draws lots) go to the node with fewer pods, then the first searched.
      if (score > bestScore + 1e-9 || (score > bestScore - 1e-9 && this.req.pods[i]! < this.req.pods[best]!)) {
        bestScore = Math.max(score, bestScore)
        best = i
      }
    }
    return best
  }

  /** Makes curNode/curZone hold the counts of this owner's pods. */
  private loadOwner(owner: string): void {
    if (owner === this.curOwner) return
    const prev = this.curOwner !== undefined ? this.ownerNodes.get(this.curOwner) : undefined
    for (const i of prev?.keys() ?? []) {
      this.curNode[i] = 0
      if (this.zone[i]! >= 0) this.curZone[this.zone[i]!] = 0
    }
    this.curOwner = owner
    for (const [i, c] of this.ownerNodes.get(owner) ?? []) {
      this.curNode[i] = c
      if (this.zone[i]! >= 0) this.curZone[this.zone[i]!]! += c
    }
  }

  private affinityContext(pod: DesiredPod): AffinityContext | undefined {
    const a = pod.spec.affinity
    const hasOwn = Boolean(a?.podAffinity || a?.podAntiAffinity)
    if (!hasOwn && this.holders.size === 0) return undefined
    // topologyKey -> values where a placed pod's anti-affinity refuses this pod.
    const forbidden = new Map<string, Set<string>>()
    for (const byNs of this.holders.values()) {
      for (const t of byNs.values()) {
        if (!t.inNs(pod.namespace) || !labelSelectorMatches(t.term.labelSelector, pod.labels)) continue
        let set = forbidden.get(t.term.topologyKey)
        if (!set) forbidden.set(t.term.topologyKey, (set = new Set()))
        for (const [v, c] of t.domains) if (c > 0) set.add(v)
      }
    }
    return new AffinityContext(pod, (term) => this.domainsOf(term, pod.namespace), forbidden, this.labels, this.nsLabels)
  }
}

function fraction(used: number, cap: number): number {
  if (!Number.isFinite(cap)) return 0
  if (cap <= 0) return 1
  return Math.min(1, used / cap)
}

/** The filters that depend only on the pod and the node, in Kubernetes' order. */
export function staticReason(node: SchedNode, labels: Record<string, string>, spec: PodSpec): string | undefined {
  if (node.unreachable) return REASONS.unreachable
  if (spec.nodeName !== undefined) {
    if (spec.nodeName !== node.spec.name) return REASONS.nodeName
    // A pod bound by name skips the scheduler: only NoExecute taints keep it off.
    const t = untoleratedTaint(node.spec.taints, spec.tolerations, ['NoExecute'])
    return t ? `node(s) had untolerated taint ${taintText(t)}` : undefined
  }
  if (node.spec.unschedulable && !tolerated(spec.tolerations, UNSCHEDULABLE_TAINT)) return REASONS.unschedulable
  const t = untoleratedTaint(node.spec.taints, spec.tolerations, ['NoSchedule', 'NoExecute'])
  if (t) return `node(s) had untolerated taint ${taintText(t)}`
  if (!nodeAffinityMatches(spec, labels, node.spec.name)) return REASONS.nodeAffinity
  return undefined
}

/** Namespaces a pod affinity term looks in, relative to the pod that carries it. */
function termNamespaces(term: PodAffinityTerm, own: string, nsLabels: Map<string, Record<string, string>>): (ns: string) => boolean {
  if (term.namespaceSelector) {
    const sel = term.namespaceSelector
    const listed = new Set(term.namespaces ?? [])
    return (ns) => listed.has(ns) || labelSelectorMatches(sel, {...(nsLabels.get(ns) ?? {}), 'kubernetes.io/metadata.name': ns})
  }
  const set = new Set(term.namespaces?.length ? term.namespaces : [own])
  return (ns) => set.has(ns)
}

/** Pod affinity and anti-affinity of one pod against the pods placed so far. */
class AffinityContext {
  private readonly affinity: {term: PodAffinityTerm; domains: Map<string, number>}[] = []
  private readonly anti: {term: PodAffinityTerm; domains: Map<string, number>}[] = []
  private readonly prefer: {weight: number; term: PodAffinityTerm; domains: Map<string, number>}[] = []
  private readonly selfMatch: boolean
  private readonly anyMatch: boolean

  constructor(
    pod: DesiredPod,
    domainsOf: (term: PodAffinityTerm) => Map<string, number>,
    private readonly forbidden: Map<string, Set<string>>,
    private readonly labels: Record<string, string>[],
    nsLabels: Map<string, Record<string, string>>,
  ) {
    const a = pod.spec.affinity
    for (const term of a?.podAffinity?.required ?? []) this.affinity.push({term, domains: domainsOf(term)})
    for (const term of a?.podAntiAffinity?.required ?? []) this.anti.push({term, domains: domainsOf(term)})
    for (const w of a?.podAffinity?.preferred ?? []) this.prefer.push({weight: w.weight, term: w.podAffinityTerm, domains: domainsOf(w.podAffinityTerm)})
    for (const w of a?.podAntiAffinity?.preferred ?? []) this.prefer.push({weight: -w.weight, term: w.podAffinityTerm, domains: domainsOf(w.podAffinityTerm)})
    this.anyMatch = this.affinity.some((x) => x.domains.size > 0)
    // The first pod of a group that wants to be with its own kind may go anywhere.
    this.selfMatch = this.affinity.every((x) => termNamespaces(x.term, pod.namespace, nsLabels)(pod.namespace) && labelSelectorMatches(x.term.labelSelector, pod.labels))
  }

  problem(i: number): string | undefined {
    const l = this.labels[i]!
    if (this.affinity.length > 0 && !(!this.anyMatch && this.selfMatch)) {
      for (const x of this.affinity) {
        const v = l[x.term.topologyKey]
        if (v === undefined || !x.domains.get(v)) return REASONS.affinity
      }
    }
    for (const x of this.anti) {
      const v = l[x.term.topologyKey]
      if (v !== undefined && x.domains.get(v)) return REASONS.antiAffinity
    }
    for (const [key, values] of this.forbidden) if (l[key] !== undefined && values.has(l[key])) return REASONS.existingAntiAffinity
    return undefined
  }

  preference(i: number): number {
    const l = this.labels[i]!
    let s = 0
    for (const x of this.prefer) {
      const v = l[x.term.topologyKey]
      if (v !== undefined) s += x.weight * (x.domains.get(v) ?? 0)
    }
    return s
  }
}
