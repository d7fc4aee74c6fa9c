// node bench/scale.js [--scale 0.1] [--no-record] (after a build): kgit at Kubernetes'
// scalability envelope, on simulated nodes (bench/kubemark.js), no machines.
// (a) schedule: 150,000 pods (5,000 Deployments x 30 replicas, with cpu/memory requests)
//     onto 5,000 nodes that run nothing: the pure planner plan(desired, observed), where
//     placement happens. Target (issue 5): under 10 s and 2 GB RSS; pods/s.
// (b) full plan: the same revision, committed to a git repository, against 5,000 simulated
//     nodes that already run all 150,000 pods (seeded with the very argv an apply sends),
//     each holding the record.json an apply writes: planRevision = load + observe every
//     node + schedule + diff. Target: under 30 s.
// Each part runs in a child process of its own, so its peak RSS (maxRSS) is its own.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const args = process.argv.slice(2)
const flag = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}
const SCALE = Number(flag('--scale', process.env.KUBEMARK_SCALE ?? '1'))
const RECORD = !args.includes('--no-record')
const NODES = Math.round(5000 * SCALE)
const DEPLOYMENTS = Math.round(5000 * SCALE)
const REPLICAS = 30
const NAMESPACES = 50
const PER_FILE = 50
const mb = (bytes) => (bytes < 2 ** 20 ? `${Math.round(bytes / 1024)} KB` : `${Math.round(bytes / 2 ** 20)} MB`)
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`
const maxRss = () => process.resourceUsage().maxRSS * 1024

const deployment = (i) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: app-${i}, namespace: ns-${i % NAMESPACES}, labels: {app: app-${i}, tier: web}}
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: app-${i}}}
  template:
    metadata: {labels: {app: app-${i}, tier: web}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: main
          image: registry.example.com/app-${i}:1.2.3
          command: [sleep, "3600"]
          ports: [{containerPort: 8080, name: http}]
          env: [{name: MODE, value: production}, {name: PORT, value: "8080"}]
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: "1", memory: 512Mi}}
`

/** The repository's files: kgit.yaml and the manifests, as `kgit apply` would read them. */
function repoFiles() {
  const nodes = Array.from({length: NODES}, (_, i) => `    - {name: n${i + 1}, address: 10.${Math.floor(i / 62500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}, capacity: {cpu: "32", memory: 128Gi, pods: 110}}`).join('\n')
  const files = {'kgit.yaml': `apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: kubemark}\nspec:\n  manifests: [manifests]\n  nodes:\n${nodes}\n`}
  files['manifests/namespaces.yaml'] = Array.from({length: NAMESPACES}, (_, n) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ns-${n}}\n`).join('---\n')
  for (let f = 0; f * PER_FILE < DEPLOYMENTS; f++) {
    const docs = []
    for (let i = f * PER_FILE; i < Math.min(DEPLOYMENTS, (f + 1) * PER_FILE); i++) docs.push(deployment(i))
    files[`manifests/apps-${String(f).padStart(4, '0')}.yaml`] = docs.join('---\n')
  }
  return files
}

/** `validate: false` (seeding the fleet) leaves the schemas unloaded: the timed run then loads them itself. */
async function loadInMemory(files, {validate = true} = {}) {
  const {loadDesired} = await import('../dist/engine/manifest/load.js')
  const schema = validate ? await import('../dist/engine/manifest/schema.js') : undefined
  const enc = new TextEncoder()
  const manifests = Object.entries(files).filter(([p]) => p.startsWith('manifests/')).map(([path, t]) => ({path, content: enc.encode(t), ...(validate ? {} : {schemaChecked: true})}))
  const r = loadDesired({revision: 'kubemark', clusterFile: {path: 'kgit.yaml', content: enc.encode(files['kgit.yaml'])}, files: manifests, schema})
  if (!r.desired) throw new Error(r.errors.map((e) => e.message).join('\n'))
  return r.desired
}

const emptyFleet = (desired) => ({at: Date.now(), nodes: desired.cluster.nodes.map((n) => ({node: n.name, reachable: true, pods: []}))})

/** (a) placement of every pod on nodes that run nothing: plan() alone. */
async function schedule() {
  const {plan} = await import('../dist/engine/plan/plan.js')
  const tl = performance.now()
  const desired = await loadInMemory(repoFiles())
  const loadMs = performance.now() - tl
  const rssBefore = process.memoryUsage().rss
  const t = performance.now()
  const p = plan(desired, emptyFleet(desired))
  const ms = performance.now() - t
  const creates = p.actions.filter((a) => a.type === 'create').length
  return {loadMs, ms, creates, unschedulable: p.unschedulable.length, rssBefore, maxRss: maxRss()}
}

function gitRepo(files) {
  const dir = mkdtempSync(join(tmpdir(), 'kgit-kubemark-'))
  const git = (...a) => execFileSync('git', ['-c', 'user.name=kubemark', '-c', 'user.email=kubemark@example.com', '-c', 'commit.gpgsign=false', ...a], {cwd: dir, encoding: 'utf8'}).trim()
  git('init', '-q', '-b', 'main')
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), {recursive: true})
    writeFileSync(join(dir, path), text)
  }
  git('add', '-A')
  git('commit', '-q', '-m', 'kubemark')
  return {dir, commit: git('rev-parse', 'HEAD')}
}

/** The fleet as an apply of the revision leaves it: every pod started, every node holding the record. */
async function seededFleet(repo, files) {
  const {SimFleet, seedFleet} = await import('./kubemark.js')
  const {plan, planActions} = await import('../dist/engine/plan/plan.js')
  const {podRun} = await import('../dist/engine/argv/podman.js')
  const {networkSync} = await import('../dist/engine/argv/network.js')
  const {loadNetworkScript} = await import('../dist/engine/exec/apply.js')
  const {recordWrite} = await import('../dist/engine/argv/records.js')
  const {loadProbeScript} = await import('../dist/engine/exec/apply.js')
  const {nextRecord, staleRecords} = await import('../dist/engine/plan/records.js')
  const desired = await loadInMemory(files, {validate: false})
  const planned = plan(desired, emptyFleet(desired))
  const actions = planned.actions
  const fleet = new SimFleet()
  const dataDirs = new Map(desired.cluster.nodes.map((n) => [n.name, n.dataDir]))
  const netScript = await loadNetworkScript()
  seedFleet(fleet, planActions(planned), {podRun, dataDirs, probeScript: await loadProbeScript(), networkSync: (a, d) => networkSync(netScript, d, a.state, a.hash)})
  if (RECORD) {
    // What writeRecords (session.ts) sends after an apply: to each node its share of the record.
    const byNode = new Map(desired.cluster.nodes.map((n) => [n.name, []]))
    for (const a of actions) byNode.get(a.node).push({name: a.pod.name, namespace: a.pod.namespace, owner: a.pod.owner, templateHash: a.pod.templateHash})
    const observed = {nodes: [...byNode].map(([node, pods]) => ({node, reachable: true, pods}))}
    const now = new Date().toISOString()
    const full = nextRecord(undefined, observed, {revision: repo.commit, author: 'kubemark', subject: 'kubemark'}, {now, by: 'kubemark@bench'})
    let bytes = 0
    for (const {node, record} of staleRecords(observed, full)) {
      const text = JSON.stringify(record)
      bytes = Math.max(bytes, text.length)
      fleet.node(node).run([recordWrite(dataDirs.get(node))], {stdin: text})
    }
    fleet.recordBytes = bytes
  }
  if (fleet.problems.length > 0) throw new Error(fleet.problems.join('\n'))
  return fleet
}

/** (b) planRevision against a fleet that runs everything: load + observe + schedule + diff. */
async function fullPlan() {
  const {planRevision} = await import('../dist/engine/session.js')
  const {plan, planActions} = await import('../dist/engine/plan/plan.js')
  const files = repoFiles()
  const repo = gitRepo(files)
  try {
    const ts = performance.now()
    const fleet = await seededFleet(repo, files)
    const seedMs = performance.now() - ts
    globalThis.gc?.()
    const simRss = process.memoryUsage().rss
    const runs = []
    for (const label of ['cold schema cache', 'warm schema cache']) {
      const mark = {}
      const connector = fleet.connector()
      const timed = async (cluster) => {
        mark.connect = performance.now()
        const conns = await connector(cluster)
        // The observe phase ends when the last node has answered and its answer is parsed.
        for (const [name, p] of conns.nodes) conns.nodes.set(name, p.then((c) => ('transport' in c ? {transport: watch(c.transport, mark)} : c)))
        return conns
      }
      const t0 = performance.now()
      const {run} = await planRevision({dir: repo.dir, revision: 'HEAD', connector: timed})
      const total = performance.now() - t0
      const tp = performance.now()
      const again = plan(run.desired, run.observed)
      const planMs = performance.now() - tp
      const pods = run.observed.nodes.reduce((n, o) => n + (o.reachable ? o.pods.length : 0), 0)
      if (fleet.problems.length > 0) throw new Error(fleet.problems.join('\n'))
      runs.push({label, total, loadMs: mark.connect - t0, observeMs: mark.lastAnswer - mark.connect, planMs, actions: planActions(run.plan).length, againActions: planActions(again).length, pods, unreachable: run.observed.nodes.filter((o) => !o.reachable).length, rss: process.memoryUsage().rss})
      globalThis.gc?.()
    }
    return {seedMs, simRss, recordBytes: fleet.recordBytes ?? 0, runs, maxRss: maxRss()}
  } finally {
    rmSync(repo.dir, {recursive: true, force: true})
  }
}

/** A transport that notes when its last answer came (the answer is parsed right after). */
function watch(t, mark) {
  return {
    node: t.node,
    close: () => t.close(),
    exec: async (steps, opts) => {
      const r = await t.exec(steps, opts)
      mark.lastAnswer = performance.now()
      return r
    },
  }
}

function child(part) {
  const cacheDir = mkdtempSync(join(tmpdir(), 'kgit-kubemark-cache-'))
  try {
    const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=16384', new URL(import.meta.url).pathname, '--part', part, '--scale', String(SCALE), ...(RECORD ? [] : ['--no-record'])], {
      encoding: 'utf8',
      env: {...process.env, KGIT_CACHE_DIR: cacheDir},
      maxBuffer: 1 << 24,
    })
    if (r.status !== 0) throw new Error(`bench/scale.js --part ${part} failed (${r.status ?? r.signal}):\n${r.stderr}`)
    return JSON.parse(r.stdout)
  } finally {
    rmSync(cacheDir, {recursive: true, force: true})
  }
}

const part = flag('--part')
if (part) {
  const out = part === 'schedule' ? await schedule() : await fullPlan()
  process.stdout.write(JSON.stringify(out))
} else {
  const pods = DEPLOYMENTS * REPLICAS
  console.log(`kubemark: ${DEPLOYMENTS} Deployments x ${REPLICAS} replicas = ${pods} pods on ${NODES} simulated nodes${SCALE === 1 ? '' : ` (--scale ${SCALE})`}`)
  const a = child('schedule')
  console.log(`  (a) schedule from nothing, plan() alone: ${secs(a.ms)}, ${Math.round(a.creates / (a.ms / 1000))} pods/s; ${a.creates} create, ${a.unschedulable} unschedulable; peak RSS ${mb(a.maxRss)} (after loading the revision: ${mb(a.rssBefore)}; loadDesired ${secs(a.loadMs)}, not counted)`)
  console.log(`      target: under 10 s and 2 GB: ${a.ms < 10_000 && a.maxRss < 2 ** 31 ? 'met' : 'NOT met'}`)
  const b = child('full')
  console.log(`  (b) full plan (planRevision: load from git + observe ${NODES} nodes + schedule + diff), fleet seeded in ${secs(b.seedMs)}${b.recordBytes ? `, record.json up to ${mb(b.recordBytes)} on a node` : ', no record.json'}; simulated fleet alone ~${mb(b.simRss)} RSS`)
  for (const r of b.runs) {
    const share = (ms) => `${Math.round((100 * ms) / r.total)}%`
    console.log(`      ${r.label}: ${secs(r.total)} (load ${secs(r.loadMs)} ${share(r.loadMs)}, observe+parse ${secs(r.observeMs)} ${share(r.observeMs)}, plan ${secs(r.planMs)} ${share(r.planMs)}); ${r.pods} pods observed, ${r.actions} action(s), ${r.unreachable} unreachable; RSS after ${mb(r.rss)}`)
  }
  const worst = Math.max(...b.runs.map((r) => r.total))
  console.log(`      peak RSS ${mb(b.maxRss)} (simulated fleet included); target under 30 s: ${worst < 30_000 ? 'met' : 'NOT met'} (slowest ${secs(worst)})`)
}
