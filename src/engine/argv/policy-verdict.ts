// NetworkPolicy semantics, as Kubernetes defines them: what policy-rules.ts renders and
// what policyVerdict answers, from the same helpers so that they cannot drift apart.
import {cidrContains, parseCidr, parseIPv4} from '../manifest/cidr.js'
import {selectorMatches} from '../manifest/labels.js'
import {byText} from '../order.js'
import type {NetPod, NetworkPolicyObject, NetworkPolicyPeer, NetworkPolicyPort, PolicyType} from '../types.js'

/** What NetworkPolicy enforcement needs to know of the cluster. */
export interface PolicyInput {
  /** Every pod of the cluster (peers may run anywhere); pods with no IP yet are left out. */
  pods: readonly NetPod[]
  /** Namespace -> its labels; `kubernetes.io/metadata.name` is added here as Kubernetes sets it. */
  namespaces: Readonly<Record<string, Readonly<Record<string, string>>>>
  policies: readonly NetworkPolicyObject[]
}

/** A rule of a policy in one direction: its peers (from or to) and ports. */
export interface DirectedRule {
  peers: NetworkPolicyPeer[]
  ports: NetworkPolicyPort[]
}

export const policyName = (p: NetworkPolicyObject): string => `${p.metadata.namespace}/${p.metadata.name}`

export const hasIp = (pod: NetPod): boolean => parseIPv4(pod.ip) !== undefined

/** The policies of a type that select a pod (its namespace, its labels), by name. */
export function policiesFor(policies: readonly NetworkPolicyObject[], pod: NetPod, type: PolicyType): NetworkPolicyObject[] {
  return policies
    .filter((p) => p.metadata.namespace === pod.namespace && p.spec.policyTypes.includes(type) && selectorMatches(p.spec.podSelector, pod.labels))
    .sort((a, b) => byText(policyName(a), policyName(b)))
}

export function rulesOf(p: NetworkPolicyObject, type: PolicyType): DirectedRule[] {
  return type === 'Ingress' ? p.spec.ingress.map((r) => ({peers: r.from, ports: r.ports})) : p.spec.egress.map((r) => ({peers: r.to, ports: r.ports}))
}

function nsLabels(input: PolicyInput, ns: string): Record<string, string> {
  return {...input.namespaces[ns], 'kubernetes.io/metadata.name': ns}
}

/** Whether a pod is one a selector peer of `policy` names (podSelector and namespaceSelector ANDed). */
export function peerSelects(input: PolicyInput, policy: NetworkPolicyObject, peer: NetworkPolicyPeer, pod: NetPod): boolean {
  if (peer.ipBlock) return false
  const nsOk = peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, nsLabels(input, pod.namespace)) : pod.namespace === policy.metadata.namespace
  return nsOk && (peer.podSelector === undefined || selectorMatches(peer.podSelector, pod.labels))
}

/** Whether an address is in an ipBlock (in its cidr and in none of its excepts). */
export function inIpBlock(block: NonNullable<NetworkPolicyPeer['ipBlock']>, ip: string): boolean {
  const n = parseIPv4(ip)
  const within = (c: string): boolean => n !== undefined && cidrContains(parseCidr(c)!, n)
  return within(block.cidr) && !block.except.some(within)
}

/** The port numbers a policy port names on a destination pod: a named port resolves only on a pod that has it. */
export function resolvePort(port: NetworkPolicyPort, dest: NetPod | undefined): {from: number; to: number}[] | 'any' {
  if (port.port === undefined) return 'any'
  if (typeof port.port === 'number') return [{from: port.port, to: port.endPort ?? port.port}]
  const named = (dest?.ports ?? []).filter((c) => c.name === port.port && c.protocol === port.protocol)
  return [...new Set(named.map((c) => c.containerPort))].sort((a, b) => a - b).map((n) => ({from: n, to: n}))
}

/** One end of a connection: an address, the pod that has it, or the host of a node. */
export interface Endpoint {
  ip: string
  pod?: NetPod
  /** The address is this node's own (traffic of the host, not of a pod). */
  node?: string
}

/** How one direction judged a connection: no policy isolates the pod, a rule allows it, or none does. */
export interface SideVerdict {
  verdict: 'open' | 'allowed' | 'denied'
  /** allowed: the rule that allows it (`ns/name ingress[0]`); denied: the policies that isolate the pod. */
  by: string[]
}

export interface Verdict {
  allow: boolean
  egress: SideVerdict
  ingress: SideVerdict
  /** For people: what decided, naming the policy. */
  reason: string
}

const OPEN: SideVerdict = {verdict: 'open', by: []}

/**
 * Whether a new connection is allowed, by Kubernetes' rules: the egress of the source pod
 * and the ingress of the destination pod must both allow it. A pod always reaches itself, a
 * node its own pods, and a pod its own node (kgit filters forwarded traffic only). Replies of allowed
 * connections always pass.
 */
export function policyVerdict(input: PolicyInput, from: Endpoint, to: Endpoint, port: number, protocol: string): Verdict {
  const self = from.pod !== undefined && to.pod !== undefined && from.pod.namespace === to.pod.namespace && from.pod.name === to.pod.name
  const toOwnNode = self || (from.pod !== undefined && to.node === from.pod.node)
  const fromOwnNode = self || (to.pod !== undefined && from.node === to.pod.node)
  const egress = from.pod && !toOwnNode ? side(input, 'Egress', from.pod, to, port, protocol) : OPEN
  const ingress = to.pod && !fromOwnNode ? side(input, 'Ingress', to.pod, from, port, protocol) : OPEN
  const allow = egress.verdict !== 'denied' && ingress.verdict !== 'denied'
  const describe = (type: PolicyType, pod: NetPod | undefined, s: SideVerdict): string =>
    s.verdict === 'denied' ? `${type.toLowerCase()} of ${pod!.namespace}/${pod!.name} is isolated by ${s.by.join(', ')} and no rule allows it` : `${type.toLowerCase()} ${s.verdict === 'open' ? 'open' : `allowed by ${s.by[0]}`}`
  const reason = allow ? `${describe('Egress', from.pod, egress)}; ${describe('Ingress', to.pod, ingress)}` : egress.verdict === 'denied' ? describe('Egress', from.pod, egress) : describe('Ingress', to.pod, ingress)
  return {allow, egress, ingress, reason}
}

function side(input: PolicyInput, type: PolicyType, local: NetPod, peer: Endpoint, port: number, protocol: string): SideVerdict {
  const policies = policiesFor(input.policies, local, type)
  if (policies.length === 0) return OPEN
  const dest = type === 'Ingress' ? local : peer.pod
  for (const policy of policies) {
    const rules = rulesOf(policy, type)
    const i = rules.findIndex((r) => peersMatch(input, policy, r.peers, peer) && portsMatch(r.ports, dest, port, protocol))
    if (i >= 0) return {verdict: 'allowed', by: [`${policyName(policy)} ${type.toLowerCase()}[${i}]`]}
  }
  return {verdict: 'denied', by: policies.map(policyName)}
}

function peersMatch(input: PolicyInput, policy: NetworkPolicyObject, peers: NetworkPolicyPeer[], at: Endpoint): boolean {
  if (peers.length === 0) return true
  return peers.some((peer) => (peer.ipBlock ? inIpBlock(peer.ipBlock, at.ip) : at.pod !== undefined && peerSelects(input, policy, peer, at.pod)))
}

function portsMatch(ports: NetworkPolicyPort[], dest: NetPod | undefined, port: number, protocol: string): boolean {
  if (ports.length === 0) return true
  return ports.some((p) => {
    if (p.protocol !== protocol) return false
    const range = resolvePort(p, dest)
    return range === 'any' || range.some((r) => port >= r.from && port <= r.to)
  })
}
