import {describe, expect, it} from 'vitest'
import {humanDuration, jobRows} from '../../src/cli/render-jobs.js'
import {containerRun} from '../../src/engine/argv/podman.js'
import {JOB_BACKOFF_MAX_MS, jobPodName, jobStep, type JobGroup} from '../../src/engine/controllers/job.js'
import {expandWorkloads} from '../../src/engine/controllers/workloads.js'
import {nodeState} from '../../src/engine/facts/node-state.js'
import {observedPods} from '../../src/engine/facts/podman-pods.js'
import {loadDesired} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import {jobMarks, jobsWaiting, unrecordedJobs} from '../../src/engine/plan/jobs.js'
import {plan} from '../../src/engine/plan/plan.js'
import {nextRecord} from '../../src/engine/plan/records.js'
import type {JobMark, ObservedPod} from '../../src/engine/types.js'
import {cluster, desired, FakeFleet} from './plan-helpers.js'

function jobYaml(name: string, o: {spec?: string[]; policy?: string | null; extra?: string[]} = {}): string {
  const policy = o.policy === null ? [] : [`      restartPolicy: ${o.policy ?? 'Never'}`]
  return ['apiVersion: batch/v1', 'kind: Job', `metadata: {name: ${name}}`, 'spec:', ...(o.spec ?? []).map((l) => `  ${l}`), '  template:', ...(o.extra ?? []), '    spec:', ...policy, '      containers: [{name: main, image: "busybox:1.35"}]', ''].join('\n')
}

function errorsOf(doc: string): string[] {
  const enc = new TextEncoder()
  const r = loadDesired({revision: 'r', clusterFile: {path: 'kgit.yaml', content: enc.encode(cluster(1))}, files: [{path: 'manifests/job.yaml', content: enc.encode(doc)}], schema})
  return r.errors.map((e) => e.message)
}

function group(spec: string[] = [], policy = 'Never'): JobGroup {
  return expandWorkloads(desired(3, jobYaml('pi', {spec, policy}))).jobs[0]!
}

const T0 = Date.parse('2026-01-01T00:00:00Z')
const S = 1000

type Phase = 'running' | 'ok' | 'fail'

/** A pod of the job's run: created at T0 + `created` s, finished at T0 + `finished` s. */
function pod(j: JobGroup, i: number, phase: Phase, o: {created?: number; finished?: number; restarts?: number; hash?: string} = {}): ObservedPod {
  const name = jobPodName(j.owner.name, j.hash, i)
  const exited = phase !== 'running'
  return {
    node: 'n1', podmanName: `p-${name}`, namespace: 'default', name, owner: j.owner, templateHash: o.hash ?? j.hash, specHash: j.template.specHash, labels: j.template.labels, status: exited ? 'Exited' : 'Running',
    created: new Date(T0 + (o.created ?? 0) * S).toISOString(), spec: j.template.spec,
    containers: [{name: 'main', container: 'main', state: exited ? 'exited' : 'running', ...(exited ? {exitCode: phase === 'ok' ? 0 : 1, finishedAt: T0 + (o.finished ?? 1) * S} : {}), ...(o.restarts !== undefined ? {restarts: o.restarts} : {})}],
  }
}

describe('Job manifests', () => {
  it('defaults as Kubernetes does: completions and parallelism 1, backoffLimit 6; parallelism alone is a work queue', () => {
    expect(group()).toMatchObject({completions: 1, parallelism: 1, backoffLimit: 6})
    expect(group(['parallelism: 3'])).toMatchObject({completions: null, parallelism: 3})
    expect(group(['completions: 5', 'parallelism: 2', 'backoffLimit: 1', 'activeDeadlineSeconds: 30', 'ttlSecondsAfterFinished: 0'])).toMatchObject({completions: 5, parallelism: 2, backoffLimit: 1, activeDeadlineSeconds: 30, ttlSecondsAfterFinished: 0})
  })

  it('labels pods with job-name and the run (controller-uid), and bounds podman restarts for OnFailure', () => {
    const j = group(['backoffLimit: 3'], 'OnFailure')
    expect(j.template.labels).toMatchObject({'job-name': 'pi', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': j.hash})
    expect(j.template.restartLimit).toBe(3)
    const argv = containerRun({...j.template, name: 'pi-abcde'}, j.template.spec.containers[0]!, {dataDir: '/d'})
    expect(argv.slice(argv.indexOf('--restart'), argv.indexOf('--restart') + 2)).toEqual(['--restart', 'on-failure:3'])
    expect(argv).toContain('kgit.dev/restart=on-failure')
  })

  it('refuses restartPolicy Always or none, Indexed mode, and a selector not asked for', () => {
    expect(errorsOf(jobYaml('a', {policy: null}))).toEqual(['manifests/job.yaml:6 spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'])
    expect(errorsOf(jobYaml('a', {policy: 'Always'}))[0]).toMatch(/spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"$/)
    expect(errorsOf(jobYaml('a', {spec: ['completionMode: Indexed']}))[0]).toMatch(/spec.completionMode: Unsupported value: "Indexed": this version of kgit runs NonIndexed Jobs only$/)
    expect(errorsOf(jobYaml('a', {spec: ['selector: {matchLabels: {a: b}}']}))[0]).toMatch(/spec.selector: `selector` will be auto-generated/)
  })
})

describe('jobStep', () => {
  it('starts min(parallelism, completions) pods with names that are the same on every run', () => {
    const j = group(['completions: 5', 'parallelism: 2'])
    const s = jobStep({job: j, pods: [], now: T0})
    expect(s.create.map((p) => p.name)).toEqual([jobPodName('pi', j.hash, 0), jobPodName('pi', j.hash, 1)])
    expect(jobStep({job: j, pods: [], now: T0 + 99 * S}).create.map((p) => p.name)).toEqual(s.create.map((p) => p.name))
    expect(s.create[0]!.name).toMatch(/^pi-[a-z0-9]{5}$/)
    expect(s.status).toMatchObject({condition: 'Running', active: 0, succeeded: 0})
  })

  it('keeps parallelism pods running until completions succeeded, then is Complete', () => {
    const j = group(['completions: 5', 'parallelism: 2'])
    const three = [0, 1, 2].map((i) => pod(j, i, 'ok', {finished: i + 1}))
    const s = jobStep({job: j, pods: [...three, pod(j, 3, 'running')], now: T0 + 10 * S})
    expect(s.create.map((p) => p.name)).toEqual([jobPodName('pi', j.hash, 4)])
    expect(jobStep({job: j, pods: [...three, pod(j, 3, 'ok'), pod(j, 4, 'running')], now: T0 + 10 * S}).create).toEqual([])
    const done = jobStep({job: j, pods: [...three, pod(j, 3, 'ok', {finished: 7}), pod(j, 4, 'ok', {finished: 8})], now: T0 + 10 * S})
    expect(done.create).toEqual([])
    expect(done.remove).toEqual([])
    expect(done.status).toMatchObject({condition: 'Complete', succeeded: 5, active: 0, startTime: T0, completionTime: T0 + 8 * S})
    expect(done.status.mark).toEqual({hash: j.hash, result: 'Complete', succeeded: 5, failed: 0, startTime: '2026-01-01T00:00:00.000Z', completionTime: '2026-01-01T00:00:08.000Z'})
  })

  it('a lowered parallelism stops the newest running pods', () => {
    const j = group(['completions: 5', 'parallelism: 1'])
    const s = jobStep({job: j, pods: [pod(j, 0, 'running', {created: 1}), pod(j, 1, 'running', {created: 2})], now: T0 + 10 * S})
    expect(s.remove.map((r) => r.pod.name)).toEqual([jobPodName('pi', j.hash, 1)])
    expect(s.create).toEqual([])
  })

  it('waits an exponential back-off after failed pods (10 s, 20 s ... at most 6 min) from the last failure', () => {
    const j = group(['backoffLimit: 20'])
    const one = [pod(j, 0, 'fail', {finished: 5})]
    expect(jobStep({job: j, pods: one, now: T0 + 14 * S})).toMatchObject({create: [], status: {retryAt: T0 + 15 * S, failed: 1}})
    expect(jobStep({job: j, pods: one, now: T0 + 15 * S}).create.map((p) => p.name)).toEqual([jobPodName('pi', j.hash, 1)])
    const two = [...one, pod(j, 1, 'fail', {finished: 30})]
    expect(jobStep({job: j, pods: two, now: T0 + 31 * S}).status.retryAt).toBe(T0 + 50 * S)
    const many = Array.from({length: 10}, (_, i) => pod(j, i, 'fail', {finished: 100}))
    expect(jobStep({job: j, pods: many, now: T0}).status.retryAt).toBe(T0 + 100 * S + JOB_BACKOFF_MAX_MS)
  })

  it('fails past backoffLimit (Never: failed pods > limit) and stops its running pods', () => {
    const j = group(['backoffLimit: 1', 'parallelism: 2', 'completions: 4'])
    const pods = [pod(j, 0, 'fail', {finished: 3}), pod(j, 1, 'fail', {finished: 4}), pod(j, 2, 'running')]
    const s = jobStep({job: j, pods, now: T0 + 30 * S})
    expect(s.status).toMatchObject({condition: 'Failed', reason: 'BackoffLimitExceeded', failed: 2, active: 1, completionTime: T0 + 4 * S})
    expect(s.create).toEqual([])
    expect(s.remove.map((r) => r.pod.name)).toEqual([pods[2]!.name])
    expect(s.keep.map((k) => k.pod.name)).toEqual([pods[0]!.name, pods[1]!.name])
    expect(jobStep({job: j, pods: pods.slice(0, 1), now: T0 + 30 * S}).status.condition).toBe('Running')
  })

  it('OnFailure: podman restarts count toward backoffLimit; no new pod meanwhile', () => {
    const j = group(['backoffLimit: 2'], 'OnFailure')
    const once = jobStep({job: j, pods: [pod(j, 0, 'running', {restarts: 1})], now: T0 + 5 * S})
    expect(once).toMatchObject({create: [], status: {condition: 'Running', failed: 1, active: 1}})
    // Between two restarts the container shows exited: still active while below podman's limit.
    expect(jobStep({job: j, pods: [pod(j, 0, 'fail', {restarts: 1})], now: T0 + 5 * S}).status).toMatchObject({condition: 'Running', active: 1})
    const s = jobStep({job: j, pods: [pod(j, 0, 'running', {restarts: 2})], now: T0 + 5 * S})
    expect(s.status).toMatchObject({condition: 'Failed', reason: 'BackoffLimitExceeded', failed: 2})
    expect(s.remove).toHaveLength(1)
  })

  it('activeDeadlineSeconds counts from the first pod: past it the Job fails and its pods stop', () => {
    const j = group(['activeDeadlineSeconds: 30'])
    expect(jobStep({job: j, pods: [pod(j, 0, 'running', {created: 0})], now: T0 + 29 * S}).status.condition).toBe('Running')
    const s = jobStep({job: j, pods: [pod(j, 0, 'running', {created: 0})], now: T0 + 31 * S})
    expect(s.status).toMatchObject({condition: 'Failed', reason: 'DeadlineExceeded', completionTime: T0 + 30 * S})
    expect(s.remove).toHaveLength(1)
  })

  it('a run the records say finished is never started again, even with no pod left', () => {
    const j = group(['completions: 2'])
    const mark: JobMark = {hash: j.hash, result: 'Complete', succeeded: 2, failed: 0, startTime: '2026-01-01T00:00:00.000Z', completionTime: '2026-01-01T00:00:09.000Z'}
    const s = jobStep({job: j, pods: [], mark, now: T0 + 3600 * S})
    expect(s.create).toEqual([])
    expect(s.status).toMatchObject({condition: 'Complete', succeeded: 2, recorded: true, completionTime: T0 + 9 * S})
    // A new template (or completions) is a new run: it starts, and the old run's pods go.
    const next = group(['completions: 3'])
    const n = jobStep({job: next, pods: [pod(j, 0, 'ok')], mark, now: T0})
    expect(n.create).toHaveLength(1)
    expect(n.remove.map((r) => r.reason)).toEqual([expect.stringMatching(/new run/)])
  })

  it('ttlSecondsAfterFinished removes the pods once the end is recorded and the time passed', () => {
    const j = group(['ttlSecondsAfterFinished: 60'])
    const pods = [pod(j, 0, 'ok', {finished: 10})]
    const unrecorded = jobStep({job: j, pods, now: T0 + 100 * S})
    expect(unrecorded.remove).toEqual([])
    const mark = unrecorded.status.mark!
    expect(jobStep({job: j, pods, mark, now: T0 + 69 * S}).remove).toEqual([])
    expect(jobStep({job: j, pods, mark, now: T0 + 70 * S}).remove.map((r) => r.reason)).toEqual([expect.stringMatching(/ttlSecondsAfterFinished \(60s\)/)])
  })

  it('a work queue (parallelism, no completions) is done when one pod succeeded and none runs', () => {
    const j = group(['parallelism: 3'])
    expect(jobStep({job: j, pods: [], now: T0}).create).toHaveLength(3)
    expect(jobStep({job: j, pods: [pod(j, 0, 'ok'), pod(j, 1, 'running')], now: T0}).status).toMatchObject({condition: 'Running'})
    expect(jobStep({job: j, pods: [pod(j, 0, 'ok'), pod(j, 1, 'ok')], now: T0}).status).toMatchObject({condition: 'Complete', succeeded: 2})
  })
})

describe('Jobs in a plan', () => {
  it('starts pods, leaves finished ones alone (never repaired, not drift) and reports the Job', () => {
    const d = desired(3, jobYaml('pi', {spec: ['completions: 2', 'parallelism: 2']}))
    const fleet = new FakeFleet(3)
    const first = plan(d, {...fleet.observed(), at: T0})
    expect(first.actions.map((a) => a.type)).toEqual(['create', 'create'])
    expect(jobsWaiting(first).map((j) => j.name)).toEqual(['pi'])
    fleet.apply(first.actions)
    for (const list of fleet.pods.values()) for (const p of list) p.containers = p.containers.map((c) => ({...c, state: 'exited', exitCode: 0, finishedAt: T0 + 5 * S}))
    const obs = fleet.observed()
    const done = plan(d, {...obs, at: T0 + 10 * S})
    expect(done.actions).toEqual([])
    expect(done.jobs[0]!.status).toMatchObject({condition: 'Complete', succeeded: 2})
    expect(jobsWaiting(done)).toEqual([])
    expect(unrecordedJobs(done, undefined)).toHaveLength(1)
    // The record keeps the end; with it, a plan from nothing (pods gone) starts nothing.
    const record = nextRecord(undefined, obs, {revision: 'rev1', author: 'a', subject: 's'}, {now: '2026-01-01T00:00:10.000Z', by: 'me', jobs: jobMarks(done)})
    expect(record.jobs?.['default/pi']).toMatchObject({result: 'Complete', succeeded: 2})
    const empty = new FakeFleet(3).observed()
    const n1 = empty.nodes[0]!
    if (n1.reachable) n1.record = record
    const later = plan(d, {...empty, at: T0 + 99 * S})
    expect(later.actions).toEqual([])
    expect(later.jobs[0]!.status).toMatchObject({condition: 'Complete', recorded: true})
  })

  it('a Job pod created on a commit the nodes already run is progress, not drift', () => {
    const d = desired(1, jobYaml('pi', {}))
    const obs = new FakeFleet(1).observed()
    const n1 = obs.nodes[0]!
    if (n1.reachable) n1.record = nextRecord(undefined, obs, {revision: 'rev1', author: 'a', subject: 's'}, {now: '2026-01-01T00:00:00.000Z', by: 'me'})
    const p = plan(d, {...obs, at: T0})
    expect(p.actions.map((a) => [a.type, a.drift ?? false])).toEqual([['create', false]])
  })
})

describe('Job facts and output', () => {
  it('reads exit times and OnFailure restarts from the node', () => {
    const out = ['1795716000', '@@kgit-capacity@@ cpu=2000 memory=1000', '@@kgit-restarts@@ c1 3', '@@kgit-ps@@', JSON.stringify([
      {Id: 'i1', Names: ['default_pi-x_infra'], IsInfra: true, Pod: 'P', State: 'running', Created: 1795715900, Labels: {'kgit.dev/name': 'pi-x', 'kgit.dev/namespace': 'default'}},
      {Id: 'c1', Names: ['default_pi-x_main'], Pod: 'P', State: 'exited', ExitCode: 1, ExitedAt: 1795715990, Labels: {'kgit.dev/container': 'main'}},
    ])].join('\n')
    const st = nodeState('/d', 'label=x').parse(out)
    expect(st.restarts).toEqual(new Map([['c1', 3]]))
    expect(st.capacity).toEqual({cpu: 2000, memory: 1000})
    const [p] = observedPods('n1', st.containers, {files: st.files, at: 1795716000_000, restarts: st.restarts})
    expect(p!.containers[0]).toMatchObject({state: 'exited', exitCode: 1, finishedAt: 1795715990_000, restarts: 3})
  })

  it('get jobs: STATUS, COMPLETIONS and DURATION as kubectl prints them', () => {
    expect(humanDuration(45_000)).toBe('45s')
    expect(humanDuration(123_000)).toBe('2m3s')
    expect(humanDuration(3 * 3600_000 + 5 * 60_000)).toBe('3h5m')
    const rows = jobRows([{namespace: 'default', name: 'pi', status: 'Complete', completions: '5/5', duration: '23s', started: '', active: 0, succeeded: 5, failed: 0}], false)
    expect(rows[0]).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/)
    expect(rows[1]).toMatch(/^pi\s+Complete\s+5\/5\s+23s\s+<none>$/)
  })
})
