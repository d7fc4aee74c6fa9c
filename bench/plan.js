// node bench/plan.js (after a build): times the pure planner, plan(desired, observed), on
// 1,000 Deployments x 10 replicas (10,000 pods) over 50 nodes, in three states:
// (a) nothing runs yet, (b) everything runs and is ready (a no-op), (c) 10% of the
// Deployments changed their template and are mid-rollout. No network, no lab.
// Target (issue 4): planning 1,000 Deployments / 10,000 pods under 1 s.
import {loadDesired} from '../dist/engine/manifest/load.js'
import * as schema from '../dist/engine/manifest/schema.js'
import {plan, planSummary} from '../dist/engine/plan/plan.js'
import {podmanContainerName} from '../dist/engine/marks.js'
import {createHash} from 'node:crypto'

const DEPLOYMENTS = 1000
const REPLICAS = 10
const NODES = 50
const NAMESPACES = 10
const CHANGED = DEPLOYMENTS / 10
const RUNS = 7
const T0 = Date.parse('2026-01-01T00:00:00Z')

const deployment = (i, image) => `apiVersion: apps/v1
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
          image: ${image}
          command: [sleep, "3600"]
          ports: [{containerPort: 8080, name: http}]
          env: [{name: MODE, value: production}, {name: PORT, value: "8080"}]
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: "1", memory: 512Mi}}
`

/** The revision as `kgit apply` reads it: through the loader, schema validation included. */
function desired(changed) {
  const enc = new TextEncoder()
  const nodes = Array.from({length: NODES}, (_, i) => `    - {name: n${i + 1}, address: 10.0.${Math.floor(i / 250)}.${(i % 250) + 1}}`).join('\n')
  const cluster = `apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: bench}\nspec:\n  nodes:\n${nodes}\n`
  const files = [{path: 'manifests/namespaces.yaml', content: enc.encode(Array.from({length: NAMESPACES}, (_, n) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ns-${n}}\n`).join('---\n'))}]
  for (let f = 0; f < DEPLOYMENTS / 20; f++) {
    const docs = []
    for (let i = f * 20; i < (f + 1) * 20; i++) docs.push(deployment(i, `registry.example.com/app-${i}:${i < changed ? '1.3.0' : '1.2.3'}`))
    files.push({path: `manifests/apps-${String(f).padStart(3, '0')}.yaml`, content: enc.encode(docs.join('---\n'))})
  }
  const r = loadDesired({revision: `rev-${changed}`, clusterFile: {path: 'kgit.yaml', content: enc.encode(cluster)}, files, schema})
  if (!r.desired) throw new Error(r.errors.map((e) => e.message).join('\n'))
  return r.desired
}

/**
 * A fleet in memory that carries out actions the way a node would, and reports its pods
 * with the fields podman-pods.ts reads from podman's labels and kgit's files.
 */
class Fleet {
  constructor() {
    this.nodes = new Map(Array.from({length: NODES}, (_, i) => [`n${i + 1}`, []]))
    this.clock = T0
  }

  apply(actions, ready) {
    this.clock += 60_000
    for (const a of actions) {
      const list = this.nodes.get(a.node)
      if (a.type !== 'create') list.splice(list.findIndex((p) => p.podmanName === a.old.podmanName), 1)
      if (a.type !== 'delete') list.push(this.pod(a.node, a.pod, ready))
    }
  }

  pod(node, p, ready) {
    const id = createHash('sha256').update(`${node}/${p.namespace}/${p.name}/${this.clock}`).digest('hex')
    const o = {
      node,
      podmanName: id,
      namespace: p.namespace,
      name: p.name,
      specHash: p.specHash,
      labels: p.labels,
      status: 'Running',
      created: new Date(this.clock).toISOString(),
      containers: p.spec.containers.map((c, i) => ({name: c.name, container: podmanContainerName(p.namespace, p.name, c.name), id: `${id.slice(0, 60)}${String(i).padStart(4, '0')}`, state: 'running', startedAt: this.clock / 1000})),
      grace: p.spec.terminationGracePeriodSeconds,
      // The label kgit.dev/spec holds the spec as JSON: a copy, as JSON.parse gives.
      spec: JSON.parse(JSON.stringify(p.spec)),
      ready,
    }
    if (p.owner) o.owner = p.owner
    if (p.templateHash) o.templateHash = p.templateHash
    if (ready) o.readySince = this.clock
    else o.notReady = 'readiness probe has not passed yet'
    return o
  }

  /** Every pod becomes ready (its probe loop passed). */
  settle() {
    this.clock += 60_000
    for (const list of this.nodes.values()) for (const p of list) if (!p.ready) Object.assign(p, {ready: true, readySince: this.clock, notReady: undefined})
  }

  /** What observe returns: fresh objects each time, as a new read of the nodes gives. */
  observed() {
    return {at: this.clock + 1000, nodes: [...this.nodes].map(([node, pods]) => ({node, reachable: true, pods: pods.map((p) => ({...p}))}))}
  }
}

function time(d, obsFn) {
  const samples = []
  let last
  for (let i = 0; i < 2; i++) plan(d, obsFn()) // warm-up
  for (let i = 0; i < RUNS; i++) {
    const o = obsFn()
    const t = performance.now()
    last = plan(d, o)
    samples.push(performance.now() - t)
  }
  samples.sort((a, b) => a - b)
  return {median: samples[Math.floor(RUNS / 2)], min: samples[0], max: samples[RUNS - 1], plan: last}
}

const fmt = (r) => `median ${r.median.toFixed(0)} ms (min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)}, ${RUNS} runs)`
const count = (p) => {
  const s = planSummary(p)
  return `${s.create} create, ${s.replace} replace, ${s.delete} delete`
}

const tl = performance.now()
const v1 = desired(0)
const v2 = desired(CHANGED)
const loadMs = (performance.now() - tl) / 2
const pods = (d) => d.objects.filter((o) => o.kind === 'Deployment').reduce((n, o) => n + o.spec.replicas, 0)
console.log(`plan: ${DEPLOYMENTS} Deployments x ${REPLICAS} replicas = ${pods(v1)} pods on ${NODES} nodes (loadDesired: ${loadMs.toFixed(0)} ms each, not counted below)`)

const fleet = new Fleet()
const a = time(v1, () => fleet.observed())
console.log(`  (a) nothing runs yet:         ${fmt(a)}; ${count(a.plan)}`)

fleet.apply(a.plan.actions, true)
const b = time(v1, () => fleet.observed())
if (b.plan.actions.length > 0) throw new Error(`the no-op plan has ${b.plan.actions.length} action(s): ${count(b.plan)}`)
console.log(`  (b) all running and ready:    ${fmt(b)}; ${count(b.plan)}`)

// Mid-rollout: the first step of every changed Deployment was carried out and its new
// pods became ready, the second step was carried out and its new pods are starting.
fleet.apply(plan(v2, fleet.observed()).actions, false)
fleet.settle()
fleet.apply(plan(v2, fleet.observed()).actions, false)
const c = time(v2, () => fleet.observed())
const rolling = c.plan.rollouts.filter((r) => !r.status.complete).length
console.log(`  (c) ${CHANGED} Deployments mid-rollout: ${fmt(c)}; ${count(c.plan)}, ${rolling} rollouts in progress`)
const worst = Math.max(a.median, b.median, c.median)
console.log(`  target: planning ${DEPLOYMENTS} Deployments / ${pods(v1)} pods under 1000 ms: ${worst < 1000 ? 'met' : 'NOT met'} (slowest median ${worst.toFixed(0)} ms)`)
