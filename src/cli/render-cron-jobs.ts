import {nextSchedule} from '../engine/controllers/cron-schedule.js'
import type {PlanRun} from '../engine/session.js'
import {childJob} from '../engine/plan/cron-jobs.js'
import type {CronJobObject, JobObject} from '../engine/types.js'
import {age} from './render-pods.js'
import {table} from './table.js'

export interface CronJobView {
  namespace: string
  name: string
  schedule: string
  timeZone?: string
  suspend: boolean
  /** Children still running. */
  active: string[]
  lastScheduleTime?: string
  lastSuccessfulTime?: string
  /** When kgit first applied it (Kubernetes' creationTimestamp). */
  since: string
  children: {name: string; scheduled: string; status: string}[]
}

/** CronJobs of the revision with what the records and the nodes say of them. */
export function cronJobViews(run: PlanRun, f: {namespace?: string}): CronJobView[] {
  return run.desired.objects.flatMap((o) => {
    if (o.kind !== 'CronJob' || (f.namespace && o.metadata.namespace !== f.namespace)) return []
    const r = run.plan.cronJobs.find((c) => c.namespace === o.metadata.namespace && c.name === o.metadata.name)
    const mark = r?.step.mark
    const status = new Map(run.plan.jobs.filter((j) => j.namespace === o.metadata.namespace).map((j) => [j.name, j.status.condition]))
    const v: CronJobView = {namespace: o.metadata.namespace, name: o.metadata.name, schedule: o.spec.schedule, suspend: o.spec.suspend, active: (r?.step.active ?? []).map((c) => c.name), since: mark?.since ?? '', children: (mark?.children ?? []).map((c) => ({name: c.name, scheduled: c.scheduled, status: status.get(c.name) ?? 'Unknown'}))}
    if (o.spec.timeZone) v.timeZone = o.spec.timeZone
    if (mark?.lastScheduleTime) v.lastScheduleTime = mark.lastScheduleTime
    if (mark?.lastSuccessfulTime) v.lastSuccessfulTime = mark.lastSuccessfulTime
    return [v]
  })
}

/** kubectl's columns: NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE. */
export function cronJobRows(views: CronJobView[], all: boolean, now = Date.now()): string[] {
  return table([[...(all ? ['NAMESPACE'] : []), 'NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'], ...views.map((c) => [...(all ? [c.namespace] : []), c.name, c.schedule, c.timeZone ?? '<none>', c.suspend ? 'True' : 'False', String(c.active.length), c.lastScheduleTime ? age(c.lastScheduleTime, now) : '<none>', c.since ? age(c.since, now) : '<none>'])])
}

/** kubectl's CronJob description, with the children the records keep. */
export function describeCronJob(run: PlanRun, o: CronJobObject): string[] {
  const v = cronJobViews(run, {namespace: o.metadata.namespace}).find((x) => x.name === o.metadata.name)
  const r = run.plan.cronJobs.find((c) => c.namespace === o.metadata.namespace && c.name === o.metadata.name)
  const now = run.observed.at ?? Date.now()
  const kv = (m: Record<string, string>): string => Object.entries(m).map(([k, x]) => `${k}=${x}`).join(',') || '<none>'
  const s = o.spec
  const tpl = s.jobTemplate.spec
  const rows: [string, string][] = [
    ['Name', o.metadata.name],
    ['Namespace', o.metadata.namespace],
    ['Source', `${o.source.file}:${o.source.line}`],
    ['Labels', kv(o.metadata.labels)],
    ['Annotations', kv(o.metadata.annotations)],
    ['Schedule', s.schedule],
    ['Time Zone', s.timeZone ?? '<none> (UTC)'],
    ['Concurrency Policy', s.concurrencyPolicy],
    ['Suspend', s.suspend ? 'True' : 'False'],
    ['Successful Job History Limit', String(s.successfulJobsHistoryLimit)],
    ['Failed Job History Limit', String(s.failedJobsHistoryLimit)],
    ['Starting Deadline Seconds', s.startingDeadlineSeconds === undefined ? '<unset>' : `${s.startingDeadlineSeconds}s`],
    ['Pod Template', tpl.template.spec.containers.map((c) => `${c.name}: ${c.image}`).join(', ') + ` (restartPolicy ${tpl.template.spec.restartPolicy})`],
    ['Last Schedule Time', v?.lastScheduleTime ?? '<unset>'],
    ['Last Successful Time', v?.lastSuccessfulTime ?? '<unset>'],
    ['Next Schedule Time', s.suspend ? '<suspended>' : new Date(nextSchedule(s.schedule, s.timeZone, now)).toISOString()],
    ['Active Jobs', v && v.active.length > 0 ? v.active.join(', ') : '<none>'],
  ]
  const w = Math.max(...rows.map(([k]) => k.length)) + 2
  const out = rows.map(([k, x]) => `${(k + ':').padEnd(w)}${x}`)
  if (r?.step.skipped) out.push(`Skipped:`.padEnd(w) + `${new Date(r.step.skipped.scheduled).toISOString()}: ${r.step.skipped.reason}`)
  out.push('Jobs:')
  if (!v || v.children.length === 0) out.push('  <none>')
  else for (const l of table([['NAME', 'SCHEDULED', 'STATUS'], ...v.children.map((c) => [c.name, c.scheduled, c.status])])) out.push(`  ${l}`)
  return out
}

/** A CronJob's child Job as the records know it (for `kgit describe job CHILD`). */
export function cronChildJob(run: PlanRun, namespace: string, name: string): JobObject | undefined {
  for (const r of run.plan.cronJobs) {
    const child = r.namespace === namespace ? r.step.mark.children.find((c) => c.name === name) : undefined
    const c = run.desired.objects.find((o): o is CronJobObject => o.kind === 'CronJob' && o.metadata.namespace === namespace && o.metadata.name === r.name)
    if (child && c) return childJob(c, child)
  }
  return undefined
}
