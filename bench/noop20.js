// node bench/noop20.js (after a build): brings up a 20-node lab, applies 20 Deployments x 10
// replicas (200 pods, 10 per node), then times a no-op `kgit apply` (wall time of the whole
// CLI process) against issue 4's target: one round trip per node, under 1.5 s.
// Round trips are counted from the client side (bench/trace-hook.js counts SSH connections
// and exec requests per host) and from the nodes' side (each sshd logs one "Accepted" line
// per connection). Traced runs also give the breakdown: start-up, git, SSH, observe, plan.
// Then a no-op `kgit reconcile --once --remote` (issue 10's target: under 2 s including the
// fetch into the local mirror), from a bare repository on this machine.
// KGIT_BENCH_LAB / KGIT_BENCH_SUBNET pick the lab name and address range;
// KGIT_BENCH_RECONCILE_ONLY=1 stops after the reconcile figures.
import {execa} from 'execa'
import {mkdtemp, readFile, rm, writeFile, mkdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import pLimit from 'p-limit'
import {labTransport, loadLabState} from '../dist/engine/exec/lab/index.js'
import {MAX_STARTUPS, SshTransport} from '../dist/engine/exec/ssh-transport.js'
import {podmanContainers} from '../dist/engine/facts/podman-pods.js'

const ROOT = new URL('..', import.meta.url).pathname
const LAB = process.env.KGIT_BENCH_LAB || 'bench'
const SUBNET = process.env.KGIT_BENCH_SUBNET || '198.51.100.0/24'
const NODES = 20
const DEPLOYMENTS = 20
const REPLICAS = 10
const RUNS = 5
const TRACED = 3
const CLI = join(ROOT, 'bin/run.js')
const HOOK = join(ROOT, 'bench/trace-hook.js')
const kgit = (args, opts = {}) => execa('node', [CLI, ...args], {reject: false, ...opts})
const secs = (ms) => (ms / 1000).toFixed(2) + ' s'
const load = async () => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')

function deployment(name) {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: main
          image: localhost/busybox:1.35
          command: [sleep, "3600"]
`
}

async function timed(fn) {
  const t = performance.now()
  const r = await fn()
  return {ms: performance.now() - t, r}
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return {median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1]}
}

const range = (xs, f = secs) => {
  const s = stats(xs)
  return `median ${f(s.median)} (${f(s.min)} to ${f(s.max)})`
}

async function noop(cwd, env = {}) {
  const t = await timed(() => kgit(['apply', '-q'], {cwd, env}))
  if (t.r.exitCode !== 0 || !/No changes/.test(t.r.stdout)) throw new Error(`no-op apply failed or made changes (exit ${t.r.exitCode}):\n${t.r.stdout}\n${t.r.stderr}`)
  return t.ms
}

/** "Accepted publickey" lines per node: one per SSH connection the node accepted. */
async function acceptedPerNode(state) {
  return Promise.all(state.nodes.map(async (n) => ((await readFile(join(n.dir, 'sshd.log'), 'utf8').catch(() => '')).match(/Accepted publickey/g) ?? []).length))
}

/** The floor on this machine: podman ps on every node at once, no SSH, no kgit. */
async function podmanAlone(state) {
  const t = await timed(() => Promise.all(state.nodes.map((n) => labTransport(state, n.name).exec([podmanContainers.argv]))))
  if (t.r.some((r) => r.exitCode !== 0)) throw new Error('podman ps failed on a node')
  return t.ms
}

/** kgit's SSH transport alone: connect to every node with `limit` handshakes at once, then one exec each. */
async function sshAlone(state, repo, limit) {
  const knownHosts = await readFile(join(repo, 'known_hosts'), 'utf8')
  const privateKey = await readFile(state.keyFile)
  const startLimit = pLimit(limit)
  const t0 = performance.now()
  const ts = await Promise.all(state.nodes.map((n) => SshTransport.connect({node: n.name, host: n.address, port: 22, user: 'root', privateKey, knownHosts, knownHostsFile: 'known_hosts', connectTimeoutMs: 30_000}, startLimit)))
  const connected = performance.now() - t0
  await Promise.all(ts.map((t) => t.exec([podmanContainers.argv])))
  const done = performance.now() - t0
  await Promise.all(ts.map((t) => t.close()))
  return {connected, done}
}

/** One traced no-op: phases of the run, and connections and exec requests per host. */
async function traced(cwd, base, i) {
  const file = join(base, `trace-${i}.json`)
  const wall = await noop(cwd, {NODE_OPTIONS: `--import=${HOOK}`, KGIT_BENCH_TRACE: file})
  const {exit, cpu, events} = JSON.parse(await readFile(file, 'utf8'))
  const of = (type) => events.filter((e) => e.type === type)
  const conns = of('connect')
  const execs = of('exec')
  const perHost = (list) => {
    const n = new Map()
    for (const e of list) n.set(e.host, (n.get(e.host) ?? 0) + 1)
    return [...n.values()]
  }
  const firstConn = Math.min(...conns.map((e) => e.start))
  const gitBefore = of('spawn').filter((e) => e.start < firstConn)
  const gitAfter = of('spawn').filter((e) => e.start >= firstConn)
  return {
    wall,
    hosts: new Set(conns.map((e) => e.host)).size,
    connsPerHost: perHost(conns),
    execsPerHost: perHost(execs),
    startup: Math.min(...events.map((e) => e.start)),
    git: firstConn - Math.min(...gitBefore.map((e) => e.start)),
    gitProcs: gitBefore.length,
    gitAfter: gitAfter.reduce((s, e) => s + (e.end - e.start), 0),
    handshake: stats(conns.map((e) => e.end - e.start)).median,
    connected: Math.max(...conns.map((e) => e.end)) - firstConn,
    exec: stats(execs.map((e) => e.end - e.start)).median,
    observed: Math.max(...execs.map((e) => e.end)) - firstConn,
    after: exit - Math.max(...execs.map((e) => e.end)),
    cpu: cpu.user + cpu.system,
    exit,
  }
}

async function main() {
  await kgit(['lab', 'down', '--name', LAB])
  const base = await mkdtemp(join(tmpdir(), 'kgit-bench-noop20-'))
  const repo = join(base, 'repo')
  try {
    const up = await timed(() => kgit(['lab', 'up', '--name', LAB, '--nodes', String(NODES), '--subnet', SUBNET, '--dir', repo]))
    if (up.r.exitCode !== 0) throw new Error(`lab up failed:\n${up.r.stderr}\n${up.r.stdout}`)
    const state = await loadLabState(LAB)
    console.log(`no-op reconcile: lab up (${NODES} nodes, ${state.subnet}): ${secs(up.ms)}`)

    await mkdir(join(repo, 'manifests'), {recursive: true})
    for (let i = 0; i < DEPLOYMENTS; i++) await writeFile(join(repo, 'manifests', `d${i}.yaml`), deployment(`d${i}`))
    await execa('git', ['add', '-A'], {cwd: repo})
    await execa('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@kgit.local', 'commit', '-qm', `bench: ${DEPLOYMENTS * REPLICAS} pods`], {cwd: repo})
    const create = await timed(() => kgit(['apply', '-q'], {cwd: repo}))
    if (create.r.exitCode !== 0) throw new Error(`apply failed:\n${create.r.stderr}\n${create.r.stdout}`)
    console.log(`  create ${DEPLOYMENTS * REPLICAS} pods (${DEPLOYMENTS} Deployments x ${REPLICAS}, ${NODES} nodes in parallel): ${secs(create.ms)} [load ${await load()}]`)
    await noop(repo) // the first no-op after a create may still find records to write
    // Starting 200 containers leaves this 2-core machine's load far above its cores for a
    // while: the no-op figures are taken once it has settled (1-minute load under 4, at most 5 minutes).
    const settleFrom = Date.now()
    while (Number((await load()).split(' ')[0]) >= 4 && Date.now() - settleFrom < 300_000) await new Promise((r) => setTimeout(r, 5000))
    console.log(`  settled for ${secs(Date.now() - settleFrom)} [load ${await load()}]`)

    const before = await acceptedPerNode(state)
    const runs = []
    for (let i = 0; i < RUNS; i++) runs.push(await noop(repo))
    const after = await acceptedPerNode(state)
    const accepted = after.map((a, i) => (a - before[i]) / RUNS)
    console.log(`  no-op kgit apply, ${NODES} nodes x ${(DEPLOYMENTS * REPLICAS) / NODES} pods: ${range(runs)}, ${RUNS} runs, whole CLI process [load ${await load()}]; target < 1.5 s: ${stats(runs).median < 1500 ? 'met' : 'NOT met'}`)
    console.log(`  SSH connections accepted per node per run (sshd logs): ${[...new Set(accepted)].join(', ')}`)

    // kgit reconcile --once from a remote: a fetch into the mirror (nothing new), then the no-op.
    const served = join(base, 'served.git')
    const mirror = join(base, 'mirror.git')
    await execa('git', ['clone', '-q', '--bare', repo, served])
    const reconcile = async () => {
      const t = await timed(() => kgit(['reconcile', '--once', '--remote', served, '--branch', 'main', '--mirror', mirror], {cwd: repo}))
      if (t.r.exitCode !== 0 || t.r.stdout !== '' || t.r.stderr !== '') throw new Error(`no-op reconcile failed or said something (exit ${t.r.exitCode}):\n${t.r.stdout}\n${t.r.stderr}`)
      return t.ms
    }
    await reconcile() // makes the mirror
    const fetchAlone = []
    for (let i = 0; i < RUNS; i++) fetchAlone.push((await timed(() => execa('git', ['fetch', '-q', '--no-tags', served, '+refs/heads/main:refs/heads/main'], {cwd: mirror}))).ms)
    const rec = []
    for (let i = 0; i < RUNS; i++) rec.push(await reconcile())
    console.log(`  no-op kgit reconcile --once --remote (fetch into the mirror included), ${NODES} nodes: ${range(rec)}, ${RUNS} runs [load ${await load()}]; target < 2 s: ${stats(rec).median < 2000 ? 'met' : 'NOT met'}`)
    console.log(`    of which git fetch alone (nothing new, local bare repository): ${range(fetchAlone)}`)
    if (process.env.KGIT_BENCH_RECONCILE_ONLY) return

    const t = []
    for (let i = 0; i < TRACED; i++) t.push(await traced(repo, base, i))
    const conns = [...new Set(t.flatMap((x) => x.connsPerHost))]
    const execs = [...new Set(t.flatMap((x) => x.execsPerHost))]
    console.log(`  traced runs (${TRACED}, ssh2 loaded up front: ${range(t.map((x) => x.wall))} wall): ${t[0].hosts} hosts, per host ${conns.join('/')} connection(s) and ${execs.join('/')} exec request(s) per run [load ${await load()}]`)
    const ms = (k) => range(t.map((x) => x[k]), (v) => `${v.toFixed(0)} ms`)
    console.log(`    node + oclif start-up until the first git process: ${ms('startup')}`)
    console.log(`    git reads + load/validate (${t[0].gitProcs} git processes) until the first SSH connect: ${ms('git')}`)
    console.log(`    SSH: all ${NODES} handshakes done ${ms('connected')} after the first began (one handshake: ${ms('handshake')})`)
    console.log(`    observe: last answer ${ms('observed')} after the first connect began (one exec round trip: ${ms('exec')})`)
    console.log(`    after the last answer until exit (plan, commit info from git ${ms('gitAfter')}, close, print): ${ms('after')}`)
    console.log(`    CPU time of the kgit process itself (user + sys): ${ms('cpu')}`)

    const alone = []
    for (let i = 0; i < 3; i++) alone.push(await podmanAlone(state))
    console.log(`  for comparison, podman ps on all ${NODES} nodes at once (no SSH, no kgit; ${NODES} nodes share this machine's CPUs): ${range(alone)} [load ${await load()}]`)
    const ssh = {[MAX_STARTUPS]: [], [NODES]: []}
    for (let i = 0; i < 3; i++) for (const limit of Object.keys(ssh)) ssh[limit].push(await sshAlone(state, repo, Number(limit)))
    for (const [limit, r] of Object.entries(ssh)) {
      console.log(`  kgit's SSH transport alone, ${limit} handshakes at once: all connected ${range(r.map((x) => x.connected))}, podman ps answered on all ${range(r.map((x) => x.done))}`)
    }
    // The same with connection persistence (spec.ssh.controlPersist, like OpenSSH's
    // ControlPersist): a keeper process holds the SSH connections between runs.
    const cache = join(base, 'cache')
    const persistEnv = {KGIT_CACHE_DIR: cache}
    const file = join(repo, 'kgit.yaml')
    await writeFile(file, (await readFile(file, 'utf8')).replace(/^( {4}knownHostsFile: .*)$/m, '$1\n    controlPersist: 120'))
    await execa('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@kgit.local', 'commit', '-qam', 'bench: controlPersist'], {cwd: repo})
    await noop(repo, persistEnv) // writes the records of the new commit, starts the keeper
    await noop(repo, persistEnv) // the keeper connects
    const kept = []
    for (let i = 0; i < RUNS; i++) kept.push(await noop(repo, persistEnv))
    console.log(`  no-op kgit apply with spec.ssh.controlPersist (connections kept between runs): ${range(kept)}, ${RUNS} runs [load ${await load()}]; target < 1.5 s: ${stats(kept).median < 1500 ? 'met' : 'NOT met'}`)
    await execa('pkill', ['-f', `mux-server.js ${cache}`], {reject: false})

  } finally {
    await kgit(['lab', 'down', '--name', LAB])
    await rm(base, {recursive: true, force: true})
  }
}

await main()
