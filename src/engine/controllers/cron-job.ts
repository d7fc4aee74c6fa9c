import type {CronChild, CronJobObject, CronMark} from '../types.js'
import {cronChildName, mostRecentSchedule} from './cron-schedule.js'

/** A child Job as the CronJob controller sees it: where its run stands. */
export interface CronChildState {
  child: CronChild
  condition: 'Running' | 'Complete' | 'Failed'
  /** ms. */
  completionTime?: number
}

export interface CronInput {
  cron: CronJobObject
  /** What the nodes' records keep of it; none: kgit sees it for the first time. */
  mark?: CronMark
  /** Its children (records and pods), each with its run's state. */
  children: CronChildState[]
  /** The hash of the Job the jobTemplate makes now (a new child is made from it). */
  hash: string
  now: number
}

export interface CronStep {
  /** The child to make for the schedule that is due, if any. */
  start?: CronChild
  /** Children that go, pods and record entries: history limits, or concurrencyPolicy Replace. */
  remove: {child: CronChild; reason: string}[]
  /** What the records keep from now on. */
  mark: CronMark
  /** A due schedule that was not run, and why (Forbid, past the starting deadline, suspend). */
  skipped?: {scheduled: number; reason: string}
  /** Children still running after this step (the new one included). */
  active: CronChild[]
}

const iso = (t: number): string => new Date(t).toISOString()

/**
 * One step of a CronJob, as Kubernetes' CronJob controller (v2) takes it at each sync:
 * forget finished children beyond the history limits (oldest first), then, unless
 * suspended, find the most recent schedule time after lastScheduleTime (or since kgit first
 * applied it) and, when startingDeadlineSeconds is set, not older than that; run it once,
 * whatever was missed before it. Forbid skips it while a child runs, keeping
 * lastScheduleTime, so the same time may still run when the child ends if still within the
 * deadline; Replace removes the running children; Allow runs alongside.
 */
export function cronStep(d: CronInput): CronStep {
  const {spec, metadata} = d.cron
  const since = d.mark?.since ?? iso(d.now)
  const mark: CronMark = {since, children: []}
  if (d.mark?.lastScheduleTime) mark.lastScheduleTime = d.mark.lastScheduleTime
  const success = lastSuccess(d)
  if (success) mark.lastSuccessfulTime = success
  const remove = historyRemovals(d)
  const gone = new Set(remove.map((r) => r.child.name))
  let kept = d.children.filter((c) => !gone.has(c.child.name))
  const out: CronStep = {remove, mark, active: []}
  const finish = (): CronStep => {
    mark.children = kept.map((c) => c.child).sort((a, b) => (a.scheduled < b.scheduled ? -1 : a.scheduled > b.scheduled ? 1 : a.name < b.name ? -1 : 1))
    out.active = kept.filter((c) => c.condition === 'Running').map((c) => c.child)
    return out
  }
  const scheduled = dueSchedule(d, mark)
  if (scheduled === undefined) return finish()
  const name = cronChildName(metadata.name, scheduled)
  // Already made for this time (the records or a child's pods say so).
  if (kept.some((c) => c.child.name === name) || mark.lastScheduleTime === iso(scheduled)) return finish()
  if (spec.suspend) {
    out.skipped = {scheduled, reason: 'suspended'}
    return finish()
  }
  if (spec.startingDeadlineSeconds !== undefined && scheduled + spec.startingDeadlineSeconds * 1000 < d.now) {
    out.skipped = {scheduled, reason: `missed its starting deadline (${spec.startingDeadlineSeconds}s)`}
    return finish()
  }
  const running = kept.filter((c) => c.condition === 'Running')
  if (spec.concurrencyPolicy === 'Forbid' && running.length > 0) {
    out.skipped = {scheduled, reason: `concurrencyPolicy Forbid: ${running.map((c) => c.child.name).join(', ')} still running`}
    return finish()
  }
  if (spec.concurrencyPolicy === 'Replace' && running.length > 0) {
    for (const c of running) remove.push({child: c.child, reason: `CronJob ${metadata.name} (concurrencyPolicy Replace): the schedule of ${iso(scheduled)} replaces it`})
    kept = kept.filter((c) => c.condition !== 'Running')
  }
  const child: CronChild = {name, scheduled: iso(scheduled), hash: d.hash}
  out.start = child
  mark.lastScheduleTime = child.scheduled
  kept.push({child, condition: 'Running'})
  return finish()
}

/** The schedule time to act on now, or undefined (Kubernetes' nextScheduleTime). */
function dueSchedule(d: CronInput, mark: CronMark): number | undefined {
  const {spec} = d.cron
  let earliest = Date.parse(mark.lastScheduleTime ?? mark.since)
  if (spec.startingDeadlineSeconds !== undefined) earliest = Math.max(earliest, d.now - spec.startingDeadlineSeconds * 1000)
  return mostRecentSchedule(spec.schedule, spec.timeZone, earliest, d.now)
}

/** The newest completion of a child that succeeded, or the recorded one. */
function lastSuccess(d: CronInput): string | undefined {
  let best = d.mark?.lastSuccessfulTime
  for (const c of d.children) {
    if (c.condition !== 'Complete' || c.completionTime === undefined) continue
    const t = iso(c.completionTime)
    if (best === undefined || t > best) best = t
  }
  return best
}

/** Finished children beyond successfulJobsHistoryLimit / failedJobsHistoryLimit, oldest first. */
function historyRemovals(d: CronInput): CronStep['remove'] {
  const {spec, metadata} = d.cron
  const out: CronStep['remove'] = []
  for (const [condition, limit, field] of [['Complete', spec.successfulJobsHistoryLimit, 'successfulJobsHistoryLimit'], ['Failed', spec.failedJobsHistoryLimit, 'failedJobsHistoryLimit']] as const) {
    const done = d.children.filter((c) => c.condition === condition).sort((a, b) => (a.child.scheduled < b.child.scheduled ? -1 : a.child.scheduled > b.child.scheduled ? 1 : 0))
    for (const c of done.slice(0, Math.max(0, done.length - limit))) out.push({child: c.child, reason: `CronJob ${metadata.name} keeps ${limit} ${condition === 'Complete' ? 'successful' : 'failed'} Job(s) (${field}): the oldest go`})
  }
  return out
}
