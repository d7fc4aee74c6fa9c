import {cronStep, type CronStep} from '../controllers/cron-job.js'
import {jobGroup, jobStep, type JobGroup, type JobStep} from '../controllers/job.js'
import {CRON_JOB_LABEL} from '../marks.js'
import type {CronChild, CronJobObject, CronMark, JobMark, JobObject, ObservedPod} from '../types.js'

/** The annotation Kubernetes puts on a CronJob's child Job: its scheduled time. */
export const SCHEDULED_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp'

/** Where a CronJob stands, for reports (`kgit get cronjobs`) and for the records. */
export interface CronReport {
  namespace: string
  name: string
  step: CronStep
}

/** The Job a CronJob makes for one schedule: its jobTemplate, named after the time, its pods labelled with the CronJob. */
export function childJob(c: CronJobObject, child: Pick<CronChild, 'name' | 'scheduled'>): JobObject {
  const jt = c.spec.jobTemplate
  const tpl = jt.spec.template
  const template = {...tpl, metadata: {...tpl.metadata, labels: {...tpl.metadata.labels, [CRON_JOB_LABEL]: c.metadata.name}}}
  const metadata = {...jt.metadata, name: child.name, labels: {...jt.metadata.labels, [CRON_JOB_LABEL]: c.metadata.name}, annotations: {...jt.metadata.annotations, [SCHEDULED_ANNOTATION]: child.scheduled}}
  return {...jt, metadata, spec: {...jt.spec, template}}
}

/** The hash of the Job the CronJob's template makes now (the same for every child). */
export function cronTemplateHash(c: CronJobObject): string {
  return jobGroup(childJob(c, {name: c.metadata.name, scheduled: ''})).hash
}

/**
 * A CronJob's children: those the records list, and any whose pods carry its label (a
 * record lost or written by an older kgit). A child known from pods alone has its
 * scheduled time from its name.
 */
export function knownChildren(c: CronJobObject, mark: CronMark | undefined, labelled: ObservedPod[]): CronChild[] {
  const out = new Map((mark?.children ?? []).map((x) => [x.name, x]))
  const prefix = `${c.metadata.name}-`
  for (const p of labelled) {
    const name = p.owner?.name ?? ''
    const minutes = Number(name.slice(prefix.length))
    if (out.has(name) || !name.startsWith(prefix) || !Number.isInteger(minutes)) continue
    out.set(name, {name, scheduled: new Date(minutes * 60_000).toISOString(), hash: p.templateHash ?? ''})
  }
  return [...out.values()]
}

export interface ChildRun {
  child: CronChild
  group: JobGroup
  step: JobStep
  /** Made from an earlier jobTemplate: its pods stay as they are, none is made from the new template. */
  stale: boolean
}

/**
 * Each child's Job step. A child made from an earlier jobTemplate keeps its pods as they
 * run (Kubernetes never changes a Job that exists); one of those without pods or an end
 * cannot be started again and is left out.
 */
export function childRuns(c: CronJobObject, children: CronChild[], at: {hash: string; pods: (child: string) => ObservedPod[]; marks: Record<string, JobMark>; now: number}): ChildRun[] {
  const out: ChildRun[] = []
  for (const child of children) {
    const group = jobGroup(childJob(c, child))
    const stale = child.hash !== group.hash
    const job = stale ? {...group, hash: child.hash, template: {...group.template, templateHash: child.hash}} : group
    const pods = at.pods(child.name)
    const mark = at.marks[`${c.metadata.namespace}/${child.name}`]
    if (stale && !mark && !pods.some((p) => p.templateHash === child.hash)) continue
    const step = jobStep({job, pods, ...(mark ? {mark} : {}), now: at.now})
    if (stale) {
      step.create = []
      step.keep = step.keep.map((k) => ({pod: k.pod, want: k.pod.spec ? {...job.template, name: k.pod.name, spec: k.pod.spec, specHash: k.pod.specHash, labels: k.pod.labels} : k.want}))
    }
    out.push({child, group: job, step, stale})
  }
  return out
}

/** The CronJob's step from its children's runs, and the new child's first Job step. */
export function cronPlan(c: CronJobObject, runs: ChildRun[], at: {mark: CronMark | undefined; hash: string; now: number}): {cron: CronStep; start?: ChildRun} {
  const children = runs.map((r) => ({child: r.child, condition: r.step.status.condition, ...(r.step.status.completionTime !== undefined ? {completionTime: r.step.status.completionTime} : {})}))
  const cron = cronStep({cron: c, ...(at.mark ? {mark: at.mark} : {}), children, hash: at.hash, now: at.now})
  if (!cron.start) return {cron}
  const group = jobGroup(childJob(c, cron.start))
  return {cron, start: {child: cron.start, group, step: jobStep({job: group, pods: [], now: at.now}), stale: false}}
}
