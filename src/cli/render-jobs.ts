import type {JobStatus} from '../engine/controllers/job.js'
import {latestRecord} from '../engine/facts/node-record.js'
import {jobsWaiting} from '../engine/plan/jobs.js'
import type {Plan} from '../engine/plan/plan.js'
import type {PlanRun} from '../engine/session.js'
import type {JobObject, Observed} from '../engine/types.js'
import {age} from './render-pods.js'
import {table} from './table.js'

export interface JobView {
  namespace: string
  name: string
  status: JobStatus['condition']
  /** kubectl's COMPLETIONS: `3/5`, or `1/1 of 3` for a work queue. */
  completions: string
  /** kubectl's DURATION: start to completion, or to now while it runs. */
  duration: string
  started: string
  active: number
  succeeded: number
  failed: number
  reason?: string
}

/** kubectl's HumanDuration: `45s`, `2m3s`, `15m`, `3h5m`, `2d`. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 120) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`
  if (m < 180) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`
  return h < 48 ? `${h}h` : `${Math.floor(h / 24)}d`
}

function completionsText(st: JobStatus): string {
  return st.completions === null ? `${st.succeeded}/1 of ${st.parallelism}` : `${st.succeeded}/${st.completions}`
}

/** Jobs of the revision, with where their run stands (the plan's report: pods on the nodes and the records). */
export function jobViews(run: PlanRun, f: {namespace?: string}): JobView[] {
  const now = run.observed.at ?? Date.now()
  return run.plan.jobs.flatMap((j) => {
    if (f.namespace && j.namespace !== f.namespace) return []
    const st = j.status
    const duration = st.startTime === undefined ? '' : humanDuration((st.completionTime ?? now) - st.startTime)
    const v: JobView = {namespace: j.namespace, name: j.name, status: st.condition, completions: completionsText(st), duration, started: st.startTime === undefined ? '' : new Date(st.startTime).toISOString(), active: st.active, succeeded: st.succeeded, failed: st.failed}
    if (st.reason) v.reason = st.reason
    return [v]
  })
}

export function jobRows(views: JobView[], all: boolean): string[] {
  return table([[...(all ? ['NAMESPACE'] : []), 'NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'], ...views.map((j) => [...(all ? [j.namespace] : []), j.name, j.status, j.completions, j.duration || '<none>', j.started ? age(j.started) : '<none>'])])
}

/** kubectl's Job description. */
export function describeJob(run: PlanRun, o: JobObject): string[] {
  const j = run.plan.jobs.find((x) => x.namespace === o.metadata.namespace && x.name === o.metadata.name)
  const v = jobViews(run, {namespace: o.metadata.namespace}).find((x) => x.name === o.metadata.name)
  const st = j?.status
  const time = (t?: number): string => (t === undefined ? '<none>' : new Date(t).toUTCString())
  const kv = (m: Record<string, string>): string => Object.entries(m).map(([k, x]) => `${k}=${x}`).join(',') || '<none>'
  const rows: [string, string][] = [
    ['Name', o.metadata.name],
    ['Namespace', o.metadata.namespace],
    ['Source', `${o.source.file}:${o.source.line}`],
    ['Selector', j ? `batch.kubernetes.io/controller-uid=${j.hash}` : '<none>'],
    ['Labels', kv(o.metadata.labels)],
    ['Annotations', kv(o.metadata.annotations)],
    ['Parallelism', String(o.spec.parallelism)],
    ['Completions', o.spec.completions === null ? '<unset>' : String(o.spec.completions)],
    ['Completion Mode', 'NonIndexed'],
    ['Backoff Limit', String(o.spec.backoffLimit)],
    ['Active Deadline Seconds', o.spec.activeDeadlineSeconds === undefined ? '<none>' : `${o.spec.activeDeadlineSeconds}s`],
    ['TTL Seconds After Finished', o.spec.ttlSecondsAfterFinished === undefined ? '<none>' : String(o.spec.ttlSecondsAfterFinished)],
    ['Start Time', time(st?.startTime)],
    ...(st?.condition === 'Complete' ? [['Completed At', time(st.completionTime)] as [string, string]] : []),
    ...(st?.condition === 'Failed' ? [['Failed At', time(st.completionTime)] as [string, string]] : []),
    ['Duration', v?.duration || '<none>'],
    ['Status', st ? st.condition : '<unknown>'],
    ['Pods Statuses', `${st?.active ?? 0} Active / ${st?.succeeded ?? 0} Succeeded / ${st?.failed ?? 0} Failed`],
    ['Pod Template', o.spec.template.spec.containers.map((c) => `${c.name}: ${c.image}`).join(', ') + ` (restartPolicy ${o.spec.template.spec.restartPolicy})`],
  ]
  if (st?.retryAt !== undefined) rows.push(['Back-off', `next pod not before ${time(st.retryAt)}`])
  const w = Math.max(...rows.map(([k]) => k.length)) + 2
  const out = rows.map(([k, x]) => `${(k + ':').padEnd(w)}${x}`)
  if (st && st.condition !== 'Running') {
    out.push('Conditions:', '  Type      Status  Reason', `  ${st.condition.padEnd(8)}  True    ${st.reason ?? (st.condition === 'Complete' ? 'CompletionsReached' : '')}`)
    if (st.message) out.push(`Message:  ${st.message}`)
  }
  return out
}

/** The Jobs an apply still waits for, for its "waiting:" line. */
export function jobWaitLine(p: Plan): string[] {
  return jobsWaiting(p).map((j) => {
    const st = j.status
    const backoff = st.retryAt !== undefined ? `, back-off until ${new Date(st.retryAt).toISOString().slice(11, 19)}` : ''
    return `job ${j.namespace}/${j.name}: ${completionsText(st)} complete, ${st.active} active, ${st.failed} failed${backoff}`
  })
}

/**
 * What an apply says about Jobs at its end: those that finished in it, and those still
 * running (later applies go on with them). A Job that failed in this apply is an error.
 */
export function jobLines(before: Observed, final: Plan): {notes: string[]; errors: string[]} {
  const rec = latestRecord(before.nodes.map((n) => (n.reachable ? n.record : undefined)))
  const notes: string[] = []
  const errors: string[] = []
  for (const j of final.jobs) {
    const st = j.status
    const known = rec?.jobs?.[`${j.namespace}/${j.name}`]?.hash === j.hash
    const took = st.startTime !== undefined && st.completionTime !== undefined ? ` in ${humanDuration(st.completionTime - st.startTime)}` : ''
    if (st.condition === 'Complete' && !known) notes.push(`job ${j.namespace}/${j.name} complete: ${completionsText(st)} succeeded${took}`)
    else if (st.condition === 'Failed' && !known) errors.push(`job ${j.namespace}/${j.name} failed: ${st.reason} (${st.message}): ${completionsText(st)} succeeded, ${st.failed} failed; see: kgit describe job ${j.name} -n ${j.namespace}`)
    else if (st.condition === 'Running' && (st.active > 0 || st.retryAt !== undefined)) notes.push(`job ${j.namespace}/${j.name} is still running (${completionsText(st)} complete, ${st.active} active): later applies go on with it (--job-wait)`)
  }
  return {notes, errors}
}
