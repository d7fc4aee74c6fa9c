import {execa} from 'execa'
import {beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {commit, kgit, lab, labCluster, podman, podsOn} from './helpers.js'

const repo = inject('labRepo')
let state: LabState
let first: Record<string, string> = {}
const cluster = labCluster(repo)

/**
 * A StatefulSet whose pods note when they started and when they became ready (3 s
 * later, then they serve HTTP), on the host's clock, in the container: the order is read
 * from the nodes.
 */
function db(opts: {replicas?: number; tag?: string; policy?: string} = {}): string {
  return `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: ${opts.replicas ?? 3}
  serviceName: db
  selector: {matchLabels: {app: db}}
  podManagementPolicy: ${opts.policy ?? 'OrderedReady'}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 16Mi}}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: localhost/busybox:1.35
          command: [sh, -c, '[ -e /data/id ] || echo "$(hostname) $(date +%s)-$RANDOM" > /data/id; date +%s > /tmp/started; sleep 3; date +%s > /tmp/ready; mkdir -p /srv && echo ok > /srv/index.html && exec httpd -f -p 8080 -h /srv']
          volumeMounts: [{name: data, mountPath: /data}]
          env: [{name: VERSION, value: ${opts.tag ?? 'v1'}}]
          readinessProbe:
            httpGet: {path: /index.html, port: 8080}
            periodSeconds: 1
`
}

/** A default class whose claims kgit provisions as directories on the node of their first pod. */
const LOCAL_PATH = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kgit.dev/local-path
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
`

/** What each pod wrote in its claim when it first ran: name -> id. */
async function ids(): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const [pod, node] of await placements()) out[pod] = (await podman(state, node, 'exec', `default_${pod}_main`, 'cat', '/data/id')).trim()
  return out
}

/** Every pod of db on the lab's nodes, [name, node], read with podman on every node. */
async function placements(): Promise<[string, string][]> {
  const out: [string, string][] = []
  for (const n of state.nodes) for (const p of await podsOn(state, n.name)) if (p.labels['kgit.dev/owner'] === 'StatefulSet/db') out.push([p.labels['kgit.dev/name'] ?? p.name, n.name])
  return out
}

/** Where each pod of db runs: name -> node. */
async function where(): Promise<Map<string, string>> {
  return new Map(await placements())
}

/** How many copies of each ordinal run on the lab's nodes. */
async function copies(): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const [p] of await placements()) out[p] = (out[p] ?? 0) + 1
  return out
}

async function catIn(node: string, pod: string, file: string): Promise<number> {
  return Number((await podman(state, node, 'exec', `default_${pod}_main`, 'cat', file)).trim())
}

/** Samples which ordinals exist while `run` goes on. */
async function sampleDuring<T>(run: Promise<T>): Promise<{samples: string[]; result: T}> {
  const samples: string[] = []
  let done = false
  const result = run.finally(() => {
    done = true
  })
  while (!done) {
    const names = [...(await where()).keys()].sort().join(',')
    if (samples.at(-1) !== names) samples.push(names)
    // A pod started out of order lives for seconds; half a second between samples spares the CPU.
    await new Promise((r) => setTimeout(r, 500))
  }
  return {samples, result: await result}
}

beforeAll(async () => {
  state = await lab(inject('labName'))
})

describe('a StatefulSet on a real lab', () => {
  it('starts db-0, db-1, db-2 in order, each after the one before is ready, with stable names and hostnames', async () => {
    await commit(repo, {'manifests/db.yaml': db(), 'manifests/class.yaml': LOCAL_PATH}, 'db')
    const {samples, result} = await sampleDuring(kgit(repo, 'apply'))
    expect(result.exitCode, result.stderr + result.stdout).toBe(0)
    // Only ever a prefix of the ordinals.
    for (const s of samples) expect(['', 'db-0', 'db-0,db-1', 'db-0,db-1,db-2']).toContain(s)
    const at = await where()
    expect([...at.keys()].sort()).toEqual(['db-0', 'db-1', 'db-2'])
    // Each started once the one before was ready (the nodes' clock, in seconds).
    for (const [prev, next] of [['db-0', 'db-1'], ['db-1', 'db-2']] as const) {
      expect(await catIn(at.get(next)!, next, '/tmp/started')).toBeGreaterThanOrEqual(await catIn(at.get(prev)!, prev, '/tmp/ready'))
    }
    expect((await podman(state, at.get('db-1')!, 'exec', 'default_db-1_main', 'hostname')).trim()).toBe('db-1')
    first = await ids()
    expect(Object.keys(first).sort()).toEqual(['db-0', 'db-1', 'db-2'])
    for (const [pod, id] of Object.entries(first)) expect(id).toMatch(new RegExp(`^${pod} \\d+-\\d+$`))
    const pvc = await kgit(repo, 'get', 'pvc')
    expect(pvc.stdout).toMatch(/^data-db-0\s+Bound\s+pvc-default-data-db-0\s+16Mi\s+RWO\s+local-path/m)
    const sts = await kgit(repo, 'get', 'sts')
    expect(sts.stdout).toMatch(/^NAME\s+READY\s+AGE\ndb\s+3\/3\s+/)
    const status = await kgit(repo, 'rollout', 'status', 'sts/db')
    expect(status.stdout).toMatch(/^statefulset rolling update complete 3 pods at revision db-\w+\.\.\./m)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('rolls a new template from db-2 down to db-0, each pod replaced on its own node', async () => {
    const before = await where()
    await commit(repo, {'manifests/db.yaml': db({tag: 'v2'})}, 'db v2')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    const order = [...r.stdout.matchAll(/^n\d: ~ pod default\/(db-\d)/gm)].map((m) => m[1])
    expect(order).toEqual(['db-2', 'db-1', 'db-0'])
    expect(await where()).toEqual(before)
    // Each pod found its own data again.
    expect(await ids()).toEqual(first)
    const d = await kgit(repo, 'describe', 'sts', 'db')
    expect(d.stdout).toMatch(/^Pod Management Policy:\s+OrderedReady$/m)
    expect(d.stdout).not.toContain('older template')
  })

  it('scales down from the highest ordinal: db-2 goes before db-1', async () => {
    await commit(repo, {'manifests/db.yaml': db({tag: 'v2', replicas: 1})}, 'db: 1 replica')
    const {samples, result} = await sampleDuring(kgit(repo, 'apply'))
    expect(result.exitCode, result.stderr + result.stdout).toBe(0)
    for (const s of samples) expect(['db-0,db-1,db-2', 'db-0,db-1', 'db-0']).toContain(s)
    const order = [...result.stdout.matchAll(/^n\d: - pod default\/(db-\d)/gm)].map((m) => m[1])
    expect(order).toEqual(['db-2', 'db-1'])
    expect([...(await where()).keys()]).toEqual(['db-0'])
    // The claims of db-1 and db-2 stay (whenScaled: Retain), with their data.
    expect((await kgit(repo, 'get', 'pvc')).stdout).toMatch(/^data-db-2\s+Bound\s+/m)
  })

  it('never starts an ordinal elsewhere while its node does not answer; kgit node forget lets it move; the stale copy goes when the node is back', async () => {
    await commit(repo, {'manifests/db.yaml': db({tag: 'v2', replicas: 3, policy: 'Parallel'})}, 'db: 3 replicas, parallel')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    // db-1 and db-2 came back to their nodes and their data.
    expect(await ids()).toEqual(first)
    const at = await where()
    const [victim, node] = [...at.entries()].find(([, n]) => n === 'n3') ?? [...at.entries()][0]!
    const n = state.nodes.find((x) => x.name === node)!
    // The node "goes down": kgit.yaml asks for its sshd on a port where nothing listens.
    // Its pod keeps running there, as on a machine cut off from the network.
    const down = cluster.original().replace(`address: ${n.address}\n`, `address: ${n.address}\n      port: 2222\n`)
    expect(down).toContain('port: 2222')
    await commit(repo, {'kgit.yaml': down}, `${node} does not answer`)
    const blocked = await kgit(repo, 'apply')
    expect(blocked.exitCode).toBe(1)
    expect(blocked.stdout + blocked.stderr).toContain(`pod default/${victim} cannot be scheduled: it may still run on node(s) ${node}, which do not answer`)
    expect(await copies()).toEqual({'db-0': 1, 'db-1': 1, 'db-2': 1})
    // Much later, still not: there is no grace period after which a StatefulSet's ordinal moves.
    expect((await kgit(repo, 'plan')).stdout + '').not.toMatch(new RegExp(`\\+ pod default/${victim}`))

    // The operator says the node is gone: the ordinal starts elsewhere.
    const f = await kgit(repo, 'node', 'forget', node)
    expect(f.exitCode, f.stderr + f.stdout).toBe(0)
    expect(f.stdout).toMatch(new RegExp(`^node/${node} forgotten: committed [0-9a-f]{12}`, 'm'))
    expect((await execa('git', ['log', '-1', '--format=%s'], {cwd: repo})).stdout).toBe(`kgit node forget ${node}`)
    expect(await copies()).toEqual({'db-0': 1, 'db-1': 1, 'db-2': 1, [victim]: 2})
    const moved = (await placements()).filter(([p, at]) => p === victim && at !== node)
    expect(moved).toHaveLength(1)

    // The machine comes back and is added again: its stale copy goes, the records' one stays.
    await commit(repo, {'kgit.yaml': cluster.original()}, `${node} is back`)
    const back = await kgit(repo, 'apply')
    expect(back.exitCode, back.stderr + back.stdout).toBe(0)
    expect(back.stdout).toMatch(new RegExp(`- pod default/${victim} .*second copy of ${victim} \\(the one on ${moved[0]![1]} stays\\)`))
    expect(await copies()).toEqual({'db-0': 1, 'db-1': 1, 'db-2': 1})
    expect((await placements()).find(([p]) => p === victim)![1]).toBe(moved[0]![1])
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })
})
