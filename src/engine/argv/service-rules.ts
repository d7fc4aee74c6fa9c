// Services as kube-proxy's iptables mode makes them (ADR 0013), in kgit's own chains of
// the nat table: one rule set per node, identical on every node, written in one
// iptables-restore call.
import {createHash} from 'node:crypto'
import {servicePortName} from '../controllers/service-ips.js'
import {parseIPv4} from '../manifest/cidr.js'
import {CHAIN_PREFIX, restoreWord, type ChainHook, type RuleSet} from './iptables.js'

export const SERVICES_CHAIN = `${CHAIN_PREFIX}SERVICES`
export const NODEPORTS_CHAIN = `${CHAIN_PREFIX}NODEPORTS`
export const MARK_MASQ_CHAIN = `${CHAIN_PREFIX}MARK-MASQ`
export const POSTROUTING_CHAIN = `${CHAIN_PREFIX}POSTROUTING`
/**
 * The packet mark bit that asks KGIT-POSTROUTING to masquerade (kube-proxy's bit; netavark
 * uses 0x2000). network.ts's MASQ_MARK (`0x4000/0x4000`) matches it: the pod network's own
 * no-masquerade rule leaves these packets alone.
 */
export const MASQ_BIT = '0x4000'

/** A Service port as the proxy sees it: its number, nodePort and ready endpoints. */
export interface ProxyPort {
  name: string
  protocol: 'TCP' | 'UDP' | 'SCTP'
  port: number
  nodePort?: number
  endpoints: {ip: string; port: number}[]
}

export interface ProxyService {
  namespace: string
  name: string
  clusterIP: string
  ports: ProxyPort[]
  sessionAffinity: 'None' | 'ClientIP'
  affinityTimeoutSeconds: number
}

export interface ServiceRulesInput {
  /** Traffic to a cluster IP from outside it (a node itself, another host) is masqueraded. */
  podCIDR: string
  services: readonly ProxyService[]
}

/** The jumps into kgit's nat chains, as kube-proxy hooks KUBE-SERVICES and KUBE-POSTROUTING. */
export const SERVICE_HOOKS: readonly ChainHook[] = [
  {chain: 'PREROUTING', rule: ['-m', 'comment', '--comment', 'kgit service portals', '-j', SERVICES_CHAIN]},
  {chain: 'OUTPUT', rule: ['-m', 'comment', '--comment', 'kgit service portals', '-j', SERVICES_CHAIN]},
  {chain: 'POSTROUTING', rule: ['-m', 'comment', '--comment', 'kgit postrouting rules', '-j', POSTROUTING_CHAIN]},
]

/** kube-proxy's chain hash: base32 of sha256, first 16 characters. */
function chainHash(text: string): string {
  const bytes = createHash('sha256').update(text).digest()
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let out = ''
  let bits = 0
  let value = 0
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5 && out.length < 16) {
      out += alphabet[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
    if (out.length === 16) break
  }
  return out
}

/** KGIT-SVC-<hash of servicePortName and protocol> (25 characters). */
export function serviceChain(portName: string, protocol: string): string {
  return `${CHAIN_PREFIX}SVC-${chainHash(portName + protocol)}`
}

/** KGIT-SEP-<hash of servicePortName, protocol and ip:port> (25 characters). */
export function endpointChain(portName: string, protocol: string, endpoint: string): string {
  return `${CHAIN_PREFIX}SEP-${chainHash(portName + protocol + endpoint)}`
}

/** kube-proxy's probability for the i-th of n endpoints: 1/(n-i), printed with ten decimals. */
export function probability(i: number, n: number): string {
  return (1 / (n - i)).toFixed(10)
}

type Emit = (chain: string, words: string[]) => void

/**
 * kgit's nat rules for Services: KGIT-SERVICES matches cluster IP and port and jumps to the
 * port's KGIT-SVC chain, which picks one KGIT-SEP chain at random (or the client's previous
 * one under ClientIP affinity), which DNATs to the endpoint. NodePorts go through
 * KGIT-NODEPORTS (last rule of KGIT-SERVICES, for local addresses). A port without ready
 * endpoints has no rules. Output is sorted, so equal input renders equal text.
 */
export function serviceRules(input: ServiceRulesInput): RuleSet {
  const byChain = new Map<string, string[]>([SERVICES_CHAIN, NODEPORTS_CHAIN, POSTROUTING_CHAIN, MARK_MASQ_CHAIN].map((c) => [c, []]))
  const emit: Emit = (chain, words) => {
    const list = byChain.get(chain) ?? byChain.set(chain, []).get(chain)!
    list.push(['-A', chain, ...words].map(restoreWord).join(' '))
  }
  const services = [...input.services].sort((a, b) => cmp(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`))
  for (const svc of services) for (const port of [...svc.ports].sort((a, b) => cmp(a.name, b.name) || a.port - b.port)) servicePortRules(emit, svc, port, input.podCIDR)
  emit(SERVICES_CHAIN, ['-m', 'comment', '--comment', 'kgit service nodeports; must be the last rule of this chain', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', NODEPORTS_CHAIN])
  emit(MARK_MASQ_CHAIN, ['-m', 'comment', '--comment', 'kgit: mark for masquerade', '-j', 'MARK', '--or-mark', MASQ_BIT])
  emit(POSTROUTING_CHAIN, ['-m', 'mark', '!', '--mark', `${MASQ_BIT}/${MASQ_BIT}`, '-m', 'comment', '--comment', 'kgit: not marked for masquerade', '-j', 'RETURN'])
  emit(POSTROUTING_CHAIN, ['-m', 'comment', '--comment', 'kgit: service traffic requiring SNAT', '-j', 'MARK', '--xor-mark', MASQ_BIT])
  emit(POSTROUTING_CHAIN, ['-m', 'comment', '--comment', 'kgit: service traffic requiring SNAT', '-j', 'MASQUERADE', '--random-fully'])
  const fixed = [SERVICES_CHAIN, NODEPORTS_CHAIN, POSTROUTING_CHAIN, MARK_MASQ_CHAIN]
  const chains = [...fixed, ...[...byChain.keys()].filter((c) => !fixed.includes(c)).sort(cmp)]
  return {table: 'nat', chains, rules: chains.flatMap((c) => byChain.get(c)!), hooks: [...SERVICE_HOOKS]}
}

function servicePortRules(emit: Emit, svc: ProxyService, port: ProxyPort, podCIDR: string): void {
  const spn = servicePortName(svc.namespace, svc.name, port)
  const proto = port.protocol.toLowerCase()
  if (port.endpoints.length === 0) return idlePortRules(emit, svc, port, spn)
  const svcChain = serviceChain(spn, port.protocol)
  const match = ['-p', proto, '-m', 'comment', '--comment', `${spn} cluster IP`, '-m', proto, '--dport', String(port.port)]
  emit(SERVICES_CHAIN, ['-d', `${svc.clusterIP}/32`, ...match, '-j', svcChain])
  // From outside the pod network (the node itself, a NodePort client): replies must come back through this node.
  emit(svcChain, ['!', '-s', podCIDR, '-d', `${svc.clusterIP}/32`, ...match, '-j', MARK_MASQ_CHAIN])
  if (port.nodePort !== undefined) {
    const nodeMatch = ['-p', proto, '-m', 'comment', '--comment', `${spn} node port`, '-m', proto, '--dport', String(port.nodePort)]
    emit(NODEPORTS_CHAIN, [...nodeMatch, '-j', MARK_MASQ_CHAIN])
    emit(NODEPORTS_CHAIN, [...nodeMatch, '-j', svcChain])
  }
  const eps = [...port.endpoints].sort((a, b) => ipNumber(a.ip) - ipNumber(b.ip) || a.port - b.port)
  const seps = eps.map((ep) => ({ep, dest: `${ep.ip}:${ep.port}`, chain: endpointChain(spn, port.protocol, `${ep.ip}:${ep.port}`)}))
  const affinity = svc.sessionAffinity === 'ClientIP'
  const recent = (sep: string): string[] => ['-m', 'recent', '--name', sep, '--mask', '255.255.255.255', '--rsource']
  if (affinity) for (const {dest, chain} of seps) emit(svcChain, ['-m', 'comment', '--comment', `${spn} -> ${dest}`, ...recent(chain), '--rcheck', '--seconds', String(svc.affinityTimeoutSeconds), '--reap', '-j', chain])
  seps.forEach(({dest, chain}, i) => {
    const pick = i < seps.length - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability(i, seps.length)] : []
    emit(svcChain, ['-m', 'comment', '--comment', `${spn} -> ${dest}`, ...pick, '-j', chain])
  })
  for (const {ep, dest, chain} of seps) {
    // Hairpin: an endpoint reaching itself through the Service must see the node as the source.
    emit(chain, ['-s', `${ep.ip}/32`, '-m', 'comment', '--comment', spn, '-j', MARK_MASQ_CHAIN])
    emit(chain, ['-p', proto, '-m', 'comment', '--comment', spn, ...(affinity ? [...recent(chain), '--set'] : []), '-m', proto, '-j', 'DNAT', '--to-destination', dest])
  }
}

/**
 * A port without ready endpoints: rules with no target (they only count packets), so that
 * its cluster IP and nodePort stay written on the node (allocationsFromRules reads them
 * back) while the traffic itself goes on untouched.
 */
function idlePortRules(emit: Emit, svc: ProxyService, port: ProxyPort, spn: string): void {
  const proto = port.protocol.toLowerCase()
  emit(SERVICES_CHAIN, ['-d', `${svc.clusterIP}/32`, '-p', proto, '-m', 'comment', '--comment', `${spn} cluster IP, no endpoints`, '-m', proto, '--dport', String(port.port)])
  if (port.nodePort !== undefined) emit(NODEPORTS_CHAIN, ['-p', proto, '-m', 'comment', '--comment', `${spn} node port, no endpoints`, '-m', proto, '--dport', String(port.nodePort)])
}

/**
 * The cluster IPs (`namespace/name` -> IP) and nodePorts (servicePortName -> port) that
 * rule lines hold, from serviceRules or from `iptables-save -t nat` of a node: the
 * `previous` of allocateClusterIPs and allocateNodePorts.
 */
export function allocationsFromRules(lines: readonly string[]): {ips: Map<string, string>; nodePorts: Map<string, number>} {
  const ips = new Map<string, string>()
  const nodePorts = new Map<string, number>()
  for (const line of lines) {
    const m = /^-A KGIT-(?:SERVICES|NODEPORTS) .*--comment "([^" ]+) (cluster IP|node port)(?:, no endpoints)?" .*--dport (\d+)/.exec(line)
    if (!m) continue
    const [, spn, what, port] = m as unknown as [string, string, string, string]
    const ip = /^-A \S+ -d (\d+\.\d+\.\d+\.\d+)\/32 /.exec(line)?.[1]
    if (what === 'node port') nodePorts.set(spn, Number(port))
    else if (ip) ips.set(spn.split(':')[0]!, ip)
  }
  return {ips, nodePorts}
}

function ipNumber(ip: string): number {
  return parseIPv4(ip) ?? 0
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
