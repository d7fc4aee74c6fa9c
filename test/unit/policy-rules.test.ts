import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {CHAIN_PREFIX, restoreText, restoreWord, type RuleSet} from '../../src/engine/argv/iptables.js'
import {podChain, policyRules, POLICY_CHAIN} from '../../src/engine/argv/policy-rules.js'
import {policyVerdict, type Endpoint, type PolicyInput} from '../../src/engine/argv/policy-verdict.js'
import {cidrContains, parseCidr, parseIPv4} from '../../src/engine/manifest/cidr.js'
import {loadDesired} from '../../src/engine/manifest/load.js'
import {namespaceLabels} from '../../src/engine/manifest/network-policy.js'
import * as schema from '../../src/engine/manifest/schema.js'
import type {NetPod, NetworkPolicyObject} from '../../src/engine/types.js'

// The semantics oracle (policyVerdict) and the rendered rules, run by a tiny iptables
// interpreter, must agree on every case: the rules cannot drift from Kubernetes' meaning.

const CLUSTER = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: lab}\nspec:\n  nodes:\n    - {name: n1, address: 198.51.100.1}\n    - {name: n2, address: 198.51.100.2}\n'
const NAMESPACES = [['shop', '{team: a}'], ['ops', '{team: b}'], ['other', '{}']].map(([name, labels]) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}, labels: ${labels}}\n`).join('---\n')
const HOSTS: Record<string, string> = {n1: '198.51.100.1', n2: '198.51.100.2'}

const pod = (id: string, node: string, ip: string, labels: Record<string, string>, ports: NetPod['ports'] = []): NetPod => {
  const [namespace, name] = id.split('/') as [string, string]
  return {namespace, name, node, ip, labels, ready: true, ports}
}
const PODS: NetPod[] = [
  pod('shop/web-1', 'n1', '10.244.1.10', {app: 'web'}, [{name: 'http', containerPort: 8080, protocol: 'TCP'}, {name: 'metrics', containerPort: 9090, protocol: 'TCP'}]),
  pod('shop/web-2', 'n2', '10.244.2.10', {app: 'web'}, [{name: 'http', containerPort: 8081, protocol: 'TCP'}]),
  pod('shop/api-1', 'n1', '10.244.1.11', {app: 'api'}, [{name: 'grpc', containerPort: 9000, protocol: 'TCP'}, {name: 'dns', containerPort: 53, protocol: 'UDP'}]),
  pod('shop/db-1', 'n2', '10.244.2.11', {app: 'db'}, [{name: 'pg', containerPort: 5432, protocol: 'TCP'}]),
  pod('shop/pending', 'n1', '', {app: 'web'}),
  pod('ops/mon-1', 'n1', '10.244.1.20', {app: 'mon', role: 'scraper'}),
  pod('ops/job-1', 'n2', '10.244.2.20', {app: 'job'}),
  pod('other/x-1', 'n1', '10.244.1.30', {app: 'web'}),
  pod('other/api-9', 'n2', '10.244.2.30', {app: 'api'}),
]

function input(policies: string): PolicyInput {
  const docs = [NAMESPACES, policies].join('---\n')
  const res = loadDesired({revision: 'r', clusterFile: {path: 'kgit.yaml', content: new TextEncoder().encode(CLUSTER)}, files: [{path: 'manifests/np.yaml', content: new TextEncoder().encode(docs)}], schema})
  expect(res.errors.map((e) => e.message)).toEqual([])
  const objects = res.desired!.objects
  return {pods: PODS, namespaces: namespaceLabels(objects), policies: objects.filter((o): o is NetworkPolicyObject => o.kind === 'NetworkPolicy')}
}
const np = (name: string, spec: string, ns = 'shop'): string => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}`

/** `shop/web-1` a pod, `host:n1` a node itself, anything else an address outside the cluster. */
function endpoint(s: string): Endpoint {
  if (s.startsWith('host:')) return {ip: HOSTS[s.slice(5)]!, node: s.slice(5)}
  const p = PODS.find((x) => `${x.namespace}/${x.name}` === s)
  return p ? {ip: p.ip, pod: p} : {ip: s}
}

// ---- a tiny interpreter of the rendered lines ----

interface Packet {
  src: string
  dst: string
  protocol: string
  dport: number
  state: 'NEW' | 'ESTABLISHED'
}

function words(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!))
}

function matches(w: string[], p: Packet): boolean {
  const inCidr = (ip: string, c: string): boolean => cidrContains(parseCidr(c)!, parseIPv4(ip)!)
  for (let i = 2; i < w.length && w[i] !== '-j'; i += 2) {
    const [flag, value] = [w[i]!, w[i + 1]!]
    if (flag === '-s' && !inCidr(p.src, value)) return false
    if (flag === '-d' && !inCidr(p.dst, value)) return false
    if (flag === '-p' && value !== p.protocol) return false
    if (flag === '--dport') {
      const [lo, hi = lo] = value.split(':').map(Number)
      if (p.dport < lo! || p.dport > hi!) return false
    }
    if (flag === '--ctstate' && !value.split(',').includes(p.state)) return false
    if (!['-s', '-d', '-p', '-m', '--dport', '--ctstate', '--comment'].includes(flag)) throw new Error(`interpreter: unknown word ${flag}`)
  }
  return true
}

/** Runs a packet through FORWARD's jump into kgit's chain: 'pass' (back to FORWARD, or ACCEPT) or 'deny'. */
function forward(set: RuleSet, p: Packet): 'pass' | 'deny' {
  const byChain = new Map<string, string[][]>(set.chains.map((c) => [c, []]))
  for (const l of set.rules) byChain.get(words(l)[1]!)!.push(words(l))
  const run = (chain: string, depth: number): 'pass' | 'deny' | 'return' => {
    if (depth > 10) throw new Error('interpreter: jump loop')
    for (const w of byChain.get(chain)!) {
      if (!matches(w, p)) continue
      const target = w[w.indexOf('-j') + 1]!
      if (target === 'RETURN') return 'return'
      if (target === 'ACCEPT') return 'pass'
      if (target === 'DROP' || target === 'REJECT') return 'deny'
      const sub = run(target, depth + 1)
      if (sub !== 'return') return sub
    }
    return 'return'
  }
  return run(POLICY_CHAIN, 0) === 'deny' ? 'deny' : 'pass'
}

/** Where a packet meets FORWARD: on the source pod's node, then the destination pod's (once when they are the same). */
function forwardNodes(from: Endpoint, to: Endpoint): string[] {
  if (from.pod && from.pod === to.pod) return []
  const nodes: string[] = []
  if (from.pod && to.node !== from.pod.node) nodes.push(from.pod.node)
  if (to.pod && from.node !== to.pod.node && !nodes.includes(to.pod.node)) nodes.push(to.pod.node)
  return nodes
}

function rulesSay(inp: PolicyInput, from: Endpoint, to: Endpoint, port: number, protocol: string, state: Packet['state'] = 'NEW'): boolean {
  const p: Packet = {src: from.ip, dst: to.ip, protocol: protocol.toLowerCase(), dport: port, state}
  return forwardNodes(from, to).every((node) => forward(policyRules({...inp, node}), p) === 'pass')
}

// ---- the cases ----

type Case = [from: string, to: string, port: string, expected: 'allow' | 'deny', reason?: string]
interface Scenario {
  name: string
  policies: string
  cases: Case[]
}

const DENY_ALL = np('deny-all', '  podSelector: {}\n')

const SCENARIOS: Scenario[] = [
  {
    name: 'default-deny ingress in a namespace',
    policies: DENY_ALL,
    cases: [
      ['ops/mon-1', 'shop/web-1', '8080', 'deny', 'ingress of shop/web-1 is isolated by shop/deny-all and no rule allows it'],
      ['shop/api-1', 'shop/web-1', '8080', 'deny'],
      ['shop/web-2', 'shop/db-1', '5432', 'deny'],
      ['203.0.113.5', 'shop/db-1', '5432', 'deny'],
      ['host:n1', 'shop/web-1', '8080', 'allow', 'ingress open'],
      ['host:n2', 'shop/web-1', '8080', 'deny'],
      ['shop/web-1', 'shop/web-1', '8080', 'allow'],
      ['shop/web-1', 'ops/job-1', '80', 'allow', 'egress open; ingress open'],
      ['shop/web-1', '203.0.113.5', '443', 'allow'],
      ['other/x-1', 'ops/mon-1', '80', 'allow'],
      ['shop/db-1', 'other/api-9', 'udp/53', 'allow'],
    ],
  },
  {
    name: 'allow by pod label (same namespace only)',
    policies: np('db-from-api', '  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from: [{podSelector: {matchLabels: {app: api}}}]\n      ports: [{port: 5432}]\n'),
    cases: [
      ['shop/api-1', 'shop/db-1', '5432', 'allow', 'ingress allowed by shop/db-from-api ingress[0]'],
      ['shop/api-1', 'shop/db-1', '22', 'deny'],
      ['shop/api-1', 'shop/db-1', 'udp/5432', 'deny'],
      ['shop/web-1', 'shop/db-1', '5432', 'deny'],
      ['other/api-9', 'shop/db-1', '5432', 'deny'],
      ['shop/web-1', 'shop/api-1', '9000', 'allow'],
      ['shop/db-1', 'shop/api-1', '9000', 'allow'],
    ],
  },
  {
    name: 'allow by namespace label, and by the namespace name label Kubernetes sets',
    policies: [
      np('db-from-team-b', '  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from: [{namespaceSelector: {matchLabels: {team: b}}}]\n'),
      np('web-from-other', '  podSelector: {matchLabels: {app: web}}\n  ingress:\n    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}}]\n'),
    ].join('---\n'),
    cases: [
      ['ops/mon-1', 'shop/db-1', '5432', 'allow'],
      ['ops/job-1', 'shop/db-1', '22', 'allow'],
      ['other/x-1', 'shop/db-1', '5432', 'deny'],
      ['shop/api-1', 'shop/db-1', '5432', 'deny'],
      ['other/api-9', 'shop/web-1', '8080', 'allow', 'allowed by shop/web-from-other ingress[0]'],
      ['ops/mon-1', 'shop/web-2', '8081', 'deny'],
    ],
  },
  {
    name: 'namespace and pod selectors in one peer are ANDed, in two peers ORed',
    policies: [
      np('and', '  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {team: b}}\n          podSelector: {matchLabels: {role: scraper}}\n'),
      np('or', '  podSelector: {matchLabels: {app: web}}\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {team: b}}\n        - podSelector: {matchLabels: {role: scraper}}\n'),
      np('any-ns', '  podSelector: {matchLabels: {app: api}}\n  ingress:\n    - from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}]\n'),
    ].join('---\n'),
    cases: [
      ['ops/mon-1', 'shop/db-1', '5432', 'allow'],
      ['ops/job-1', 'shop/db-1', '5432', 'deny'],
      ['ops/job-1', 'shop/web-1', '8080', 'allow'],
      ['ops/mon-1', 'shop/web-2', '8081', 'allow'],
      ['shop/api-1', 'shop/web-1', '8080', 'deny'],
      ['other/x-1', 'shop/api-1', '9000', 'allow'],
      ['shop/web-2', 'shop/api-1', '9000', 'allow'],
      ['ops/mon-1', 'shop/api-1', '9000', 'deny'],
    ],
  },
  {
    name: 'ipBlock with except, in and out, pods matched by their address',
    policies: [
      np('web-from-net', '  podSelector: {matchLabels: {app: web}}\n  ingress:\n    - from:\n        - ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}\n        - ipBlock: {cidr: 10.244.2.0/24, except: [10.244.2.20/32]}\n'),
      np('api-out', '  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n    - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]\n'),
    ].join('---\n'),
    cases: [
      ['203.0.113.5', 'shop/web-1', '8080', 'allow'],
      ['203.0.113.127', 'shop/web-2', '8081', 'allow'],
      ['203.0.113.200', 'shop/web-1', '8080', 'deny'],
      ['192.168.7.9', 'shop/web-1', '8080', 'deny'],
      ['host:n2', 'shop/web-1', '8080', 'deny'],
      ['shop/db-1', 'shop/web-1', '8080', 'allow'],
      ['ops/job-1', 'shop/web-1', '8080', 'deny'],
      ['shop/api-1', '203.0.113.5', '443', 'allow', 'egress allowed by shop/api-out egress[0]'],
      ['shop/api-1', '192.168.7.9', 'udp/53', 'allow'],
      ['shop/api-1', 'shop/db-1', '5432', 'deny', 'egress of shop/api-1 is isolated by shop/api-out and no rule allows it'],
      ['shop/api-1', '10.9.9.9', '80', 'deny'],
      ['shop/api-1', 'host:n1', '53', 'allow'],
    ],
  },
  {
    name: 'ports: numbers, ranges (endPort), protocols and named ports of the destination pod',
    policies: [
      np('web-ports', '  podSelector: {matchLabels: {app: web}}\n  ingress:\n    - ports:\n        - {port: http}\n        - {port: 9000, endPort: 9100}\n        - {protocol: UDP, port: 53}\n        - {protocol: SCTP, port: 3868}\n'),
      np('api-egress', '  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n    - to: [{podSelector: {matchLabels: {app: web}}}]\n      ports: [{port: http}]\n    - to: [{ipBlock: {cidr: 10.244.0.0/16}}]\n      ports: [{port: pg}]\n    - ports: [{protocol: UDP, port: dns}]\n'),
    ].join('---\n'),
    cases: [
      ['shop/api-1', 'shop/web-1', '8080', 'allow'],
      ['shop/api-1', 'shop/web-2', '8081', 'allow'],
      ['shop/api-1', 'shop/web-2', '8080', 'deny'],
      ['ops/mon-1', 'shop/web-1', '9090', 'allow'],
      ['ops/mon-1', 'shop/web-1', '9000', 'allow'],
      ['ops/mon-1', 'shop/web-1', '9100', 'allow'],
      ['ops/mon-1', 'shop/web-1', '9101', 'deny'],
      ['ops/mon-1', 'shop/web-1', 'udp/53', 'allow'],
      ['ops/mon-1', 'shop/web-1', '53', 'deny'],
      ['ops/mon-1', 'shop/web-1', 'udp/8080', 'deny'],
      ['ops/mon-1', 'shop/web-2', 'sctp/3868', 'allow'],
      ['ops/mon-1', 'shop/web-2', '3868', 'deny'],
      ['shop/api-1', 'shop/db-1', '5432', 'allow', 'egress allowed by shop/api-egress egress[1]'],
      ['shop/api-1', '10.244.9.9', '5432', 'deny'],
      ['shop/api-1', '203.0.113.5', '8080', 'deny'],
      ['shop/api-1', 'shop/api-1', 'udp/53', 'allow'],
      ['shop/api-1', 'ops/job-1', 'udp/53', 'deny'],
      ['shop/api-1', '203.0.113.5', 'udp/53', 'deny'],
    ],
  },
  {
    name: 'egress default deny, and explicit Egress with no egress rules',
    policies: [np('no-egress', '  podSelector: {}\n  policyTypes: [Egress]\n'), np('no-egress-either', '  podSelector: {}\n  policyTypes: [Egress]\n  egress: []\n', 'ops')].join('---\n'),
    cases: [
      ['shop/api-1', '203.0.113.5', '443', 'deny', 'egress of shop/api-1 is isolated by shop/no-egress'],
      ['shop/api-1', 'shop/web-1', '8080', 'deny'],
      ['shop/db-1', 'shop/web-1', '8080', 'deny'],
      ['shop/api-1', 'host:n1', '53', 'allow'],
      ['shop/api-1', 'host:n2', '53', 'deny'],
      ['other/x-1', 'shop/web-1', '8080', 'allow'],
      ['ops/mon-1', 'shop/web-1', '8080', 'deny'],
      ['other/x-1', 'ops/mon-1', '8080', 'allow'],
    ],
  },
  {
    name: 'policies are a union: each allows what it allows, none takes away',
    policies: [
      DENY_ALL,
      np('db-from-api', '  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from: [{podSelector: {matchLabels: {app: api}}}]\n      ports: [{port: 5432}]\n'),
      np('db-from-ops', '  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from: [{namespaceSelector: {matchLabels: {team: b}}}]\n'),
      np('web-from-all', '  podSelector: {matchLabels: {app: web}}\n  ingress: [{}]\n'),
    ].join('---\n'),
    cases: [
      ['shop/api-1', 'shop/db-1', '5432', 'allow', 'allowed by shop/db-from-api ingress[0]'],
      ['ops/mon-1', 'shop/db-1', '22', 'allow', 'allowed by shop/db-from-ops ingress[0]'],
      ['shop/web-1', 'shop/db-1', '5432', 'deny', 'isolated by shop/db-from-api, shop/db-from-ops, shop/deny-all'],
      ['203.0.113.5', 'shop/web-2', '1', 'allow', 'allowed by shop/web-from-all ingress[0]'],
      ['shop/web-1', 'shop/api-1', '9000', 'deny', 'isolated by shop/deny-all'],
    ],
  },
]

describe('NetworkPolicy semantics: policyVerdict and the rendered rules agree', () => {
  for (const s of SCENARIOS) {
    describe(s.name, () => {
      const inp = input(s.policies)
      it.each(s.cases)('%s -> %s port %s: %s', (from, to, port, expected, reason) => {
        const [protocol, n] = port.includes('/') ? [port.split('/')[0]!.toUpperCase(), Number(port.split('/')[1])] : ['TCP', Number(port)]
        const verdict = policyVerdict(inp, endpoint(from), endpoint(to), n, protocol)
        expect(verdict.allow ? 'allow' : 'deny').toBe(expected)
        if (reason) expect(verdict.reason).toContain(reason)
        expect(rulesSay(inp, endpoint(from), endpoint(to), n, protocol) ? 'allow' : 'deny').toBe(expected)
        // Replies of a connection pass whatever the policies say.
        expect(rulesSay(inp, endpoint(to), endpoint(from), n, protocol, 'ESTABLISHED')).toBe(true)
      })
    })
  }
})

describe('policyVerdict', () => {
  it('tells each direction apart and names what decided', () => {
    const inp = input(SCENARIOS[1]!.policies)
    expect(policyVerdict(inp, endpoint('shop/api-1'), endpoint('shop/db-1'), 5432, 'TCP')).toEqual({
      allow: true,
      egress: {verdict: 'open', by: []},
      ingress: {verdict: 'allowed', by: ['shop/db-from-api ingress[0]']},
      reason: 'egress open; ingress allowed by shop/db-from-api ingress[0]',
    })
    expect(policyVerdict(inp, endpoint('shop/web-1'), endpoint('shop/db-1'), 5432, 'TCP')).toEqual({
      allow: false,
      egress: {verdict: 'open', by: []},
      ingress: {verdict: 'denied', by: ['shop/db-from-api']},
      reason: 'ingress of shop/db-1 is isolated by shop/db-from-api and no rule allows it',
    })
  })
})

describe('policyRules: the rule set of one node', () => {
  const DB_FROM_API = np('db-from-api', '  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from: [{podSelector: {matchLabels: {app: api}}}]\n      ports: [{port: 5432}]\n')

  it('renders a selected local pod as a jump, an allow rule per peer and port, and a reject at the end', () => {
    const ing = podChain('Ingress', {namespace: 'shop', name: 'db-1'})
    expect(ing).toMatch(/^KGIT-ING-[0-9a-f]{16}$/)
    expect(policyRules({...input(DB_FROM_API), node: 'n2'})).toEqual({
      table: 'filter',
      chains: ['KGIT-FORWARD', ing],
      rules: [
        '-A KGIT-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "kgit netpol replies" -j RETURN',
        `-A KGIT-FORWARD -d 10.244.2.11/32 -m comment --comment "kgit netpol ingress shop/db-1" -j ${ing}`,
        `-A ${ing} -s 10.244.2.11/32 -m comment --comment "kgit netpol shop/db-1 itself" -j RETURN`,
        `-A ${ing} -s 10.244.1.11/32 -p tcp -m tcp --dport 5432 -m comment --comment "kgit netpol shop/db-from-api ingress[0]" -j RETURN`,
        `-A ${ing} -m comment --comment "kgit netpol shop/db-1 ingress denied: isolated by shop/db-from-api" -j REJECT --reject-with icmp-port-unreachable`,
      ],
      hooks: [{chain: 'FORWARD', rule: ['-m', 'comment', '--comment', 'kgit network policy', '-j', 'KGIT-FORWARD']}],
    })
  })

  it('keeps its chain, empty, on a node none of whose pods a policy selects', () => {
    const set = policyRules({...input(DB_FROM_API), node: 'n1'})
    expect([set.chains, set.rules, set.hooks.length]).toEqual([['KGIT-FORWARD'], [], 1])
  })

  it('renders ipBlock excepts as the disjoint CIDRs left, and 0.0.0.0/0 as no address', () => {
    const policy = np('out', '  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n    - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]\n    - to: [{ipBlock: {cidr: 0.0.0.0/0}}]\n      ports: [{protocol: UDP, port: 53}]\n')
    const egr = podChain('Egress', {namespace: 'shop', name: 'api-1'})
    const lines = policyRules({...input(policy), node: 'n1'}).rules.filter((l) => l.startsWith(`-A ${egr} `) && l.includes('egress[')).map((l) => words(l).slice(2, 6).join(' '))
    expect(lines).toEqual(['-d 0.0.0.0/5 -m comment', '-d 8.0.0.0/7 -m comment', '-d 11.0.0.0/8 -m comment', '-d 12.0.0.0/6 -m comment', '-d 16.0.0.0/4 -m comment', '-d 32.0.0.0/3 -m comment', '-d 64.0.0.0/2 -m comment', '-d 128.0.0.0/1 -m comment', '-p udp -m udp'])
  })

  it('gives no chain to a pod with no address yet, nor to pods of other nodes', () => {
    const set = policyRules({...input(DENY_ALL), node: 'n1'})
    expect(set.chains).toEqual(['KGIT-FORWARD', ...['web-1', 'api-1'].map((name) => podChain('Ingress', {namespace: 'shop', name}))].sort())
  })

  it('lets a selected pod reach itself through a Service (hairpin), whatever its policies say', () => {
    const inp = input([DENY_ALL, np('no-egress', '  podSelector: {}\n  policyTypes: [Egress]\n')].join('---\n'))
    const web = PODS[0]!
    expect(forward(policyRules({...inp, node: 'n1'}), {src: web.ip, dst: web.ip, protocol: 'tcp', dport: 8080, state: 'NEW'})).toBe('pass')
    expect(forward(policyRules({...inp, node: 'n1'}), {src: web.ip, dst: PODS[2]!.ip, protocol: 'tcp', dport: 8080, state: 'NEW'})).toBe('deny')
  })

  it('cuts comments to the 255 characters iptables keeps', () => {
    const long = 'p'.repeat(250)
    const set = policyRules({...input(np(long, '  podSelector: {}\n  ingress: [{}]\n')), node: 'n1'})
    for (const l of set.rules) expect(words(l)[words(l).indexOf('--comment') + 1]!.length).toBeLessThanOrEqual(255)
    expect(set.rules.some((l) => l.includes(`"kgit netpol shop/${'p'.repeat(238)}" -j RETURN`))).toBe(true)
  })

  it('is deterministic: the order of pods and policies does not change the text', () => {
    const inp = input(SCENARIOS.slice(2).map((s) => s.policies).join('---\n'))
    const shuffled = {...inp, pods: [...inp.pods].reverse(), policies: [...inp.policies].reverse()}
    for (const node of ['n1', 'n2']) expect(policyRules({...shuffled, node})).toEqual(policyRules({...inp, node}))
  })

  it('writes only kgit chains of at most 28 characters, every rule marked with a comment', () => {
    for (const s of SCENARIOS) {
      for (const node of ['n1', 'n2']) {
        const set = policyRules({...input(s.policies), node})
        for (const c of set.chains) expect(c.startsWith(CHAIN_PREFIX) && c.length <= 28).toBe(true)
        for (const l of set.rules) {
          const w = words(l)
          expect(set.chains).toContain(w[1])
          expect(w[w.indexOf('--comment') + 1]).toMatch(/^kgit netpol /)
          const target = w[w.indexOf('-j') + 1]!
          expect(['RETURN', 'REJECT', ...set.chains]).toContain(target)
        }
      }
    }
  })
})

const canNetns = ((): boolean => {
  try {
    execFileSync('unshare', ['-n', 'iptables-restore', '--version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
})()

/** Runs a shell script in a fresh network namespace with the given files in $DIR; returns its stdout. */
function inNetns(files: Record<string, string>, script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kgit-np-'))
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
    return execFileSync('unshare', ['-n', 'sh', '-ec', script], {env: {...process.env, DIR: dir}, encoding: 'utf8'})
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

const withHook = (set: RuleSet, text: string): string => text.replace(/COMMIT\n$/, set.hooks.map((h) => `-I ${h.chain} 1 ${h.rule.map(restoreWord).join(' ')}\n`).join('') + 'COMMIT\n')
const kgitLines = (saved: string): string[] => saved.split('\n').filter((l) => l.startsWith('-A KGIT-'))

describe.skipIf(!canNetns)('the rendered rules in the real iptables (skipped without root, unshare -n and iptables-restore)', () => {
  it('iptables-restore --test --noflush accepts every rule set, and iptables-save reads it back as written', () => {
    for (const s of SCENARIOS) {
      for (const node of ['n1', 'n2']) {
        const set = policyRules({...input(s.policies), node})
        const saved = inNetns({'rules': withHook(set, restoreText(set))}, 'iptables-restore --test --noflush < "$DIR/rules"; iptables-restore --noflush < "$DIR/rules"; iptables-save -t filter')
        expect(kgitLines(saved), `${s.name} on ${node}`).toEqual(set.rules)
        expect(saved).toContain('-A FORWARD -m comment --comment "kgit network policy" -j KGIT-FORWARD')
      }
    }
  })

  it('rewrites its chains whole on the next apply and deletes the stale ones', () => {
    const before = policyRules({...input(SCENARIOS.find((s) => s.name.startsWith('egress default deny'))!.policies), node: 'n2'})
    const after = policyRules({...input(DENY_ALL), node: 'n2'})
    expect(before.chains.filter((c) => !after.chains.includes(c)).length).toBeGreaterThan(0)
    const saved = inNetns({a: withHook(before, restoreText(before)), b: restoreText(after, before.chains)}, 'iptables-restore --noflush < "$DIR/a"; iptables-restore --noflush < "$DIR/b"; iptables-save -t filter')
    expect(kgitLines(saved)).toEqual(after.rules)
    expect(saved.split('\n').filter((l) => l.startsWith(':KGIT-')).map((l) => l.split(' ')[0]!.slice(1))).toEqual(after.chains)
  })
})
