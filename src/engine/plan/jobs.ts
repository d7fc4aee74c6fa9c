import type {CronMark, JobMark, NodeRecord} from '../types.js'
import type {Action, JobReport, Plan} from './plan.js'

/**
 * A Job's own step (a pod started, a finished run's pods removed): progress, never drift
 * to report, and never a pod "started by this run that would be removed again".
 */
export function isJobAction(a: Action): boolean {
  if (a.type === 'remove-stray' || a.type === 'replace' || a.type === 'remove-volume' || a.type === 'sync-network') return false
  const owner = a.type === 'create' ? a.pod.owner : a.old.owner
  return owner?.kind === 'Job' && !a.reason.startsWith('drift')
}

/**
 * Jobs an apply waits for: running, and with a pod running, a pod to start in this plan,
 * or a back-off to sit out. A Job whose pods cannot be scheduled does not make apply wait.
 */
export function jobsWaiting(p: Pick<Plan, 'jobs' | 'actions'>): JobReport[] {
  const starting = new Set(p.actions.flatMap((a) => (a.type === 'create' && a.pod.owner?.kind === 'Job' ? [`${a.pod.namespace}/${a.pod.owner.name}`] : [])))
  return p.jobs.filter((j) => j.status.condition === 'Running' && (j.status.active > 0 || j.status.retryAt !== undefined || starting.has(`${j.namespace}/${j.name}`)))
}

/** The marks of the revision's finished Jobs, sorted by key: what every node's record keeps. */
export function jobMarks(p: Pick<Plan, 'jobs'>): Record<string, JobMark> {
  const out: Record<string, JobMark> = {}
  for (const j of [...p.jobs].sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1))) if (j.status.mark) out[`${j.namespace}/${j.name}`] = j.status.mark
  return out
}

/** Jobs that finished in this plan and whose end the records do not hold yet: they are written before anything is acted on. */
export function unrecordedJobs(p: Pick<Plan, 'jobs'>, record: NodeRecord | undefined): JobReport[] {
  return p.jobs.filter((j) => j.status.mark && !j.status.recorded && record?.jobs?.[`${j.namespace}/${j.name}`]?.hash !== j.hash)
}

/** What the records keep of the revision's CronJobs, sorted by key (ADR 0012). */
export function cronMarks(p: Pick<Plan, 'cronJobs'>): Record<string, CronMark> {
  const out: Record<string, CronMark> = {}
  for (const c of [...p.cronJobs].sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1))) out[`${c.namespace}/${c.name}`] = c.step.mark
  return out
}

/**
 * CronJobs that start a child in this plan whose schedule the records do not hold yet:
 * the schedule is written before the child's pods are made, so no run (on this machine
 * or another) makes it twice; a crash in between leaves a child without pods that the
 * next run starts.
 */
export function unrecordedCronJobs(p: Pick<Plan, 'cronJobs'>, record: NodeRecord | undefined): string[] {
  return p.cronJobs.filter((c) => c.step.start && record?.cronJobs?.[`${c.namespace}/${c.name}`]?.lastScheduleTime !== c.step.start.scheduled).map((c) => `${c.namespace}/${c.name}`)
}
