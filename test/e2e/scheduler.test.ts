import {beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {deploymentYaml} from '../support/manifests.js'
import {commit, kgit, lab, podCounts, podman, labCluster} from './helpers.js'

const repo = inject('labRepo')
let state: LabState


function deployment(name: string, replicas: number, podSpec = '', container = ''): string {
  return deploymentYaml(name, replicas, {image: 'localhost/busybox:1.35', command: ['sleep', '3600'], grace: 1, podSpec, container})
}

const SMALL = {n1: ['capacity: {cpu: "2", memory: 1Gi}'], n2: ['capacity: {cpu: "2", memory: 1Gi}'], n3: ['capacity: {cpu: "2", memory: 1Gi}']}

const cluster = labCluster(repo)

beforeAll(async () => {
  state = await lab(inject('labName'))
})

describe('the scheduler on a real lab', () => {
  it('reports a pod that fits nowhere with the reasons, applies the rest, exits 1; limits reach the container', async () => {
    const fits = deployment('fits', 2, '', '          resources: {requests: {cpu: 250m, memory: 64Mi}, limits: {cpu: 500m, memory: 96Mi}}\n')
    const huge = deployment('huge', 1, '', '          resources: {requests: {memory: 2Gi}}\n')
    await commit(repo, {'kgit.yaml': cluster.with(SMALL), 'manifests/fits.yaml': fits, 'manifests/huge.yaml': huge}, 'too big')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/pod default\/huge-\S+ cannot be scheduled: 0\/3 nodes are available: 3 Insufficient memory\./)
    expect((await podCounts(state, 'Deployment/fits')).reduce((a, b) => a + b)).toBe(2)
    expect((await podCounts(state, 'Deployment/huge')).reduce((a, b) => a + b)).toBe(0)
    // The kubelet's way: a cpu limit is a CFS quota, a memory limit the cgroup's limit.
    const node = state.nodes[(await podCounts(state, 'Deployment/fits')).findIndex((c) => c > 0)]!.name
    const ids = (await podman(state, node, 'ps', '-q', '--filter', 'label=kgit.dev/container=main', '--filter', 'label=kgit.dev/pod')).trim().split('\n')
    const inspect = JSON.parse(await podman(state, node, 'inspect', ids[0]!)) as {HostConfig: {Memory: number; CpuQuota: number; CpuPeriod: number; CpuShares: number}}[]
    expect(inspect[0]!.HostConfig.Memory).toBe(96 * 2 ** 20)
    expect(inspect[0]!.HostConfig.CpuQuota / inspect[0]!.HostConfig.CpuPeriod).toBe(0.5)
    expect(inspect[0]!.HostConfig.CpuShares).toBe(256)
    const name = (await kgit(repo, 'get', 'pods')).stdout.split('\n').find((l) => l.startsWith('fits-'))!.split(/\s+/)[0]!
    const described = (await kgit(repo, 'describe', 'pod', name)).stdout
    expect(described).toMatch(/QoS Class:\s+Burstable/)
    expect(described).toMatch(/Limits:\s+cpu: 500m\n\s+memory: 96Mi\n\s+Requests:\s+cpu: 250m\n\s+memory: 64Mi/)
    const plan = await kgit(repo, 'plan')
    expect(plan.exitCode).toBe(1)
    expect(plan.stdout).toContain('0/3 nodes are available: 3 Insufficient memory.')
  })

  it('a tainted node gets only the pods that tolerate its taint', async () => {
    const tainted = {...SMALL, n1: [...SMALL.n1, 'taints: [{key: dedicated, value: db, effect: NoSchedule}]']}
    const db = deployment('db', 1, '      tolerations: [{key: dedicated, value: db, effect: NoSchedule}]\n      nodeSelector: {kubernetes.io/hostname: n1}\n')
    await commit(repo, {'kgit.yaml': cluster.with(tainted), 'manifests/huge.yaml': null, 'manifests/fits.yaml': null, 'manifests/web.yaml': deployment('web', 4), 'manifests/db.yaml': db}, 'taint n1')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(await podCounts(state, 'Deployment/web')).toEqual([0, 2, 2])
    expect(await podCounts(state, 'Deployment/db')).toEqual([1, 0, 0])
  })

  it('a cordoned node gets no new pods; drain moves its pods to the others', async () => {
    await commit(repo, {'kgit.yaml': cluster.with({...SMALL, n2: [...SMALL.n2, 'unschedulable: true']}), 'manifests/db.yaml': null, 'manifests/web.yaml': deployment('web', 6)}, 'cordon n2')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    const counts = await podCounts(state, 'Deployment/web')
    expect(counts[1]).toBe(2)
    expect(counts[0]! + counts[2]!).toBe(4)
    const nodes = await kgit(repo, 'get', 'nodes')
    expect(nodes.stdout).toMatch(/n2\s+Ready,SchedulingDisabled/)
    const r = await kgit(repo, 'drain', 'n2')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^node\/n2 drained: committed [0-9a-f]{12}/m)
    expect(r.stdout).toContain('evicted: node n2 is drained')
    const after = await podCounts(state, 'Deployment/web')
    expect(after[1]).toBe(0)
    expect(after[0]! + after[2]!).toBe(6)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })
})
