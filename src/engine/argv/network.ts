import {createHash} from 'node:crypto'
import type {PodRoute} from '../controllers/pod-network.js'
import {POD_NETWORK, ROUTE_PROTO} from '../marks.js'
import {restoreText, type RuleSet} from './iptables.js'
import {chainDigests} from './rule-delta.js'
import {MASQ_BIT} from './service-rules.js'

/** Everything kgit keeps of the pod network on one node (ADR 0017). */
export interface NetworkState {
  slice: string
  gateway: string
  routes: PodRoute[]
  nat: RuleSet
  filter: RuleSet
  /** namespace -> its /etc/hosts (service names). */
  hosts: Record<string, string>
}

/** The chain that holds the state hash in each table: a node whose chains were flushed is told by its absence. */
export const STATE_CHAIN = 'KGIT-STATE'

/** A short hash of text: equal hashes, nothing to write. */
export function shortHash(...parts: string[]): string {
  const h = createHash('sha256')
  for (const p of parts) h.update(p).update('\0')
  return h.digest('hex').slice(0, 20)
}

/** The hash of a rule set as written (its restore text and hooks). */
export function ruleSetHash(set: RuleSet): string {
  return shortHash(restoreText(set), JSON.stringify(set.hooks))
}

/** A rule set with the state chain added (a RETURN rule carrying the hash in its comment). */
function withState(set: RuleSet, hash: string): RuleSet {
  return {...set, chains: [...set.chains, STATE_CHAIN], rules: [...set.rules, `-A ${STATE_CHAIN} -m comment --comment "kgit-state ${hash}" -j RETURN`]}
}

/**
 * The network sync of one node: templates/node/kgit-net.sh with its arguments, and the
 * state it writes as stdin sections (routes, both tables, hooks, hosts files).
 */
export function networkSync(script: string, dataDir: string, state: NetworkState, hash: string): {argv: string[]; stdin: string} {
  const nat = withState(state.nat, hash)
  const filter = withState(state.filter, hash)
  const digests = (set: RuleSet): string => [...chainDigests(set)].map(([c, d]) => `${c} ${d}\n`).join('')
  const sections: [string, string][] = [
    ['routes', state.routes.map((r) => `${r.dest} ${r.via}\n`).join('')],
    ['nat', restoreText(nat)],
    ['nat.digests', digests(nat)],
    ['filter', restoreText(filter)],
    ['filter.digests', digests(filter)],
    // One hook per line, its words separated by tabs (a comment may hold spaces).
    ['hooks', [...state.nat.hooks.map((h) => ({t: 'nat', h})), ...state.filter.hooks.map((h) => ({t: 'filter', h}))].map(({t, h}) => `${[t, h.chain, ...h.rule].join('\t')}\n`).join('')],
    ...Object.entries(state.hosts)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([ns, text]): [string, string] => [`hosts.${ns}`, text]),
  ]
  const stdin = sections.map(([name, text]) => `@@kgit-file ${name}\n${text}${text.endsWith('\n') || text === '' ? '' : '\n'}`).join('')
  return {argv: ['bash', '-c', script, 'kgit-net', dataDir, state.slice, state.gateway, hash, POD_NETWORK, String(ROUTE_PROTO)], stdin}
}

/** The hosts file a namespace's pods mount as /etc/hosts. */
export function hostsFilePath(dataDir: string, namespace: string): string {
  return `${dataDir}/net/hosts/${namespace}`
}

/** The Service rules' masquerade mark (as kube-proxy's 0x4000), as a `--mark` value. */
export const MASQ_MARK = `${MASQ_BIT}/${MASQ_BIT}`

/**
 * The pod network's own nat rule: pod-to-pod traffic across nodes keeps its source address
 * (podman masquerades whatever leaves a node's slice), so NetworkPolicy sees the real peer.
 * Packets the Service rules marked for masquerade (hairpin) are left to them.
 */
export function podNetworkRules(podCIDR: string): RuleSet {
  return {
    table: 'nat',
    chains: ['KGIT-PODNET'],
    rules: [`-A KGIT-PODNET -s ${podCIDR} -d ${podCIDR} -m mark ! --mark ${MASQ_MARK} -m comment --comment "kgit pod-to-pod: no masquerade" -j ACCEPT`],
    hooks: [{chain: 'POSTROUTING', rule: ['-m', 'comment', '--comment', 'kgit-pod-network', '-j', 'KGIT-PODNET']}],
  }
}

/**
 * Traffic to a cluster IP that no Service rule rewrote (no such Service, or no ready
 * endpoint) is refused at once, as kube-proxy's REJECT does, rather than sent out by the
 * default route. (A route could not do it: a node's own connection would fail before its
 * nat OUTPUT rule rewrites it.)
 */
export function serviceRangeRules(serviceCIDR: string): RuleSet {
  return {
    table: 'filter',
    chains: ['KGIT-NOSVC'],
    rules: [`-A KGIT-NOSVC -d ${serviceCIDR} -m conntrack ! --ctstate DNAT -m comment --comment "kgit: cluster IP with no endpoint" -j REJECT --reject-with icmp-port-unreachable`],
    hooks: [
      {chain: 'FORWARD', rule: ['-m', 'comment', '--comment', 'kgit-cluster-ips', '-j', 'KGIT-NOSVC']},
      {chain: 'OUTPUT', rule: ['-m', 'comment', '--comment', 'kgit-cluster-ips', '-j', 'KGIT-NOSVC']},
    ],
  }
}

/** Both rule sets of one table as one: chains, rules and hooks in order. */
export function mergeRuleSets(table: RuleSet['table'], sets: readonly RuleSet[]): RuleSet {
  const mine = sets.filter((s) => s.table === table)
  return {table, chains: [...new Set(mine.flatMap((s) => s.chains))], rules: mine.flatMap((s) => s.rules), hooks: mine.flatMap((s) => s.hooks)}
}
