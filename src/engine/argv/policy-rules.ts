import {createHash} from 'node:crypto'
import {cidrsOverlap, formatCidr, parseCidr, parseIPv4, type Cidr} from '../manifest/cidr.js'
import {byText} from '../order.js'
import type {NetPod, NetworkPolicyObject, PolicyType} from '../types.js'
import {restoreWord, type RuleSet} from './iptables.js'
import {hasIp, inIpBlock, peerSelects, policiesFor, policyName, resolvePort, rulesOf, type DirectedRule, type PolicyInput} from './policy-verdict.js'

export type {PolicyInput} from './policy-verdict.js'

/** The chain FORWARD jumps to first: replies pass, then each selected local pod's chains. */
export const POLICY_CHAIN = 'KGIT-FORWARD'
/** What a selected pod's chain does with traffic no rule allows (ADR 0014): refused at once, not left to time out. */
export const DENY_TARGET = ['REJECT', '--reject-with', 'icmp-port-unreachable']
const MARK = 'kgit netpol'

/**
 * The filter-table rules that enforce NetworkPolicy on one node: ingress to the pods that
 * run on it and egress from them (peers may run anywhere). kgit's chains never accept:
 * allowed traffic RETURNs to FORWARD and meets the node's own rules as before; traffic a
 * selected pod's policies do not allow is rejected. Deterministic: equal input, equal text.
 */
export function policyRules(input: PolicyInput & {node: string}): RuleSet {
  const local = input.pods.filter((p) => p.node === input.node && hasIp(p)).sort(byPod)
  const jumps: string[] = []
  const chains: {name: string; rules: string[]}[] = []
  for (const type of ['Egress', 'Ingress'] as const) {
    for (const pod of local) {
      const policies = policiesFor(input.policies, pod, type)
      if (policies.length === 0) continue
      const name = podChain(type, pod)
      const who = `${pod.namespace}/${pod.name}`
      jumps.push(line(POLICY_CHAIN, [type === 'Ingress' ? '-d' : '-s', `${pod.ip}/32`], `${MARK} ${type.toLowerCase()} ${who}`, [name]))
      chains.push({name, rules: podChainRules(input, type, pod, policies, name)})
    }
  }
  const replies = jumps.length > 0 ? [line(POLICY_CHAIN, ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED'], `${MARK} replies`, ['RETURN'])] : []
  chains.push({name: POLICY_CHAIN, rules: [...replies, ...jumps]})
  // By name, as iptables-save lists chains: what kgit writes reads back line for line.
  chains.sort((a, b) => byText(a.name, b.name))
  return {
    table: 'filter',
    chains: chains.map((c) => c.name),
    rules: chains.flatMap((c) => c.rules),
    hooks: [{chain: 'FORWARD', rule: ['-m', 'comment', '--comment', 'kgit network policy', '-j', POLICY_CHAIN]}],
  }
}

/** `KGIT-ING-<16 hex>` / `KGIT-EGR-<16 hex>`: 25 characters, stable for a pod's namespace and name. */
export function podChain(type: PolicyType, pod: Pick<NetPod, 'namespace' | 'name'>): string {
  const hash = createHash('sha256').update(`${pod.namespace}/${pod.name}`).digest('hex').slice(0, 16)
  return `KGIT-${type === 'Ingress' ? 'ING' : 'EGR'}-${hash}`
}

function podChainRules(input: PolicyInput, type: PolicyType, pod: NetPod, policies: NetworkPolicyObject[], chain: string): string[] {
  // A pod cannot block itself (its own address back through a Service is forwarded).
  const out = [line(chain, [type === 'Ingress' ? '-s' : '-d', `${pod.ip}/32`], `${MARK} ${pod.namespace}/${pod.name} itself`, ['RETURN'])]
  for (const policy of policies) {
    rulesOf(policy, type).forEach((rule, i) => {
      const comment = `${MARK} ${policyName(policy)} ${type.toLowerCase()}[${i}]`
      for (const m of ruleMatches(input, type, pod, policy, rule)) out.push(line(chain, m, comment, ['RETURN']))
    })
  }
  const names = policies.map(policyName)
  const shown = names.length > 4 ? [...names.slice(0, 4), `${names.length - 4} more`] : names
  out.push(line(chain, [], `${MARK} ${pod.namespace}/${pod.name} ${type.toLowerCase()} denied: isolated by ${shown.join(', ')}`, DENY_TARGET))
  return [...new Set(out)]
}

interface Match {
  /** A CIDR; undefined: any address. */
  addr?: string
  protocol?: string
  dport?: string
}

/**
 * The matches of one rule, each allowing traffic on its own: every peer address with every
 * numeric port, and every destination pod with the numbers its named ports resolve to.
 */
function ruleMatches(input: PolicyInput, type: PolicyType, pod: NetPod, policy: NetworkPolicyObject, rule: DirectedRule): string[][] {
  const peerPods = input.pods.filter(hasIp).sort(byPod)
  const selected = (p: NetPod): boolean => rule.peers.length === 0 || rule.peers.some((peer) => (peer.ipBlock ? inIpBlock(peer.ipBlock, p.ip) : peerSelects(input, policy, peer, p)))
  const addrs: (string | undefined)[] = rule.peers.length === 0 ? [undefined] : rule.peers.flatMap((peer) => (peer.ipBlock ? blockCidrs(peer.ipBlock) : peerPods.filter((p) => peerSelects(input, policy, peer, p)).map((p) => `${p.ip}/32`)))
  const ports = rule.ports.length === 0 ? [undefined] : rule.ports
  const matches: Match[] = []
  for (const port of ports) {
    if (port === undefined) {
      matches.push(...addrs.map((addr) => ({addr})))
    } else if (typeof port.port !== 'string') {
      const r = resolvePort(port, undefined)
      const dport = r === 'any' ? undefined : r[0]!.from === r[0]!.to ? `${r[0]!.from}` : `${r[0]!.from}:${r[0]!.to}`
      matches.push(...addrs.map((addr) => ({addr, protocol: port.protocol, dport})))
    } else if (type === 'Ingress') {
      const resolved = resolvePort(port, pod)
      for (const r of resolved === 'any' ? [] : resolved) matches.push(...addrs.map((addr) => ({addr, protocol: port.protocol, dport: `${r.from}`})))
    } else {
      // Egress: a named port is a port of each destination pod; an address that is no pod has none.
      for (const dest of peerPods.filter(selected)) {
        const resolved = resolvePort(port, dest)
        for (const r of resolved === 'any' ? [] : resolved) matches.push({addr: `${dest.ip}/32`, protocol: port.protocol, dport: `${r.from}`})
      }
    }
  }
  return matches.map((m) => matchWords(type, m))
}

function matchWords(type: PolicyType, m: Match): string[] {
  const words = m.addr === undefined ? [] : [type === 'Ingress' ? '-s' : '-d', m.addr]
  if (m.protocol) {
    const p = m.protocol.toLowerCase()
    words.push('-p', p, ...(m.dport ? ['-m', p, '--dport', m.dport] : []))
  }
  return words
}

/** An ipBlock as disjoint CIDRs: its cidr minus its excepts. 0.0.0.0/0 is any address (iptables writes no -s for it). */
export function blockCidrs(block: {cidr: string; except: string[]}): (string | undefined)[] {
  const out = subtract(parseCidr(block.cidr)!, block.except.map((e) => parseCidr(e)!))
  return out.map((c) => (c.prefix === 0 ? undefined : formatCidr(c)))
}

function subtract(c: Cidr, except: Cidr[]): Cidr[] {
  const inside = except.filter((e) => cidrsOverlap(c, e))
  if (inside.length === 0) return [c]
  if (inside.some((e) => e.prefix <= c.prefix)) return []
  const half = 2 ** (31 - c.prefix)
  return [{base: c.base, prefix: c.prefix + 1}, {base: c.base + half, prefix: c.prefix + 1}].flatMap((h) => subtract(h, inside))
}

/** One rule line in iptables-save's own form, so that what kgit writes reads back the same. */
function line(chain: string, matches: string[], comment: string, target: string[]): string {
  // iptables keeps comments of at most 255 characters; names can be longer.
  return ['-A', chain, ...matches, '-m', 'comment', '--comment', comment.slice(0, 255), '-j', ...target].map(restoreWord).join(' ')
}

function byPod(a: NetPod, b: NetPod): number {
  return parseIPv4(a.ip)! - parseIPv4(b.ip)! || byText(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`)
}
