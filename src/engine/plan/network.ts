// The pod network's part of a plan (ADR 0017): slices, pod addresses, and the network
// state every node should hold (routes, kgit's iptables chains, hosts files).
import {allocateSlices, inCidr, ipAllocator, podRoutes, sliceGateway, type PodRoute} from '../controllers/pod-network.js'
import {hostsFiles, type NameEntry} from '../controllers/service-names.js'
import {mergeRuleSets, podNetworkRules, ruleSetHash, serviceRangeRules, shortHash, type NetworkState} from '../argv/network.js'
import type {RuleSet} from '../argv/iptables.js'
import type {Desired, NetPod, NodeNet, NodeRecord, Observed, ObservedPod} from '../types.js'

/** Writing one node's network state: its pod network, routes, kgit's chains and hosts files. */
export interface NetworkSyncAction {
  type: 'sync-network'
  node: string
  state: NetworkState
  hash: string
  reason: string
  drift?: boolean
  /** What changes, for plans: `services`, `routes`... */
  changes: string[]
}

/** What Services and NetworkPolicy add to the network state (plan/services.ts). */
export interface NetworkLayers {
  /** Service rules (nat), the same on every node. */
  nat: RuleSet[]
  /** NetworkPolicy rules (filter) of one node; the same object for nodes with the same rules. */
  filter(node: string): RuleSet
  /** Names to resolve in pods. */
  names: NameEntry[]
  /** Namespaces whose pods get a hosts file. */
  namespaces: string[]
}

export interface NetworkPlan {
  /** node -> slice, for the records. */
  slices: Record<string, string>
  syncs: NetworkSyncAction[]
  errors: string[]
}

/** The slices nodes had: the records, then what each node says itself. */
export function knownSlices(record: NodeRecord | undefined, observed: Observed): Map<string, string> {
  const known = new Map(Object.entries(record?.podCIDRs ?? {}))
  for (const n of observed.nodes) if (n.reachable && n.net?.slice) known.set(n.node, n.net.slice)
  return known
}

/** Slices for the cluster's nodes. */
export function clusterSlices(desired: Desired, observed: Observed, record: NodeRecord | undefined): {slices: Map<string, string>; errors: string[]} {
  return allocateSlices(
    desired.cluster.network,
    desired.cluster.nodes.map((n) => n.name),
    knownSlices(record, observed),
  )
}

/**
 * Addresses for the pods a plan starts: each from its node's slice, never one a pod on that
 * node holds (running, or being removed in this step). Returns the pods that got none.
 */
export function assignPodIPs(starts: {node: string; pod: {ip?: string; namespace: string; name: string}}[], live: readonly ObservedPod[], slices: ReadonlyMap<string, string>): {node: string; pod: {namespace: string; name: string}; reason: string}[] {
  const alloc = new Map<string, () => string | undefined>()
  const failed: {node: string; pod: {namespace: string; name: string}; reason: string}[] = []
  for (const s of starts) {
    const slice = slices.get(s.node)
    if (!slice) {
      failed.push({node: s.node, pod: s.pod, reason: `node ${s.node} has no slice of spec.network.podCIDR`})
      continue
    }
    if (!alloc.has(s.node)) alloc.set(s.node, ipAllocator(slice, live.filter((o) => o.node === s.node && o.ip).map((o) => o.ip!)))
    const ip = alloc.get(s.node)!()
    if (ip) s.pod.ip = ip
    else failed.push({node: s.node, pod: s.pod, reason: `no free address left in node ${s.node}'s pod slice ${slice}`})
  }
  return failed
}

/** The pods the network routes to: those that run on reachable nodes with an address, minus those this step removes. */
export function netPods(live: readonly ObservedPod[], leaving: ReadonlySet<ObservedPod>, subdomainOf: (p: ObservedPod) => string | undefined): NetPod[] {
  return live
    .filter((o) => o.ip && !leaving.has(o))
    .map((o) => {
      const sub = subdomainOf(o)
      const ports = (o.spec?.containers ?? []).flatMap((c) => c.ports.map((p) => ({...(p.name ? {name: p.name} : {}), containerPort: p.containerPort, protocol: p.protocol})))
      return {namespace: o.namespace, name: o.name, node: o.node, ip: o.ip!, labels: o.labels, ready: o.ready === true, ports, ...(sub ? {hostname: o.spec?.hostname ?? o.name, subdomain: sub} : {})}
    })
}

/**
 * The network state each reachable node should hold, and a sync for each that does not.
 * Hashes are built from parts shared by every node (Service rules, names, the slice map),
 * so a no-op plan costs little per node even with thousands of nodes.
 */
export function planNetwork(desired: Desired, observed: Observed, slices: ReadonlyMap<string, string>, layers: NetworkLayers): NetworkSyncAction[] {
  const {podCIDR, clusterDomain} = desired.cluster.network
  const addresses = new Map(desired.cluster.nodes.map((n) => [n.name, n.address]))
  const hosts = hostsFiles(layers.namespaces, layers.names, clusterDomain)
  const nat = mergeRuleSets('nat', [podNetworkRules(podCIDR), ...layers.nat])
  const shared = shortHash(ruleSetHash(nat), JSON.stringify(Object.entries(hosts)), JSON.stringify([...slices].map(([n, c]) => [n, c, addresses.get(n)])))
  const filterHashes = new Map<RuleSet, string>()
  const range = serviceRangeRules(desired.cluster.network.serviceCIDR)
  const merged = new Map<RuleSet, RuleSet>()
  const withRange = (set: RuleSet): RuleSet => {
    if (!merged.has(set)) merged.set(set, mergeRuleSets('filter', [set, range]))
    return merged.get(set)!
  }
  const syncs: NetworkSyncAction[] = []
  for (const n of observed.nodes) {
    const slice = slices.get(n.node)
    if (!n.reachable || !slice) continue
    const filter = withRange(layers.filter(n.node))
    if (!filterHashes.has(filter)) filterHashes.set(filter, ruleSetHash(filter))
    const hash = shortHash(n.node, slice, shared, filterHashes.get(filter)!)
    // Addresses of podCIDR no node holds go nowhere: never out by the node's default route.
    const routes = (): PodRoute[] => [...podRoutes(n.node, slices, addresses), {dest: podCIDR, via: 'unreachable'}]
    const why = syncReason(n.net, slice, hash, routes, filter.hooks.filter((h) => h.chain === 'FORWARD').map((h) => h.rule.at(-1)!))
    if (why) syncs.push({type: 'sync-network', node: n.node, state: {slice, gateway: sliceGateway(slice), routes: routes(), nat, filter, hosts}, hash, ...why})
  }
  return syncs
}

/** Why a node's network must be written: never made, changed in git, or changed on the node (drift). */
function syncReason(net: NodeNet | undefined, slice: string, hash: string, routes: () => PodRoute[], forward: string[]): {reason: string; drift?: true; changes: string[]} | undefined {
  if (!net?.state) return {reason: `pod network ${slice}`, changes: ['pod network']}
  if (net.slice !== slice) return {reason: `pod network moves to ${slice}`, changes: ['pod network']}
  if (net.state !== hash) return {reason: 'services, endpoints, policies or routes changed', changes: ['network state']}
  const lost: string[] = []
  if (net.tables && net.tables.nat !== hash) lost.push("kgit's nat chains")
  if (net.tables && net.tables.filter !== hash) lost.push("kgit's filter chains")
  const have = new Set((net.routes ?? []).map((r) => `${r.dest} ${r.via}`))
  const missing = net.routes ? routes().filter((r) => /^[0-9.]+$/.test(r.via) && !have.has(`${r.dest} ${r.via}`)) : []
  if (missing.length > 0) lost.push(`routes to ${missing.map((r) => r.dest).join(', ')}`)
  // Something inserted above kgit's FORWARD jumps (netavark's ACCEPTs) would pass traffic before NetworkPolicy.
  if (net.forward && forward.some((t, i) => net.forward![i] !== t)) lost.push(`the order of filter FORWARD (${net.forward.join(' ') || 'empty'}; kgit's ${forward.join(', ')} must come first)`)
  return lost.length > 0 ? {reason: `drift: ${lost.join(', ')} changed on the node`, drift: true, changes: lost} : undefined
}

/** Whether an address lies in the node's slice: a pod outside it was started on another network. */
export function onPodNetwork(o: ObservedPod, slice: string | undefined): boolean {
  return o.ip !== undefined && slice !== undefined && inCidr(slice, o.ip)
}
