import {describe, expect, it} from 'vitest'
import {cronJobRows} from '../../src/cli/render-cron-jobs.js'
import {cronStep, type CronChildState, type CronInput} from '../../src/engine/controllers/cron-job.js'
import {cronChildName, mostRecentSchedule, nextSchedule, scheduleError, timeZoneError} from '../../src/engine/controllers/cron-schedule.js'
import {loadDesired} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import {cronMarks, jobMarks, unrecordedCronJobs} from '../../src/engine/plan/jobs.js'
import {plan} from '../../src/engine/plan/plan.js'
import {nextRecord} from '../../src/engine/plan/records.js'
import type {CronJobObject, CronMark, NodeRecord, Observed} from '../../src/engine/types.js'
import {cluster, desired, FakeFleet} from './plan-helpers.js'

function cronYaml(name: string, spec: string[] = []): string {
  return ['apiVersion: batch/v1', 'kind: CronJob', `metadata: {name: ${name}}`, 'spec:', ...spec.map((l) => `  ${l}`), ...(spec.some((l) => l.startsWith('schedule:')) ? [] : ['  schedule: "* * * * *"']), '  jobTemplate:', '    spec:', '      template:', '        spec:', '          restartPolicy: Never', '          containers: [{name: main, image: "busybox:1.35"}]', ''].join('\n')
}

function errorsOf(doc: string): string[] {
  const enc = new TextEncoder()
  const r = loadDesired({revision: 'r', clusterFile: {path: 'kgit.yaml', content: enc.encode(cluster(1))}, files: [{path: 'manifests/cron.yaml', content: enc.encode(doc)}], schema})
  return r.errors.map((e) => e.message)
}

function cron(spec: string[] = []): CronJobObject {
  return desired(1, cronYaml('tick', spec)).objects.find((o): o is CronJobObject => o.kind === 'CronJob')!
}

const T = (s: string): number => Date.parse(s)
const M = 60_000

function step(c: CronJobObject, o: Partial<CronInput> & {now: number}): ReturnType<typeof cronStep> {
  return cronStep({cron: c, children: [], hash: 'h1', ...o})
}

function child(name: string, scheduled: string, condition: CronChildState['condition'] = 'Running'): CronChildState {
  return {child: {name, scheduled, hash: 'h1'}, condition}
}

describe('CronJob schedules', () => {
  it('finds the most recent schedule in (earliest, now], only that one however many were missed', () => {
    expect(mostRecentSchedule('* * * * *', undefined, T('2026-01-01T10:00:00Z'), T('2026-01-01T10:00:59Z'))).toBeUndefined()
    expect(mostRecentSchedule('* * * * *', undefined, T('2026-01-01T10:00:00Z'), T('2026-01-01T10:01:00Z'))).toBe(T('2026-01-01T10:01:00Z'))
    expect(mostRecentSchedule('*/15 * * * *', undefined, T('2026-01-01T00:00:30Z'), T('2026-01-03T10:07:00Z'))).toBe(T('2026-01-03T10:00:00Z'))
    expect(mostRecentSchedule('@hourly', undefined, T('2026-01-01T10:00:00Z'), T('2026-01-01T10:59:00Z'))).toBeUndefined()
  })

  it('reads the schedule in its timeZone (UTC without one), outside DST changes', () => {
    // 09:00 in Paris is 08:00 UTC in winter, 07:00 UTC in summer; in Tokyo 00:00 UTC.
    expect(nextSchedule('0 9 * * *', 'Europe/Paris', T('2026-01-10T12:00:00Z'))).toBe(T('2026-01-11T08:00:00Z'))
    expect(nextSchedule('0 9 * * *', 'Europe/Paris', T('2026-07-10T12:00:00Z'))).toBe(T('2026-07-11T07:00:00Z'))
    expect(nextSchedule('0 9 * * *', 'Asia/Tokyo', T('2026-01-10T12:00:00Z'))).toBe(T('2026-01-11T00:00:00Z'))
    expect(nextSchedule('0 9 * * *', undefined, T('2026-01-10T12:00:00Z'))).toBe(T('2026-01-11T09:00:00Z'))
    expect(mostRecentSchedule('30 18 * * 1-5', 'America/New_York', T('2026-01-01T00:00:00Z'), T('2026-01-09T23:31:00Z'))).toBe(T('2026-01-09T23:30:00Z'))
  })

  it('names a child NAME-MINUTES as Kubernetes does', () => {
    expect(cronChildName('tick', T('2026-01-01T10:01:00Z'))).toBe(`tick-${T('2026-01-01T10:01:00Z') / M}`)
  })

  it('accepts what Kubernetes accepts, and refuses TZ prefixes, six fields, L/W/#, @every', () => {
    for (const s of ['* * * * *', '*/5 1-3 ? JAN-MAR mon,fri', '@hourly', '@daily', '@midnight', '@weekly', '@monthly', '@yearly', '@annually']) expect(scheduleError(s), s).toBeUndefined()
    expect(scheduleError('TZ=UTC 0 * * * *')).toBe('cannot use TZ or CRON_TZ in schedule, use timeZone field instead')
    expect(scheduleError('CRON_TZ=Europe/Paris 0 * * * *')).toMatch(/use timeZone field instead/)
    expect(scheduleError('0 * * * * *')).toBe('expected exactly 5 fields, found 6: [0 * * * * *]')
    expect(scheduleError('* * * *')).toMatch(/expected exactly 5 fields, found 4/)
    expect(scheduleError('0 0 L * *')).toMatch(/unsupported value in field "L"/)
    expect(scheduleError('0 0 * * 1#2')).toMatch(/unsupported value/)
    expect(scheduleError('@every 1h')).toMatch(/@every/)
    expect(scheduleError('61 * * * *')).toMatch(/61/)
    expect(timeZoneError('Europe/Paris')).toBeUndefined()
    expect(timeZoneError('Local')).toMatch(/explicit time zone/)
    expect(timeZoneError('Mars/Olympus')).toBe('unknown time zone Mars/Olympus')
  })

  it('validates a CronJob with file, line and field, and defaults as Kubernetes does', () => {
    expect(errorsOf(cronYaml('a', ['schedule: "0 * * * * *"']))).toEqual(['manifests/cron.yaml:5 spec.schedule: Invalid value: "0 * * * * *": expected exactly 5 fields, found 6: [0 * * * * *]'])
    expect(errorsOf(cronYaml('a', ['timeZone: Nowhere/City']))).toEqual(['manifests/cron.yaml:5 spec.timeZone: Invalid value: "Nowhere/City": unknown time zone Nowhere/City'])
    expect(errorsOf(cronYaml('a', ['concurrencyPolicy: Sometimes']))[0]).toMatch(/spec.concurrencyPolicy: must be one of Allow, Forbid, Replace/)
    expect(errorsOf(cronYaml('a'.repeat(53)))).toEqual([expect.stringMatching(/metadata.name: invalid name "a+": must be no more than 52 characters$/)])
    expect(errorsOf(cronYaml('a').replace('restartPolicy: Never', 'restartPolicy: Always'))[0]).toMatch(/^manifests\/cron.yaml:\d+ spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always"/)
    expect(cron().spec).toMatchObject({concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1})
    expect(cron().spec.jobTemplate.spec).toMatchObject({completions: 1, parallelism: 1, backoffLimit: 6})
  })
})

describe('cronStep', () => {
  const since = '2026-01-01T10:00:30.000Z'
  const mark = (o: Partial<CronMark> = {}): CronMark => ({since, children: [], ...o})

  it('first seen: records since when, and runs nothing before the next schedule', () => {
    const s = step(cron(), {now: T(since)})
    expect(s.start).toBeUndefined()
    expect(s.mark).toEqual({since, children: []})
    const next = step(cron(), {mark: s.mark, now: T('2026-01-01T10:01:02Z')})
    expect(next.start).toEqual({name: `tick-${T('2026-01-01T10:01:00Z') / M}`, scheduled: '2026-01-01T10:01:00.000Z', hash: 'h1'})
    expect(next.mark.lastScheduleTime).toBe('2026-01-01T10:01:00.000Z')
    expect(next.mark.children).toEqual([next.start])
  })

  it('missed schedules: only the most recent runs, once, never a burst', () => {
    const s = step(cron(), {mark: mark(), now: T('2026-01-01T12:00:10Z')})
    expect(s.start?.scheduled).toBe('2026-01-01T12:00:00.000Z')
    const again = step(cron(), {mark: s.mark, children: [child(s.start!.name, s.start!.scheduled, 'Complete')], now: T('2026-01-01T12:00:40Z')})
    expect(again.start).toBeUndefined()
  })

  it('startingDeadlineSeconds: a schedule older than the deadline does not run, and lastScheduleTime stays', () => {
    const c = cron(['startingDeadlineSeconds: 30'])
    const late = step(c, {mark: mark({lastScheduleTime: '2026-01-01T10:01:00.000Z'}), now: T('2026-01-01T10:02:45Z')})
    expect(late.start).toBeUndefined()
    expect(late.mark.lastScheduleTime).toBe('2026-01-01T10:01:00.000Z')
    expect(step(c, {mark: mark({lastScheduleTime: '2026-01-01T10:01:00.000Z'}), now: T('2026-01-01T10:02:25Z')}).start?.scheduled).toBe('2026-01-01T10:02:00.000Z')
  })

  it('Forbid skips while a child runs, keeping lastScheduleTime: the latest time runs once the child ended (within the deadline)', () => {
    const c = cron(['concurrencyPolicy: Forbid'])
    const m = mark({lastScheduleTime: '2026-01-01T10:01:00.000Z', children: [{name: 'tick-1', scheduled: '2026-01-01T10:01:00.000Z', hash: 'h1'}]})
    const busy = step(c, {mark: m, children: [child('tick-1', '2026-01-01T10:01:00.000Z')], now: T('2026-01-01T10:02:02Z')})
    expect(busy.start).toBeUndefined()
    expect(busy.skipped?.reason).toMatch(/Forbid: tick-1 still running/)
    expect(busy.mark.lastScheduleTime).toBe('2026-01-01T10:01:00.000Z')
    expect(busy.active.map((x) => x.name)).toEqual(['tick-1'])
    // The child ended at 10:02:40: at 10:02:50 the skipped 10:02 still runs (no deadline) ...
    expect(step(c, {mark: m, children: [child('tick-1', '2026-01-01T10:01:00.000Z', 'Complete')], now: T('2026-01-01T10:02:50Z')}).start?.scheduled).toBe('2026-01-01T10:02:00.000Z')
    // ... not with a deadline of 30 s.
    const d = cron(['concurrencyPolicy: Forbid', 'startingDeadlineSeconds: 30'])
    expect(step(d, {mark: m, children: [child('tick-1', '2026-01-01T10:01:00.000Z', 'Complete')], now: T('2026-01-01T10:02:50Z')}).start).toBeUndefined()
  })

  it('Replace removes the running child and starts the new one; Allow runs alongside', () => {
    const m = mark({lastScheduleTime: '2026-01-01T10:01:00.000Z'})
    const running = [child('tick-1', '2026-01-01T10:01:00.000Z')]
    const r = step(cron(['concurrencyPolicy: Replace']), {mark: m, children: running, now: T('2026-01-01T10:02:02Z')})
    expect(r.remove.map((x) => x.child.name)).toEqual(['tick-1'])
    expect(r.start?.scheduled).toBe('2026-01-01T10:02:00.000Z')
    expect(r.mark.children.map((x) => x.name)).toEqual([r.start!.name])
    const a = step(cron(), {mark: m, children: running, now: T('2026-01-01T10:02:02Z')})
    expect(a.remove).toEqual([])
    expect(a.active.map((x) => x.name)).toEqual(['tick-1', a.start!.name])
  })

  it('suspend: no new child, lastScheduleTime kept', () => {
    const s = step(cron(['suspend: true']), {mark: mark({lastScheduleTime: '2026-01-01T10:01:00.000Z'}), now: T('2026-01-01T10:05:02Z')})
    expect(s.start).toBeUndefined()
    expect(s.skipped?.reason).toBe('suspended')
    expect(s.mark.lastScheduleTime).toBe('2026-01-01T10:01:00.000Z')
  })

  it('history limits: finished children beyond them go, oldest first; lastSuccessfulTime follows the newest success', () => {
    const c = cron(['successfulJobsHistoryLimit: 2', 'failedJobsHistoryLimit: 1'])
    const children = [child('tick-1', '2026-01-01T10:01:00.000Z', 'Complete'), child('tick-2', '2026-01-01T10:02:00.000Z', 'Failed'), child('tick-3', '2026-01-01T10:03:00.000Z', 'Complete'), child('tick-4', '2026-01-01T10:04:00.000Z', 'Failed'), child('tick-5', '2026-01-01T10:05:00.000Z', 'Complete'), child('tick-6', '2026-01-01T10:06:00.000Z')]
    children[4]!.completionTime = T('2026-01-01T10:05:03Z')
    const s = step(c, {mark: mark({lastScheduleTime: '2026-01-01T10:06:00.000Z'}), children, now: T('2026-01-01T10:06:30Z')})
    expect(s.remove.map((x) => x.child.name)).toEqual(['tick-1', 'tick-2'])
    expect(s.mark.children.map((x) => x.name)).toEqual(['tick-3', 'tick-4', 'tick-5', 'tick-6'])
    expect(s.mark.lastSuccessfulTime).toBe('2026-01-01T10:05:03.000Z')
  })
})

describe('CronJobs in the plan', () => {
  const at = (s: string): Observed & {at: number} => ({...fleet.observed(), at: T(s)})
  let fleet = new FakeFleet(2)
  const rec = (d: ReturnType<typeof desired>, o: Observed, prev?: NodeRecord): NodeRecord => {
    const p = plan(d, o)
    return nextRecord(prev, o, {revision: d.revision, author: 'a', subject: 's'}, {now: new Date(o.at!).toISOString(), by: 'me', jobs: jobMarks(p), cronJobs: cronMarks(p)})
  }
  const withRecord = (o: Observed & {at: number}, r: NodeRecord | undefined): Observed & {at: number} => ({...o, nodes: o.nodes.map((n) => (n.reachable && r ? {...n, record: r} : n))})

  it('a due schedule makes one child Job, recorded before its pods; a fresh clone reading the records does not run it again', () => {
    fleet = new FakeFleet(2)
    const d = desired(2, cronYaml('tick'))
    const r0 = rec(d, at('2026-01-01T10:00:30Z'))
    expect(plan(d, withRecord(at('2026-01-01T10:00:30Z'), r0)).actions).toEqual([])
    const o1 = withRecord(at('2026-01-01T10:01:02Z'), r0)
    const p1 = plan(d, o1)
    const name = `tick-${T('2026-01-01T10:01:00Z') / M}`
    expect(p1.actions.map((a) => (a.type === 'create' ? a.pod.owner?.name : a.type))).toEqual([name])
    expect(p1.jobs.map((j) => [j.name, j.cronJob])).toEqual([[name, 'tick']])
    const create = p1.actions[0]!
    expect(create.type === 'create' && create.pod.labels).toMatchObject({'kgit.dev/cronjob': 'tick', 'job-name': name})
    // Written before the pods are made:
    expect(unrecordedCronJobs(p1, r0)).toEqual(['default/tick'])
    const r1 = rec(d, o1, r0)
    expect(r1.cronJobs?.['default/tick']?.lastScheduleTime).toBe('2026-01-01T10:01:00.000Z')
    expect(unrecordedCronJobs(p1, r1)).toEqual([])
    // A crash before the pods: the next run (any clone) starts the recorded child's pods, no second child.
    const p2 = plan(d, withRecord(at('2026-01-01T10:01:20Z'), r1))
    expect(p2.actions.map((a) => (a.type === 'create' ? a.pod.owner?.name : a.type))).toEqual([name])
    expect(p2.cronJobs[0]!.step.start).toBeUndefined()
    fleet.apply(p2.actions)
    // With the pods there, nothing more in the same minute.
    expect(plan(d, withRecord(at('2026-01-01T10:01:40Z'), r1)).actions).toEqual([])
  })

  it('the child pods found on the nodes count even when the records lost the child, and a CronJob removed from git takes its children', () => {
    fleet = new FakeFleet(2)
    const d = desired(2, cronYaml('tick'))
    const r0 = rec(d, at('2026-01-01T10:00:30Z'))
    const p1 = plan(d, withRecord(at('2026-01-01T10:01:02Z'), r0))
    fleet.apply(p1.actions)
    // Records without the child (write failed): the pod's label names it; the schedule is not run twice.
    const p2 = plan(d, withRecord(at('2026-01-01T10:01:30Z'), r0))
    expect(p2.actions).toEqual([])
    expect(p2.cronJobs[0]!.step.mark.children.map((c) => c.name)).toEqual([`tick-${T('2026-01-01T10:01:00Z') / M}`])
    const gone = plan(desired(2), withRecord(at('2026-01-01T10:01:40Z'), r0))
    expect(gone.actions.map((a) => a.type)).toEqual(['delete'])
  })

  it('get cronjobs rows as kubectl prints them', () => {
    expect(cronJobRows([{namespace: 'default', name: 'tick', schedule: '* * * * *', suspend: false, active: ['tick-1'], lastScheduleTime: '2026-01-01T10:01:00Z', since: '2026-01-01T10:00:00Z', children: []}], false, T('2026-01-01T10:01:30Z'))).toEqual([
      'NAME   SCHEDULE    TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE',
      'tick   * * * * *   <none>     False     1        30s             90s',
    ])
  })
})
