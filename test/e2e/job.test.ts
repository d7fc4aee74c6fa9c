import {beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {commit, kgit, kgitContainers, lab, labCluster, podCounts, podman, type RawContainer} from './helpers.js'

const repo = inject('labRepo')
let state: LabState

interface JobOpts {
  script: string
  policy?: 'Never' | 'OnFailure'
  spec?: string[]
}

function job(name: string, o: JobOpts): string {
  return [
    'apiVersion: batch/v1',
    'kind: Job',
    `metadata: {name: ${name}}`,
    'spec:',
    ...(o.spec ?? []).map((l) => `  ${l}`),
    '  template:',
    '    spec:',
    `      restartPolicy: ${o.policy ?? 'Never'}`,
    '      terminationGracePeriodSeconds: 1',
    `      containers: [{name: main, image: "localhost/busybox:1.35", command: [sh, -c, ${JSON.stringify(o.script)}]}]`,
    '',
  ].join('\n')
}

type RawCtr = RawContainer

/** The Job's containers on every node, as podman reports them. */
async function jobContainers(name: string): Promise<RawCtr[]> {
  return (await kgitContainers(state)).filter((c) => c.Names[0]!.startsWith(`default_${name}-`))
}

/** The most containers that ran at one time (podman's seconds: [start, exit)). */
function mostAtOnce(cs: RawCtr[]): number {
  return Math.max(...cs.map((c) => cs.filter((x) => x.StartedAt <= c.StartedAt && c.StartedAt < x.ExitedAt).length))
}

labCluster(repo)

beforeAll(async () => {
  state = await lab(inject('labName'))
})

describe('Jobs on a real lab', () => {
  it('completions 5, parallelism 2: exactly 5 successful pods, never more than 2 at once, not run again', async () => {
    await commit(repo, {'manifests/batch.yaml': job('batch', {script: 'sleep 2', spec: ['completions: 5', 'parallelism: 2']})}, 'batch job')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/job default\/batch complete: 5\/5 succeeded/)
    const cs = await jobContainers('batch')
    expect(cs.map((c) => `${c.State}:${c.ExitCode}`)).toEqual(Array(5).fill('exited:0'))
    expect(mostAtOnce(cs)).toBeLessThanOrEqual(2)
    const jobs = await kgit(repo, 'get', 'jobs')
    expect(jobs.stdout).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\n/)
    expect(jobs.stdout).toMatch(/^batch\s+Complete\s+5\/5\s+\d+s\s+\d+s$/m)
    expect((await kgit(repo, 'get', 'pods')).stdout.match(/^batch-\S+\s+0\/1\s+Completed\s/gm)).toHaveLength(5)
    const described = await kgit(repo, 'describe', 'job', 'batch')
    expect(described.stdout).toMatch(/^Pods Statuses:\s+0 Active \/ 5 Succeeded \/ 0 Failed$/m)
    expect(described.stdout).toMatch(/^Completed At:\s+\S/m)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
    // Drift: a finished pod removed by hand is not run again (the nodes' records keep the run's end).
    const counts = await podCounts(state, 'Job/batch')
    const node = state.nodes[counts.indexOf(Math.max(...counts))]!
    const names = (await podman(state, node.name, 'pod', 'ps', '--filter', 'label=kgit.dev/owner=Job/batch', '--format', '{{.Name}}')).split('\n').filter(Boolean)
    expect(names.length).toBeGreaterThan(0)
    for (const n of names) await podman(state, node.name, 'pod', 'rm', '-f', n)
    const again = await kgit(repo, 'apply')
    expect(again.stdout).toMatch(/^No changes/m)
    expect((await podCounts(state, 'Job/batch')).reduce((a, b) => a + b, 0)).toBe(5 - names.length)
  })

  it('a pod that always fails stops after backoffLimit, with a back-off between tries, and reports it', async () => {
    await commit(repo, {'manifests/batch.yaml': null, 'manifests/fail.yaml': job('fail', {script: 'exit 3', spec: ['backoffLimit: 1']})}, 'failing job')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/job default\/fail failed: BackoffLimitExceeded .*0\/1 succeeded, 2 failed/)
    const cs = await jobContainers('fail')
    expect(cs.map((c) => `${c.State}:${c.ExitCode}`)).toEqual(['exited:3', 'exited:3'])
    const [a, b] = [...cs].sort((x, y) => x.StartedAt - y.StartedAt)
    expect(b!.StartedAt - a!.ExitedAt).toBeGreaterThanOrEqual(9)
    const described = await kgit(repo, 'describe', 'job/fail')
    expect(described.stdout).toMatch(/^Pods Statuses:\s+0 Active \/ 0 Succeeded \/ 2 Failed$/m)
    expect(described.stdout).toMatch(/Failed\s+True\s+BackoffLimitExceeded/)
    expect((await kgit(repo, 'get', 'jobs')).stdout).toMatch(/^fail\s+Failed\s+0\/1\s/m)
    const again = await kgit(repo, 'apply')
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/^No changes/m)
    expect(await jobContainers('fail')).toHaveLength(2)
  })

  it('OnFailure: podman restarts the container in place; the restarts count toward backoffLimit', async () => {
    await commit(repo, {'manifests/fail.yaml': null, 'manifests/retry.yaml': job('retry', {script: 'exit 2', policy: 'OnFailure', spec: ['backoffLimit: 2']})}, 'OnFailure job')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/job default\/retry failed: BackoffLimitExceeded/)
    const described = (await kgit(repo, 'describe', 'job/retry')).stdout
    expect(described).toMatch(/Failed\s+True\s+BackoffLimitExceeded/)
    // Two restarts by podman (the pod itself may still run when they are counted: it is then removed, as Kubernetes does).
    expect(described).toMatch(/^Pods Statuses:\s+0 Active \/ 0 Succeeded \/ [23] Failed$/m)
    expect((await jobContainers('retry')).length).toBeLessThanOrEqual(1)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('activeDeadlineSeconds stops a running Job; ttlSecondsAfterFinished removes a finished one for good', async () => {
    // The deadline leaves the first apply (pods created, then observed again) room on a loaded machine.
    await commit(repo, {'manifests/retry.yaml': null, 'manifests/slow.yaml': job('slow', {script: 'sleep 600', spec: ['activeDeadlineSeconds: 25']}), 'manifests/once.yaml': job('once', {script: 'true', spec: ['ttlSecondsAfterFinished: 0']})}, 'deadline and ttl')
    const started = await kgit(repo, 'apply', '--job-wait', '0')
    expect(started.exitCode, started.stderr).toBe(0)
    expect(started.stdout).toMatch(/job default\/slow is still running/)
    const r = await kgit(repo, 'apply')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/job default\/slow failed: DeadlineExceeded/)
    expect(await jobContainers('slow')).toHaveLength(0)
    expect(await podCounts(state, 'Job/once')).toEqual([0, 0, 0])
    const jobs = await kgit(repo, 'get', 'jobs')
    expect(jobs.stdout).toMatch(/^once\s+Complete\s+1\/1\s/m)
    expect(jobs.stdout).toMatch(/^slow\s+Failed\s+0\/1\s/m)
    const again = await kgit(repo, 'apply')
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/^No changes/m)
    expect(await podCounts(state, 'Job/once')).toEqual([0, 0, 0])
  })
})
