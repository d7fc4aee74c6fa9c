import {beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {labTransport} from '../../src/engine/exec/lab/index.js'
import {commit, kgit, kgitContainers, lab, labCluster, type RawContainer} from './helpers.js'

const repo = inject('labRepo')
let state: LabState

function cronJob(name: string, o: {script: string; policy?: string}): string {
  return [
    'apiVersion: batch/v1',
    'kind: CronJob',
    `metadata: {name: ${name}}`,
    'spec:',
    '  schedule: "* * * * *"',
    `  concurrencyPolicy: ${o.policy ?? 'Allow'}`,
    '  jobTemplate:',
    '    spec:',
    '      template:',
    '        spec:',
    '          restartPolicy: Never',
    '          terminationGracePeriodSeconds: 1',
    `          containers: [{name: main, image: "localhost/busybox:1.35", command: [sh, -c, ${JSON.stringify(o.script)}]}]`,
    '',
  ].join('\n')
}

type RawCtr = RawContainer

/** The containers of a CronJob's children on every node, as podman reports them. */
async function childContainers(cron: string): Promise<RawCtr[]> {
  return (await kgitContainers(state)).filter((c) => new RegExp(`^default_${cron}-\\d+-`).test(c.Names[0]!))
}

/** The child Job a container belongs to (`NAME-MINUTES`). */
function childOf(c: RawCtr): string {
  return /^default_([a-z]+-\d+)-/.exec(c.Names[0]!)![1]!
}

/** The most containers running at one time (podman's seconds; a running one has not exited). */
function mostAtOnce(cs: RawCtr[]): number {
  const end = (c: RawCtr): number => (c.State === 'running' ? Infinity : c.ExitedAt)
  return Math.max(0, ...cs.map((c) => cs.filter((x) => x.StartedAt <= c.StartedAt && c.StartedAt < end(x)).length))
}

/** Sleeps until `seconds` past the next minute boundary; returns that boundary (ms). */
async function nextMinute(seconds: number): Promise<number> {
  const boundary = Math.floor(Date.now() / 60_000) * 60_000 + 60_000
  await new Promise((ok) => setTimeout(ok, boundary + seconds * 1000 - Date.now()))
  return boundary
}

labCluster(repo)

beforeAll(async () => {
  state = await lab(inject('labName'))
  // A fresh lab's first apply writes every node's pod network: done here, so that the
  // reconciles below have only the CronJobs to do (this file may be the lab's first).
  expect((await kgit(repo, 'apply')).exitCode).toBe(0)
})

describe('CronJobs under a cron-driven reconcile on a real lab', () => {
  it('one Job per minute; Forbid with a long job never runs two and skips the busy minute; removed from git, its children go', async () => {
    // A commit applied in the last seconds of a minute could be seen after it: start in a calm part of the minute.
    if (Date.now() % 60_000 > 45_000) await nextMinute(1)
    await commit(repo, {'manifests/tick.yaml': cronJob('tick', {script: 'sleep 1'}), 'manifests/slow.yaml': cronJob('slow', {script: 'sleep 90', policy: 'Forbid'})}, 'cron jobs')
    const first = await kgit(repo, 'reconcile', '--once')
    expect(first.exitCode, first.stderr).toBe(0)
    // Nothing was due: the CronJobs are recorded (since when kgit knows them), quietly.
    expect(first.stdout).toBe('')
    expect((await kgit(repo, 'get', 'cronjobs')).stdout).toMatch(/^tick\s+\* \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s$/m)

    const boundaries: number[] = []
    const outputs: string[] = []
    let most = 0
    for (let i = 0; i < 3; i++) {
      boundaries.push(await nextMinute(2))
      const r = await kgit(repo, 'reconcile', '--once')
      expect(r.exitCode, r.stderr).toBe(0)
      outputs.push(r.stdout)
      most = Math.max(most, (await childContainers('slow')).filter((c) => c.State === 'running').length)
    }
    const minute = (b: number): number => Math.floor(b / 60_000)
    // Each reconcile: one line, tick's child of that minute.
    for (const [i, out] of outputs.entries()) {
      expect(out.split('\n').filter(Boolean)).toHaveLength(1)
      expect(out).toContain(`cronjob default/tick started job tick-${minute(boundaries[i]!)}`)
    }
    // slow: started at the first minute, busy (Forbid) at the second, started again at the third.
    expect(outputs[0]).toContain(`cronjob default/slow started job slow-${minute(boundaries[0]!)}`)
    expect(outputs[1]).not.toContain('default/slow')
    expect(outputs[2]).toContain(`cronjob default/slow started job slow-${minute(boundaries[2]!)}`)

    // A reconcile with nothing to do says nothing.
    const quiet = await kgit(repo, 'reconcile', '--once')
    expect(quiet.exitCode, quiet.stderr).toBe(0)
    expect(quiet.stdout).toBe('')

    await new Promise((ok) => setTimeout(ok, 3000))
    const ticks = await childContainers('tick')
    expect([...new Set(ticks.map(childOf))].sort()).toEqual(boundaries.map((b) => `tick-${minute(b)}`))
    expect(ticks.map((c) => `${c.State}:${c.ExitCode}`)).toEqual(Array(3).fill('exited:0'))
    const slows = await childContainers('slow')
    expect([...new Set(slows.map(childOf))].sort()).toEqual([`slow-${minute(boundaries[0]!)}`, `slow-${minute(boundaries[2]!)}`])
    expect(most).toBe(1)
    expect(mostAtOnce(slows)).toBe(1)

    const jobs = (await kgit(repo, 'get', 'jobs')).stdout
    for (const b of boundaries) expect(jobs).toMatch(new RegExp(`^tick-${minute(b)}\\s+Complete\\s+1/1\\s`, 'm'))
    expect(jobs).toMatch(new RegExp(`^slow-${minute(boundaries[0]!)}\\s+Complete\\s+1/1\\s`, 'm'))
    expect(jobs).toMatch(new RegExp(`^slow-${minute(boundaries[2]!)}\\s+Running\\s+0/1\\s`, 'm'))
    expect((await kgit(repo, 'get', 'cj')).stdout).toMatch(/^slow\s+\* \* \* \* \*\s+<none>\s+False\s+1\s+\d+s\s+\d+m$/m)
    const described = (await kgit(repo, 'describe', 'cronjob', 'slow')).stdout
    expect(described).toMatch(/^Concurrency Policy:\s+Forbid$/m)
    expect(described).toMatch(new RegExp(`^Active Jobs:\\s+slow-${minute(boundaries[2]!)}$`, 'm'))

    expect((await kgit(repo, 'describe', 'job', `tick-${minute(boundaries[0]!)}`)).stdout).toMatch(/^Pods Statuses:\s+0 Active \/ 1 Succeeded \/ 0 Failed$/m)

    // Removed from git: the children's pods go, the running one too.
    await commit(repo, {'manifests/tick.yaml': null, 'manifests/slow.yaml': null}, 'no cron jobs')
    // ... but not while another run (here: on another machine) holds the cluster lock: exit 3 at once.
    const holder = JSON.stringify({user: 'ci', host: 'elsewhere', pid: 1, command: 'kgit apply', revision: 'f'.repeat(40), since: new Date().toISOString()})
    const n1 = state.nodes[0]!
    const held = await labTransport(state, n1.name).exec([['sh', '-c', 'mkdir -p "$1/lock" && printf %s "$2" > "$1/lock/holder"', 'lock', `${n1.dir}/data`, holder]])
    expect(held.exitCode, held.stderr).toBe(0)
    const locked = await kgit(repo, 'reconcile', '--once')
    expect(locked.exitCode).toBe(3)
    expect(locked.stdout).toBe('')
    expect(locked.stderr.trim()).toMatch(/^kgit reconcile: skipped, the cluster is locked by ci@elsewhere pid 1 \(kgit apply of f{12}, since \S+\) on node\(s\) n1$/)
    expect((await kgit(repo, 'unlock')).exitCode).toBe(0)
    const gone = await kgit(repo, 'reconcile', '--once')
    expect(gone.exitCode, gone.stderr).toBe(0)
    expect(gone.stdout).toMatch(/^reconciled \w+: 0 created, 0 replaced, 5 removed/)
    expect([...(await childContainers('tick')), ...(await childContainers('slow'))]).toEqual([])
    expect((await kgit(repo, 'reconcile', '--once')).stdout).toBe('')
  }, 330_000)
})
