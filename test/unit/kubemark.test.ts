import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {commitFiles, git as gitIn} from '../support/git-repo.js'
import {latestRecord} from '../../src/engine/facts/node-record.js'
import {SimFleet, SimNode, seedFleet} from '../../bench/kubemark.js'
import {podRun} from '../../src/engine/argv/podman.js'
import {loadNetworkScript, loadProbeScript} from '../../src/engine/exec/apply.js'
import {networkSync} from '../../src/engine/argv/network.js'
import {planActions} from '../../src/engine/plan/plan.js'
import type {NetworkSyncAction} from '../../src/engine/plan/network.js'
import {applyRevision, planRevision, type SessionOptions} from '../../src/engine/session.js'
import type {NodeRecord} from '../../src/engine/types.js'

// Protocol fidelity of the simulated nodes (bench/kubemark.js) that the scale benchmark
// uses: kgit's real apply and plan, through the engine, against a small simulated fleet.
// The simulator refuses what it does not know, so a protocol change it does not follow
// fails here (fleet.problems, failed actions, or a plan that is not a no-op).

const NODES = 5
const CLUSTER = `apiVersion: kgit.dev/v1alpha1
kind: Cluster
metadata: {name: sim}
spec:
  manifests: [manifests]
  nodes:
${Array.from({length: NODES}, (_, i) => `    - {name: n${i + 1}, address: 10.9.0.${i + 1}${i === 4 ? ', dataDir: /srv/kgit' : ''}}`).join('\n')}
`

function web(image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: main
          image: ${image}
          ports: [{containerPort: 80}]
          env: [{name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}]
          readinessProbe: {exec: {command: ["true"]}, periodSeconds: 5}
          livenessProbe: {tcpSocket: {port: 80}}
          resources: {requests: {cpu: 100m, memory: 64Mi}}
        - name: log
          image: busybox:1.35
          command: [sleep, "3600"]
`
}

const API = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      volumes:
        - {name: scratch, emptyDir: {}}
        - {name: data, hostPath: {path: /srv/api, type: DirectoryOrCreate}}
      containers:
        - name: main
          image: busybox:1.35
          command: [sleep, "3600"]
          volumeMounts: [{name: scratch, mountPath: /tmp}, {name: data, mountPath: /data}]
`

const BARE = `apiVersion: v1
kind: Pod
metadata: {name: tool, namespace: default}
spec:
  containers: [{name: main, image: busybox:1.35, command: [sleep, "3600"], ports: [{containerPort: 80, hostPort: 8080}]}]
`

let dir: string
let fleet: SimFleet

function git(...args: string[]): string {
  return gitIn(dir, ...args)
}

function commit(files: Record<string, string | null>, message: string): string {
  return commitFiles(dir, files, message)
}

const opts = (f: SimFleet = fleet): SessionOptions => ({dir, revision: 'HEAD', connector: f.connector()})

async function apply(f: SimFleet = fleet) {
  const r = await applyRevision({...opts(f), lock: {timeoutMs: 0, command: 'apply'}}, {onEvent: () => {}, pollMs: 5})
  expect(r.result.failed.map((x) => x.error.message)).toEqual([])
  expect(f.problems).toEqual([])
  return r
}

async function planned(f: SimFleet = fleet) {
  const {run} = await planRevision(opts(f))
  expect(f.problems).toEqual([])
  return run
}

function pods(f: SimFleet = fleet): string[] {
  return [...f.nodes.values()].flatMap((n) => n.podNames()).sort()
}

/** A node's state with IDs and times taken out: what two ways of starting pods must agree on. */
function snapshot(n: SimNode): unknown {
  const id = /[0-9a-f]{64}/g
  const text = (v: unknown) => (typeof v === 'string' ? v.replace(id, 'ID') : {loop: true})
  return {
    pods: [...n.pods.values()].map((p) => ({name: p.name, labels: p.labels, ports: p.ports})).sort((a, b) => a.name.localeCompare(b.name)),
    containers: [...n.containers.values()].map((c) => ({name: c.Names[0], image: c.Image, command: c.Command, state: c.State, infra: c.IsInfra, labels: c.Labels})).sort((a, b) => a.name.localeCompare(b.name)),
    files: [...n.files].filter(([p]) => !p.endsWith('/record.json')).map(([p, v]) => [p, text(v)]).sort(),
    volumes: [...n.volumes].sort(),
    hostPaths: [...n.hostPaths].sort(),
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kgit-kubemark-'))
  git('init', '-q', '-b', 'main')
  fleet = new SimFleet()
})

afterEach(() => rmSync(dir, {recursive: true, force: true}))

describe('kubemark: simulated nodes answer kgit’s protocol', () => {
  it('apply creates the pods, then plan is a no-op and reads back the record', async () => {
    const sha = commit({'kgit.yaml': CLUSTER, 'manifests/web.yaml': web('nginx:1.25'), 'manifests/api.yaml': API, 'manifests/tool.yaml': BARE}, 'v1')
    const {final} = await apply()
    expect(final.actions).toEqual([])
    expect(pods()).toHaveLength(4 + 3 + 1)
    expect([...fleet.nodes.values()].every((n) => n.locks.size === 0)).toBe(true)

    const run = await planned()
    expect(planActions(run.plan)).toEqual([])
    expect(run.plan.waiting).toEqual([])
    const obs = run.observed.nodes.filter((n) => n.reachable)
    expect(obs).toHaveLength(NODES)
    const live = obs.flatMap((n) => n.pods)
    expect(live.filter((p) => p.ready)).toHaveLength(8)
    expect(live.filter((p) => p.drift)).toEqual([])
    expect(live.find((p) => p.name.startsWith('web-'))?.containers.map((c) => [c.name, c.state])).toEqual([['log', 'running'], ['main', 'running']])
    // The record, as `kgit status` reads it: the commit and where each pod runs.
    const records = obs.map((n) => n.record as NodeRecord)
    expect(records.every((r) => r?.commit === sha)).toBe(true)
    // Each node keeps its own pods and its next peers'; together they tell where all run.
    expect(records.every((r) => Object.keys(r.pods).length === 3)).toBe(true)
    expect(Object.values(latestRecord(records)!.pods).flat()).toHaveLength(8)
    expect(records[0]!.subject).toBe('v1')
  })

  it('rolls out a template change, removes what left git, and heals drift', async () => {
    commit({'kgit.yaml': CLUSTER, 'manifests/web.yaml': web('nginx:1.25'), 'manifests/api.yaml': API, 'manifests/tool.yaml': BARE}, 'v1')
    await apply()
    const before = pods()

    commit({'manifests/web.yaml': web('nginx:1.26')}, 'v2')
    const change = await planned()
    expect(change.plan.rollouts.find((r) => r.name === 'web')?.changes.join()).toContain('nginx:1.26')
    const {final} = await apply()
    expect(final.actions).toEqual([])
    const webPods = (names: string[]) => names.filter((p) => p.startsWith('default/web-'))
    expect(webPods(pods())).toHaveLength(4)
    expect(webPods(pods()).filter((p) => webPods(before).includes(p))).toEqual([])
    const images = [...fleet.nodes.values()].flatMap((n) => [...n.containers.values()].filter((c) => c.Labels['kgit.dev/pod']?.startsWith('default_web-') && c.Names[0]!.endsWith('_main')).map((c) => c.Image))
    expect(new Set(images)).toEqual(new Set(['nginx:1.26']))
    expect(planActions((await planned()).plan)).toEqual([])

    commit({'manifests/api.yaml': null}, 'v3')
    await apply()
    expect(pods().filter((p) => p.startsWith('default/api-'))).toEqual([])
    expect([...fleet.nodes.values()].flatMap((n) => [...n.volumes.keys()])).toEqual([])
    expect([...fleet.nodes.values()].flatMap((n) => [...n.files.keys()].filter((p) => p.includes('_api-')))).toEqual([])
    expect(planActions((await planned()).plan)).toEqual([])

    // Drift: a pod removed by hand comes back.
    const [node] = [...fleet.nodes.values()].filter((n) => n.pods.size > 0)
    const victim = [...node!.pods.values()][0]!
    expect(node!.run([['podman', 'pod', 'rm', '--force', '--time', '0', victim.id]]).exitCode).toBe(0)
    const drift = await planned()
    expect(drift.plan.actions.map((a) => a.type)).toEqual(['create'])
    await apply()
    expect(pods()).toHaveLength(4 + 1)
    expect(planActions((await planned()).plan)).toEqual([])
  }, 30_000) // several full applies against simulated nodes: seconds on a loaded machine, not a speed check

  it('a fleet seeded from a plan holds exactly what apply makes', async () => {
    commit({'kgit.yaml': CLUSTER, 'manifests/web.yaml': web('nginx:1.25'), 'manifests/api.yaml': API, 'manifests/tool.yaml': BARE}, 'v1')
    await apply()
    const seeded = new SimFleet()
    const {run} = await planRevision(opts(seeded))
    const dataDirs = new Map(run.desired.cluster.nodes.map((n) => [n.name, n.dataDir]))
    const script = await loadNetworkScript()
    seedFleet(seeded, planActions(run.plan), {podRun, dataDirs, probeScript: await loadProbeScript(), networkSync: (a: NetworkSyncAction, d: string) => networkSync(script, d, a.state, a.hash)})
    for (const [name, n] of fleet.nodes) expect(snapshot(seeded.node(name))).toEqual(snapshot(n))
    expect(planActions((await planned(seeded)).plan)).toEqual([])
  })

  it('refuses what it does not know, loudly', async () => {
    const n = new SimFleet().node('n1')
    const unknown = n.run([['podman', 'run', '--detach', '--oom-score-adj', '1', '--', 'busybox']])
    expect(unknown.exitCode).toBe(1)
    expect(unknown.stderr).toContain('option --oom-score-adj is not known')
    const changed = n.run([['bash', '-c', 'echo hi', 'kgit-observe', '/var/lib/kgit', 'label=kgit.dev/managed=true']])
    expect(changed.exitCode).toBe(1)
    expect(changed.stderr).toContain('the kgit-observe script changed')
    expect(n.fleet?.problems).toHaveLength(2)
    const held = new SimFleet()
    held.down.add('n2')
    commit({'kgit.yaml': CLUSTER, 'manifests/tool.yaml': BARE}, 'v1')
    const {run} = await planRevision(opts(held))
    expect(run.observed.nodes.find((x) => x.node === 'n2')?.reachable).toBe(false)
  })
})
