// node bench/services.js [--services 2000] [--endpoints 5] (after a build; root for the
// apply part): the Service rules of issue 7 at size.
// (a) render: 2,000 Services x 5 ready endpoints (every 100th a NodePort, every 50th with
//     ClientIP affinity) from Service objects and pods: cluster IP and nodePort allocation,
//     endpoints, rules, restore text. Prints the time, rules and chains.
// (b) apply into a throwaway network namespace (kgit-bench-svc, always deleted) with ONE
//     `iptables-restore --noflush` call: first apply, then one endpoint changed (chains
//     rewritten as restoreDelta does: only the changed chains, the stale SEP chain deleted;
//     and, for comparison, all chains), then the unchanged set, found by hash without
//     calling iptables at all. Target (issue 7): an apply under 1 s per node.
//     Run with each iptables backend present (nf_tables, legacy).
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {restoreText, restoreWord} from '../dist/engine/argv/iptables.js'
import {chainDigests, restoreDelta, savedRuleCounts} from '../dist/engine/argv/rule-delta.js'
import {allocationsFromRules} from '../dist/engine/argv/service-rules.js'
import {serviceState} from '../dist/engine/controllers/services.js'

const args = process.argv.slice(2)
const flag = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : dflt
}
const SERVICES = flag('--services', 2000)
const ENDPOINTS = flag('--endpoints', 5)
const NETNS = 'kgit-bench-svc'
const POD_CIDR = '10.244.0.0/16'
const SERVICE_CIDR = '10.96.0.0/16'
const ms = (t) => `${t.toFixed(1)} ms`

function service(i) {
  const nodePort = i % 100 === 0
  return {
    kind: 'Service', apiVersion: 'v1', source: {file: `manifests/svc-${i}.yaml`, line: 1},
    metadata: {namespace: `ns-${i % 10}`, name: `svc-${i}`, labels: {}, annotations: {}},
    spec: {
      type: nodePort ? 'NodePort' : 'ClusterIP', selector: {app: `app-${i}`}, clusterIP: '',
      ports: [{name: '', protocol: 'TCP', port: 80, targetPort: 'http'}],
      sessionAffinity: i % 50 === 0 ? 'ClientIP' : 'None', affinityTimeoutSeconds: 10800, publishNotReadyAddresses: false, internalTrafficPolicy: 'Cluster',
      ...(nodePort ? {externalTrafficPolicy: 'Cluster'} : {}),
    },
  }
}

function pods(changed) {
  const out = []
  for (let i = 0; i < SERVICES; i++) {
    for (let e = 0; e < ENDPOINTS; e++) {
      const n = i * ENDPOINTS + e + (changed && i === 7 && e === 0 ? SERVICES * ENDPOINTS : 0)
      out.push({namespace: `ns-${i % 10}`, name: `app-${i}-${e}`, node: `n${n % 20}`, ip: `10.244.${(n >> 8) & 255}.${n & 255}`, labels: {app: `app-${i}`}, ready: true, ports: [{name: 'http', containerPort: 8080, protocol: 'TCP'}]})
    }
  }
  return out
}

/** Everything between the objects and the restore text, as an apply computes it (previous: the rules a node holds). */
function render(services, netPods, previousRules) {
  const st = serviceState({services, network: {podCIDR: POD_CIDR, serviceCIDR: SERVICE_CIDR}, pods: netPods, previousRules})
  if (st.errors.length > 0) throw new Error(st.errors.map((e) => e.message).join('\n'))
  return {set: st.rules, ips: st.clusterIPs, nodePorts: st.nodePorts}
}

function timed(fn) {
  const t = performance.now()
  const r = fn()
  return {ms: performance.now() - t, r}
}

const hash = (text) => createHash('sha256').update(text).digest('hex')

function sh(argv, input) {
  const r = spawnSync(argv[0], argv.slice(1), {input, encoding: 'utf8', maxBuffer: 1 << 28})
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`)
  return r.stdout
}

function inNetns(argv, input) {
  return sh(['nsenter', `--net=/run/netns/${NETNS}`, ...argv], input)
}

function withHooks(set, text) {
  const hooks = set.hooks.map((h) => `-I ${h.chain} 1 ${h.rule.map(restoreWord).join(' ')}`)
  return text.replace(/COMMIT\n$/, [...hooks, 'COMMIT', ''].join('\n'))
}

function applyBench(tool, first, second) {
  spawnSync('ip', ['netns', 'del', NETNS])
  sh(['ip', 'netns', 'add', NETNS])
  const save = () => savedRuleCounts(inNetns([tool.replace('-restore', '-save'), '-t', 'nat']))
  try {
    const a = timed(() => inNetns([tool, '--noflush'], withHooks(first.set, restoreText(first.set))))
    const recorded = chainDigests(first.set)
    // The next apply, trusting the digests recorded on the node: write only what changed.
    const delta = restoreDelta(second.set, recorded)
    const b = timed(() => inNetns([tool, '--noflush'], delta.text))
    // The same, checking the node's own word first (iptables-save): catches chains edited by hand.
    const read = timed(save)
    const checked = restoreDelta(second.set, chainDigests(second.set), read.r)
    const whole = timed(() => inNetns([tool, '--noflush'], restoreText(second.set)))
    const counts = save()
    const rules = [...counts.values()].reduce((x, y) => x + y, 0)
    const cmd = tool.replace('-restore', '')
    const listed = timed(() => ['KGIT-SERVICES', 'KGIT-NODEPORTS'].flatMap((c) => inNetns([cmd, '-w', '-t', 'nat', '-S', c]).split('\n')))
    const back = allocationsFromRules(listed.r)
    console.log(`  ${cmd} -t nat -S KGIT-SERVICES and -S KGIT-NODEPORTS (previous allocations, instead of iptables-save): ${ms(listed.ms)}; ${back.ips.size} cluster IPs and ${back.nodePorts.size} nodePorts read back, all as rendered: ${[...second.ips].every(([k, ip]) => back.ips.get(k) === ip)}`)
    const noop = restoreDelta(second.set, chainDigests(second.set), counts)
    console.log(`  ${tool}: first apply (everything) ${ms(a.ms)}`)
    console.log(`  ${tool}: one endpoint changed: restore of ${delta.rewritten.length} changed chains + ${delta.deleted.length} deleted ${ms(b.ms)}; reading the node first (iptables-save -t nat) would add ${ms(read.ms)} (${checked.rewritten.length} chains found drifted); rewriting all chains instead ${ms(whole.ms)}`)
    console.log(`  ${tool}: unchanged: ${noop.text === '' ? 'nothing to write' : 'BUG: ' + noop.rewritten.join(',')}; on the node: ${counts.size} chains, ${rules} rules`)
  } finally {
    spawnSync('ip', ['netns', 'del', NETNS])
  }
}

function main() {
  const services = Array.from({length: SERVICES}, (_, i) => service(i))
  const runs = []
  let first
  for (let i = 0; i < 5; i++) {
    const t = timed(() => render(services, pods(false), []))
    runs.push(t.ms)
    first = t.r
  }
  runs.sort((a, b) => a - b)
  const text1 = restoreText(first.set)
  const nodePortCount = [...first.nodePorts.values()].length
  console.log(`services: ${SERVICES} x ${ENDPOINTS} endpoints (${nodePortCount} NodePorts, ${services.filter((s) => s.spec.sessionAffinity === 'ClientIP').length} with ClientIP affinity)`)
  console.log(`render (serviceState: allocate + endpoints + rules + names, then restore text): median ${ms(runs[2])}, min ${ms(runs[0])} (5 runs); ${first.set.chains.length} chains, ${first.set.rules.length} rules, ${(text1.length / 1024 / 1024).toFixed(1)} MiB of restore text`)

  const second = render(services, pods(true), first.set.rules)
  const kept = [...first.ips].every(([k, ip]) => second.ips.get(k) === ip)
  console.log(`second render with one endpoint moved: cluster IPs kept: ${kept}; text changed: ${hash(restoreText(second.set)) !== hash(text1)}`)

  const onNode = hash(restoreText(second.set))
  const unchanged = timed(() => hash(restoreText(render(services, pods(true), second.set.rules).set)) === onNode)
  const hashOnly = timed(() => hash(restoreText(second.set)) === onNode)
  console.log(`unchanged set: detected by hash without touching iptables: ${unchanged.r} in ${ms(unchanged.ms)} (render + hash), ${ms(hashOnly.ms)} (hash of the text alone)`)

  if (process.getuid?.() !== 0) return console.log('apply: skipped (needs root for a network namespace)')
  const tools = ['iptables-restore', 'iptables-legacy-restore'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0)
  const version = spawnSync('iptables', ['--version'], {encoding: 'utf8'}).stdout.trim()
  console.log(`apply in network namespace ${NETNS} (one iptables-restore --noflush call each; iptables is ${version}):`)
  for (const tool of tools) applyBench(tool, first, second)
}

const cleanup = () => {
  spawnSync('ip', ['netns', 'del', NETNS])
  process.exit(130)
}
process.on('SIGINT', cleanup)
process.on('SIGTERM', cleanup)
main()
