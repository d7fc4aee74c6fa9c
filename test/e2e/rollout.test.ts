import {execa} from 'execa'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {labTransport} from '../../src/engine/exec/lab/index.js'
import {commit, kgit, lab} from './helpers.js'

const repo = inject('labRepo')
const ROOT = new URL('../..', import.meta.url).pathname
let state: LabState

/** A web server whose page says its version; the readiness probe asks for `readyPath`. */
function web(version: string, opts: {readyPath?: string; deadline?: number; replicas?: number} = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${opts.replicas ?? 6}
  progressDeadlineSeconds: ${opts.deadline ?? 120}
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: localhost/busybox:1.35
          command: [sh, -c, 'mkdir -p /srv && echo ${version} > /srv/index.html && exec httpd -f -p 8080 -h /srv']
          readinessProbe:
            httpGet: {path: ${opts.readyPath ?? '/index.html'}, port: 8080}
            periodSeconds: 1
`
}

interface Sample {
  pods: number
  ready: number
}

/**
 * The ground truth on the nodes, without kgit: pods of the Deployment (podman pod ps, so
 * pods being stopped count) and how many of them the readiness probes on the node say are ready.
 */
async function sample(): Promise<Sample> {
  const per = await Promise.all(
    state.nodes.map(async (n) => {
      const dataDir = join(n.dir, 'data')
      const script = 'podman pod ps -q --no-trunc --filter label=kgit.dev/owner=Deployment/web; echo @@; cat "$1"/probes/*.ready.state 2>/dev/null; exit 0'
      const r = await labTransport(state, n.name).exec([['sh', '-c', script, 'sample', dataDir]])
      const [ids, states] = r.stdout.split('@@\n')
      const pods = new Set(ids!.split('\n').filter(Boolean))
      const ready = (states ?? '').split('\n').filter((l) => l.startsWith('ok ') && pods.has(l.split(' ')[4]!)).length
      return {pods: pods.size, ready}
    }),
  )
  return {pods: per.reduce((a, b) => a + b.pods, 0), ready: per.reduce((a, b) => a + b.ready, 0)}
}

/** Samples the nodes until `until` settles; returns every sample. */
async function sampleDuring<T>(until: Promise<T>): Promise<{samples: Sample[]; result: T}> {
  const samples: Sample[] = []
  let done = false
  const result = until.finally(() => {
    done = true
  })
  // A pause between samples: a rollout step lasts at least a probe period (1 s) and kgit's
  // poll (1 s), so a breach of the bounds would outlast it; sampling without one kept a core
  // of the 2-core CI machine busy with podman.
  while (!done) {
    samples.push(await sample())
    await new Promise((r) => setTimeout(r, 500))
  }
  return {samples, result: await result}
}

async function pagesSay(): Promise<string[]> {
  // Every pod's page, read from inside its node: what the rollout left running.
  const out: string[] = []
  for (const n of state.nodes) {
    const r = await labTransport(state, n.name).exec([['sh', '-c', 'for c in $(podman ps -q --filter label=kgit.dev/container=web); do podman exec $c cat /srv/index.html; done']])
    out.push(...r.stdout.split('\n').filter(Boolean))
  }
  return out.sort()
}

beforeAll(async () => {
  state = await lab(inject('labName'))
})

afterAll(async () => {
  await commit(repo, {manifests: null, 'manifests/.gitkeep': ''}, 'e2e: clean up')
  await kgit(repo, 'apply')
})

describe('rolling updates on a real lab', () => {
  it('starts 6 ready replicas, then plans nothing', async () => {
    await commit(repo, {'manifests/web.yaml': web('v1')}, 'web v1')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(await sample()).toEqual({pods: 6, ready: 6})
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('rolls 6 replicas with maxUnavailable=1, maxSurge=1: never fewer than 5 ready, never more than 7 pods', async () => {
    await commit(repo, {'manifests/web.yaml': web('v2')}, 'web v2')
    const {samples, result} = await sampleDuring(kgit(repo, 'apply'))
    expect(result.exitCode, result.stderr + result.stdout).toBe(0)
    expect(samples.length).toBeGreaterThan(5)
    expect(Math.min(...samples.map((s) => s.ready))).toBeGreaterThanOrEqual(5)
    expect(Math.max(...samples.map((s) => s.pods))).toBeLessThanOrEqual(7)
    expect(await sample()).toEqual({pods: 6, ready: 6})
    expect(await pagesSay()).toEqual(Array(6).fill('v2'))
    const status = await kgit(repo, 'rollout', 'status', 'deployment/web')
    expect(status.stdout.trim()).toBe('deployment "web" successfully rolled out')
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('get and describe show deployments, replicasets, pods and nodes in kubectl\'s shapes', async () => {
    const deploy = await kgit(repo, 'get', 'deploy')
    expect(deploy.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+6\/6\s+6\s+6\s+\S+$/)
    const rs = await kgit(repo, 'get', 'rs')
    expect(rs.stdout).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nweb-\w+\s+6\s+6\s+6\s+\S+$/)
    const nodes = await kgit(repo, 'get', 'nodes')
    expect(nodes.stdout.split('\n').filter((l) => /^n\d\s+Ready\s+/.test(l))).toHaveLength(3)
    const pods = await kgit(repo, 'get', 'pods')
    const first = pods.stdout.split('\n')[1]!.split(/\s+/)
    expect(first.slice(1, 4)).toEqual(['1/1', 'Running', '0'])
    const pod = await kgit(repo, 'describe', 'pod', first[0]!)
    expect(pod.exitCode, pod.stderr).toBe(0)
    expect(pod.stdout).toMatch(/^Name:\s+web-/m)
    expect(pod.stdout).toMatch(/Readiness:\s+http-get http:\/\/:8080\/index.html delay=0s timeout=1s period=1s #success=1 #failure=3/)
    expect(pod.stdout).toMatch(/^Controlled By:\s+ReplicaSet\/web-\w+$/m)
    const d = await kgit(repo, 'describe', 'deployment/web')
    expect(d.stdout).toMatch(/^Replicas:\s+6 desired \| 6 updated \| 6 total \| 6 available \| 0 unavailable$/m)
    expect(d.stdout).toMatch(/^RollingUpdateStrategy:\s+1 max unavailable, 1 max surge$/m)
    const node = await kgit(repo, 'describe', 'node', 'n1')
    expect(node.stdout).toMatch(/^Runs Commit:\s+[0-9a-f]{12} "web v2" by e2e <e2e@kgit.local>$/m)
    expect((await kgit(repo, 'describe', 'pod', 'nope')).stderr).toContain('Error from server (NotFound): pods "nope" not found in namespace default')
  })

  it('stops a version that never gets ready at its progress deadline, old pods serving; rollout status says why; undo recovers', async () => {
    await commit(repo, {'manifests/web.yaml': web('v3', {readyPath: '/missing.html', deadline: 15})}, 'web v3: broken readiness')
    const {samples, result} = await sampleDuring(kgit(repo, 'apply'))
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('deployment default/web exceeded its progress deadline')
    expect(result.stderr).toMatch(/Readiness probe failed: HTTP probe failed with statuscode: 404/)
    expect(Math.min(...samples.map((s) => s.ready))).toBeGreaterThanOrEqual(5)
    expect((await sample()).ready).toBe(5)
    expect((await pagesSay()).filter((p) => p === 'v2')).toHaveLength(5)
    const status = await kgit(repo, 'rollout', 'status', 'deployment/web')
    expect(status.exitCode).toBe(1)
    expect(status.stderr).toContain('error: deployment "web" exceeded its progress deadline')
    expect(status.stderr).toMatch(/pod web-\w+-\w+ on n\d: container web: Readiness probe failed: HTTP probe failed with statuscode: 404/)
    const undo = await kgit(repo, 'rollout', 'undo', 'deployment/web')
    expect(undo.exitCode, undo.stderr + undo.stdout).toBe(0)
    expect(await sample()).toEqual({pods: 6, ready: 6})
    expect(await pagesSay()).toEqual(Array(6).fill('v2'))
    const log = await execa('git', ['log', '-1', '--format=%s'], {cwd: repo})
    expect(log.stdout).toMatch(/^kgit rollout undo deployment\/web to revision 2/)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('converges after apply is killed with SIGKILL mid-rollout: exact replicas, no orphans', async () => {
    await commit(repo, {'manifests/web.yaml': web('v4')}, 'web v4')
    const child = execa('node', [join(ROOT, 'bin/run.js'), 'apply'], {cwd: repo, reject: false})
    // Wait until the rollout is under way (a pod of v4 exists), then kill.
    for (let i = 0; i < 100 && !(await pagesSay()).includes('v4'); i++) await new Promise((r) => setTimeout(r, 200))
    child.kill('SIGKILL')
    await child
    const again = await kgit(repo, 'apply')
    expect(again.exitCode, again.stderr + again.stdout).toBe(0)
    expect(await sample()).toEqual({pods: 6, ready: 6})
    expect(await pagesSay()).toEqual(Array(6).fill('v4'))
    // No pod, container, volume or probe loop left of the killed run.
    for (const n of state.nodes) {
      const t = labTransport(state, n.name)
      const all = await t.exec([['sh', '-c', 'podman ps -a --format "{{.Names}}" | grep -vc _infra; ls "$1"/probes | grep -c "ready$"', 'x', join(n.dir, 'data')]])
      const [containers, specs] = all.stdout.trim().split('\n').map(Number)
      expect(containers).toBe(specs)
    }
    // A loop whose spec was replaced ends at its next round (period 1 s + timeout 1 s): wait
    // for that, but a loop that outlives it is an orphan.
    let loops = -1
    for (let i = 0; i < 40 && loops !== 6; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 250))
      loops = Number((await execa('sh', ['-c', `pgrep -fc '[k]git-probe ${state.stateDir}/' || true`])).stdout.trim())
    }
    expect(loops).toBe(6)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('shows drift in plan (a container stopped, a pod removed, a foreign container with kgit labels) and reverts it', async () => {
    const n1 = labTransport(state, 'n1')
    const names = (await n1.exec([['podman', 'ps', '--format', '{{.Names}}', '--filter', 'label=kgit.dev/container=web']])).stdout.trim().split('\n')
    await n1.exec([['podman', 'stop', '-t', '0', names[0]!]])
    const n2 = labTransport(state, 'n2')
    const pods = (await n2.exec([['podman', 'pod', 'ps', '--format', '{{.Name}}', '--filter', 'label=kgit.dev/owner=Deployment/web']])).stdout.trim().split('\n')
    await n2.exec([['podman', 'pod', 'rm', '-f', '-t', '0', pods[0]!]])
    await labTransport(state, 'n3').exec([['podman', 'run', '-d', '--name', 'intruder', '--label', 'kgit.dev/managed=true', 'localhost/busybox:1.35', 'sleep', '600']])
    const plan = await kgit(repo, 'plan', '--detailed-exitcode')
    expect(plan.exitCode).toBe(2)
    expect(plan.stdout).toContain(`container web is exited`)
    expect(plan.stdout).toMatch(/- container intruder: drift: container intruder carries kgit's labels but is in no pod kgit made/)
    expect(plan.stdout).toMatch(/\+ pod default\/web-\w+-\w+ \(Deployment\/web\): drift: missing \(removed from the node\)/)
    const diff = await kgit(repo, 'diff')
    expect(diff.exitCode).toBe(1)
    expect(diff.stdout).toMatch(/^Drift \(the nodes differ from what kgit started\): 3$/m)
    expect(diff.stdout).toMatch(/^Pending \([0-9a-f]{12} differs from what runs\): 0$/m)
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(await sample()).toEqual({pods: 6, ready: 6})
    expect((await kgit(repo, 'diff')).exitCode).toBe(0)
    expect((await labTransport(state, 'n3').exec([['podman', 'ps', '-a', '--format', '{{.Names}}', '--filter', 'name=intruder']])).stdout.trim()).toBe('')
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('keeps the pods of an object marked kgit.dev/prune: disabled when it leaves git', async () => {
    const kept = web('v4', {replicas: 2}).replace('metadata: {name: web}', 'metadata: {name: keeper, annotations: {kgit.dev/prune: disabled}}').replaceAll('app: web', 'app: keeper')
    await commit(repo, {'manifests/web.yaml': null, 'manifests/keeper.yaml': kept}, 'keeper')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    await commit(repo, {'manifests/keeper.yaml': null}, 'keeper leaves git')
    const plan = await kgit(repo, 'plan')
    expect(plan.stdout).toMatch(/= pod default\/keeper-\w+-\w+ on n\d: kept/)
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    const left = await Promise.all(state.nodes.map((n) => labTransport(state, n.name).exec([['podman', 'pod', 'ps', '-q', '--filter', 'label=kgit.dev/owner=Deployment/keeper']])))
    expect(left.map((x) => x.stdout.trim().split('\n').filter(Boolean).length).reduce((a, b) => a + b, 0)).toBe(2)
    // Removing them is a choice made by hand: podman pod rm, or put the object back without the annotation and delete it.
    for (const n of state.nodes) await labTransport(state, n.name).exec([['sh', '-c', 'podman pod rm -f -t 0 $(podman pod ps -q --filter label=kgit.dev/owner=Deployment/keeper) 2>/dev/null; exit 0']])
  })

  it('records on every node which commit it runs, when and by whom; kgit status shows it', async () => {
    const head = (await execa('git', ['rev-parse', 'HEAD'], {cwd: repo})).stdout.trim()
    for (const n of state.nodes) {
      const r = await labTransport(state, n.name).exec([['cat', join(n.dir, 'data', 'record.json')]])
      const rec = JSON.parse(r.stdout) as {commit: string; author: string; subject: string; appliedBy: string}
      expect(rec.commit).toBe(head)
      expect(rec.subject).toBe('keeper leaves git')
      expect(rec.author).toBe('e2e <e2e@kgit.local>')
    }
    const st = await kgit(repo, 'status')
    expect(st.exitCode, st.stderr + st.stdout).toBe(0)
    expect(st.stdout).toContain(head.slice(0, 12))
    expect(st.stdout).toMatch(/n1\s+\S+\s+[0-9a-f]{12}/)
  })
})
