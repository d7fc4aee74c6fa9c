import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {labTransport} from '../../src/engine/exec/lab/index.js'
import {commit, kgit, lab, podCounts} from './helpers.js'

const repo = inject('labRepo')
let state: LabState

function replicaSet(image: string, arg: string): string {
  return `apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs1}
spec:
  replicas: 3
  selector: {matchLabels: {app: rs1}}
  template:
    metadata: {labels: {app: rs1}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - {name: main, image: ${image}, command: [sleep, "${arg}"]}
`
}

const LIVENESS = `apiVersion: v1
kind: Pod
metadata: {name: flaky}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: localhost/busybox:1.35
      # Healthy for 3 s after each start, then not.
      command: [sh, -c, 'touch /tmp/alive; sleep 3; rm /tmp/alive; exec sleep 3600']
      livenessProbe:
        exec: {command: [test, -f, /tmp/alive]}
        periodSeconds: 1
        failureThreshold: 2
`

beforeAll(async () => {
  state = await lab(inject('labName'))
})

afterAll(async () => {
  await commit(repo, {manifests: null, 'manifests/.gitkeep': ''}, 'e2e: clean up')
  await kgit(repo, 'apply')
})

describe('ReplicaSets and liveness on a real lab', () => {
  it('a ReplicaSet keeps exactly its replicas: a pod removed by hand comes back; a new template only applies to new pods', async () => {
    await commit(repo, {'manifests/rs.yaml': replicaSet('localhost/busybox:1.35', '3600')}, 'rs1')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    expect((await podCounts(state, 'ReplicaSet/rs1')).reduce((a, b) => a + b)).toBe(3)
    const names = (await kgit(repo, 'get', 'pods')).stdout.split('\n').filter((l) => l.startsWith('rs1-')).map((l) => l.split(/\s+/)[0]!)
    expect(names.every((n) => /^rs1-[a-z0-9]{5}$/.test(n))).toBe(true)
    const n1 = labTransport(state, 'n1')
    const victim = (await n1.exec([['podman', 'pod', 'ps', '-q', '--filter', 'label=kgit.dev/owner=ReplicaSet/rs1']])).stdout.trim().split('\n')[0]!
    await n1.exec([['podman', 'pod', 'rm', '-f', '-t', '0', victim]])
    expect((await podCounts(state, 'ReplicaSet/rs1')).reduce((a, b) => a + b)).toBe(2)
    const heal = await kgit(repo, 'apply')
    expect(heal.exitCode, heal.stderr + heal.stdout).toBe(0)
    expect((await podCounts(state, 'ReplicaSet/rs1')).reduce((a, b) => a + b)).toBe(3)
    await commit(repo, {'manifests/rs.yaml': replicaSet('localhost/busybox:1.35', '7200')}, 'rs1: new template')
    expect((await kgit(repo, 'plan', '--detailed-exitcode')).exitCode).toBe(0)
    const rs = await kgit(repo, 'get', 'rs')
    expect(rs.stdout).toMatch(/^rs1\s+3\s+3\s+3\s+/m)
  })

  it('restarts a container whose liveness probe fails, counting restarts', async () => {
    await commit(repo, {'manifests/flaky.yaml': LIVENESS}, 'flaky')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    let restarts = 0
    for (let i = 0; i < 40 && restarts < 2; i++) {
      await new Promise((r) => setTimeout(r, 1000))
      const line = (await kgit(repo, 'get', 'pods')).stdout.split('\n').find((l) => l.startsWith('flaky '))
      restarts = Number(line?.split(/\s+/)[3] ?? 0)
    }
    expect(restarts).toBeGreaterThanOrEqual(2)
    const d = await kgit(repo, 'describe', 'pod', 'flaky')
    expect(d.stdout).toMatch(/Liveness:\s+exec \[test -f \/tmp\/alive\] delay=0s timeout=1s period=1s #success=1 #failure=2/)
    // Restarts are the probe's doing, not drift: nothing to apply.
    expect((await kgit(repo, 'plan', '--detailed-exitcode')).exitCode).toBe(0)
  })
})
