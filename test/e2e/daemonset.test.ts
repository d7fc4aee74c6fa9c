import {beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {commit, kgit, lab, podCounts, podman, podsOn, labCluster} from './helpers.js'

const repo = inject('labRepo')
let state: LabState



function daemonSet(name: string, image = 'localhost/busybox:1.35'): string {
  return [
    'apiVersion: apps/v1',
    'kind: DaemonSet',
    `metadata: {name: ${name}}`,
    'spec:',
    `  selector: {matchLabels: {app: ${name}}}`,
    '  template:',
    `    metadata: {labels: {app: ${name}}}`,
    '    spec:',
    '      terminationGracePeriodSeconds: 1',
    `      containers: [{name: main, image: "${image}", command: [sleep, "3600"]}]`,
    '',
  ].join('\n')
}

const cluster = labCluster(repo)

beforeAll(async () => {
  state = await lab(inject('labName'))
})

describe('a DaemonSet on a real lab', () => {
  it('runs one pod on each node of kgit.yaml; a node added gets its pod', async () => {
    const without = cluster.without('n3')
    expect(without).not.toContain('n3')
    await commit(repo, {'kgit.yaml': without, 'manifests/agent.yaml': daemonSet('agent')}, 'agent on n1, n2')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(await podCounts(state, 'DaemonSet/agent')).toEqual([1, 1, 0])
    await commit(repo, {'kgit.yaml': cluster.original()}, 'n3 joins')
    const again = await kgit(repo, 'apply')
    expect(again.exitCode, again.stderr).toBe(0)
    expect(await podCounts(state, 'DaemonSet/agent')).toEqual([1, 1, 1])
    const ds = await kgit(repo, 'get', 'ds')
    expect(ds.stdout).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\n/)
    expect(ds.stdout).toMatch(/^agent\s+3\s+3\s+3\s+3\s+3\s+<none>\s+/m)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('puts back a daemon pod removed by hand', async () => {
    const pod = (await podsOn(state, 'n2')).find((p) => p.labels['kgit.dev/owner'] === 'DaemonSet/agent')!
    await podman(state, 'n2', 'pod', 'rm', '-f', '-t', '0', pod.name)
    expect(await podCounts(state, 'DaemonSet/agent')).toEqual([1, 0, 1])
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(await podCounts(state, 'DaemonSet/agent')).toEqual([1, 1, 1])
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('rolls a new template out node by node', async () => {
    await commit(repo, {'manifests/agent.yaml': daemonSet('agent', 'localhost/busybox:1.35').replace('"3600"', '"3601"')}, 'agent: new template')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(await podCounts(state, 'DaemonSet/agent')).toEqual([1, 1, 1])
    const ds = await kgit(repo, 'get', 'ds')
    expect(ds.stdout).toMatch(/^agent\s+3\s+3\s+3\s+3\s+3\s+/m)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('a NoExecute taint removes its pod; a NoSchedule taint keeps a new DaemonSet away', async () => {
    await commit(repo, {'kgit.yaml': cluster.with({n3: ['taints: [{key: dedicated, value: db, effect: NoExecute}]']})}, 'n3 NoExecute')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(await podCounts(state, 'DaemonSet/agent')).toEqual([1, 1, 0])
    await commit(repo, {'kgit.yaml': cluster.with({n3: ['taints: [{key: dedicated, value: db, effect: NoSchedule}]']}), 'manifests/logs.yaml': daemonSet('logs')}, 'n3 NoSchedule, logs')
    const again = await kgit(repo, 'apply')
    expect(again.exitCode, again.stderr).toBe(0)
    expect(await podCounts(state, 'DaemonSet/logs')).toEqual([1, 1, 0])
    const described = await kgit(repo, 'describe', 'ds/logs')
    expect(described.exitCode, described.stderr).toBe(0)
    expect(described.stdout).toMatch(/^Desired Number of Nodes Scheduled: +2$/m)
    expect(described.stdout).toMatch(/^Nodes Not Running It: +node n3 has taint \{dedicated: db\}, which the pod does not tolerate$/m)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })
})
