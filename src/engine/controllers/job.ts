import {PRUNE_ANNOTATION} from '../marks.js'
import type {DesiredPod, JobMark, JobObject, ObservedPod, OwnerRef} from '../types.js'
import {fnv32a, podTemplateHash, safeEncode, specHash} from './hash.js'

/** A Job as the planner sees it: its run (template and completions) and its limits. */
export interface JobGroup {
  namespace: string
  owner: OwnerRef
  /** The run: a changed template or completions is a new run of the Job. */
  hash: string
  /** The pod, without its name (see jobPodName). */
  template: DesiredPod
  completions: number | null
  parallelism: number
  backoffLimit: number
  activeDeadlineSeconds?: number
  ttlSecondsAfterFinished?: number
}

/** Kubernetes' pod-failure back-off: 10 s, doubled per failure, at most 6 minutes. */
export const JOB_BACKOFF_BASE_MS = 10_000
export const JOB_BACKOFF_MAX_MS = 360_000

/** The Job's pod template as a DesiredPod, labelled as Kubernetes labels Job pods (the run's hash stands for controller-uid). */
export function jobGroup(o: JobObject): JobGroup {
  const {namespace, name} = o.metadata
  const s = o.spec
  const hash = podTemplateHash({template: s.template, completions: s.completions})
  const labels = {...s.template.metadata.labels, 'batch.kubernetes.io/controller-uid': hash, 'batch.kubernetes.io/job-name': name, 'controller-uid': hash, 'job-name': name}
  const owner = {kind: 'Job', name}
  const spec = s.template.spec
  const template: DesiredPod = {namespace, name: '', owner, labels, templateHash: hash, spec, specHash: specHash({labels, spec}), source: o.source}
  // podman restarts an OnFailure container in place; it stops at the limit even when kgit is not running.
  if (spec.restartPolicy === 'OnFailure') template.restartLimit = Math.max(1, s.backoffLimit)
  if (o.notes.unsupported.length > 0) template.unsupported = o.notes.unsupported
  if (o.metadata.annotations[PRUNE_ANNOTATION] === 'disabled') template.keep = true
  const g: JobGroup = {namespace, owner, hash, template, completions: s.completions, parallelism: s.parallelism, backoffLimit: s.backoffLimit}
  if (s.activeDeadlineSeconds !== undefined) g.activeDeadlineSeconds = s.activeDeadlineSeconds
  if (s.ttlSecondsAfterFinished !== undefined) g.ttlSecondsAfterFinished = s.ttlSecondsAfterFinished
  return g
}

/** The name of a Job's pod number `index` of a run: `NAME-xxxxx`, the same on every run of kgit. */
export function jobPodName(name: string, hash: string, index: number): string {
  return `${name}-${safeEncode(String(fnv32a(`${name}/${hash}/${index}`))).slice(0, 5)}`
}

export type JobPodPhase = 'Active' | 'Succeeded' | 'Failed'

/**
 * A Job pod's phase from what podman reports: Succeeded when every container exited 0,
 * Failed when all exited and one did not (Never; OnFailure once podman gave up
 * restarting it), Active otherwise (a pod on a node that does not answer is Active).
 */
export function jobPodPhase(p: ObservedPod, restartLimit = 0): JobPodPhase {
  if (p.unknown || p.containers.length === 0 || !p.containers.every((c) => c.state === 'exited')) return 'Active'
  if (p.containers.every((c) => c.exitCode === 0)) return 'Succeeded'
  if (p.spec?.restartPolicy !== 'OnFailure') return 'Failed'
  return p.containers.some((c) => c.exitCode !== 0 && (c.restarts ?? 0) >= restartLimit) ? 'Failed' : 'Active'
}

/** When a finished pod finished: its last container's exit (ms), or undefined. */
function finishedAt(p: ObservedPod): number | undefined {
  const t = p.containers.map((c) => c.finishedAt ?? 0).filter((x) => x > 0)
  return t.length > 0 ? Math.max(...t) : undefined
}

export interface JobStatus {
  completions: number | null
  parallelism: number
  active: number
  succeeded: number
  /** Failed pods, plus container restarts for restartPolicy OnFailure (what backoffLimit counts). */
  failed: number
  /** ms: the first pod's creation. */
  startTime?: number
  completionTime?: number
  condition: 'Running' | 'Complete' | 'Failed'
  reason?: 'BackoffLimitExceeded' | 'DeadlineExceeded'
  message?: string
  /** In back-off after a failure: no pod starts before this (ms). */
  retryAt?: number
  /** Set once the run finished: what the nodes' records keep. */
  mark?: JobMark
  /** The finished run's mark is in the records (its pods may then go: ttlSecondsAfterFinished). */
  recorded?: boolean
}

export interface JobInput {
  job: JobGroup
  /** The Job's pods (every run) on reachable nodes, and those the records place on nodes that do not answer. */
  pods: ObservedPod[]
  /** The Job's mark in the nodes' records, if its run (this hash or another) finished before. */
  mark?: JobMark
  now: number
}

export interface JobStep {
  create: DesiredPod[]
  keep: {pod: ObservedPod; want: DesiredPod}[]
  remove: {pod: ObservedPod; reason: string}[]
  status: JobStatus
}

interface Counts {
  active: ObservedPod[]
  succeeded: ObservedPod[]
  failed: ObservedPod[]
  restarts: number
  startTime?: number
}

/**
 * One step of a Job, as the Kubernetes Job controller computes it from the pods that
 * exist: start pods up to parallelism until `completions` pods succeeded, wait an
 * exponential back-off after failures, and stop the run (removing running pods) past
 * backoffLimit or activeDeadlineSeconds. A run the records say finished never starts again.
 */
export function jobStep(d: JobInput): JobStep {
  const {job} = d
  const out: JobStep = {create: [], keep: [], remove: [], status: {completions: job.completions, parallelism: job.parallelism, active: 0, succeeded: 0, failed: 0, condition: 'Running'}}
  const current: ObservedPod[] = []
  for (const p of d.pods) {
    if (p.templateHash === job.hash) current.push(p)
    else if (!p.unknown) out.remove.push({pod: p, reason: `Job ${job.owner.name} has a new run (its template or completions changed): pods of the earlier run go`})
  }
  const c = count(job, current)
  const mark = d.mark?.hash === job.hash ? d.mark : undefined
  const st = out.status
  Object.assign(st, {active: c.active.length, succeeded: c.succeeded.length, failed: c.failed.length + c.restarts}, c.startTime !== undefined ? {startTime: c.startTime} : {})
  const finished = mark ? fromMark(mark) : finish(job, c, d.now)
  if (finished) {
    Object.assign(st, finished, mark ? {succeeded: mark.succeeded, failed: mark.failed, recorded: true} : {})
    for (const p of current) {
      const why = stopReason(job, finished, p, mark !== undefined, d.now)
      if (why) out.remove.push({pod: p, reason: why})
      else out.keep.push({pod: p, want: {...job.template, name: p.name}})
    }
    return out
  }
  const want = job.completions === null ? (c.succeeded.length > 0 ? 0 : job.parallelism) : Math.min(job.parallelism, job.completions - c.succeeded.length)
  // More running than wanted (parallelism lowered): the newest go, as the Job controller deletes them.
  const extra = new Set([...c.active].filter((p) => !p.unknown).sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.name < b.name ? 1 : -1)).slice(0, Math.max(0, c.active.length - want)))
  for (const p of current) {
    if (extra.has(p)) out.remove.push({pod: p, reason: `Job ${job.owner.name} runs at most ${want} pod(s) now (parallelism ${job.parallelism})`})
    else out.keep.push({pod: p, want: {...job.template, name: p.name}})
  }
  const missing = want - c.active.length
  if (missing <= 0) return out
  const retryAt = backoffUntil(job, c)
  if (retryAt !== undefined && d.now < retryAt) {
    st.retryAt = retryAt
    return out
  }
  const used = new Set(d.pods.map((p) => p.name))
  for (let i = 0; out.create.length < missing; i++) {
    const name = jobPodName(job.owner.name, job.hash, i)
    if (!used.has(name)) out.create.push({...job.template, name})
  }
  return out
}

function count(job: JobGroup, pods: ObservedPod[]): Counts {
  const c: Counts = {active: [], succeeded: [], failed: [], restarts: 0}
  const limit = job.template.restartLimit ?? 0
  for (const p of pods) {
    const phase = jobPodPhase(p, limit)
    ;(phase === 'Active' ? c.active : phase === 'Succeeded' ? c.succeeded : c.failed).push(p)
    if (p.spec?.restartPolicy === 'OnFailure') c.restarts += p.containers.reduce((n, x) => n + (x.restarts ?? 0), 0)
    const created = Date.parse(p.created)
    if (!Number.isNaN(created) && (c.startTime === undefined || created < c.startTime)) c.startTime = created
  }
  return c
}

type Finished = Pick<JobStatus, 'condition' | 'reason' | 'message' | 'completionTime' | 'startTime' | 'mark'>

function fromMark(m: JobMark): Finished {
  return {condition: m.result, ...(m.reason ? {reason: m.reason as JobStatus['reason'], message: reasonMessage(m.reason)} : {}), startTime: Date.parse(m.startTime), completionTime: Date.parse(m.completionTime), mark: m}
}

/** Whether the run ends now: enough pods succeeded, too many failures, or past its deadline. */
function finish(job: JobGroup, c: Counts, now: number): Finished | undefined {
  const done = job.completions === null ? c.succeeded.length > 0 && c.active.length === 0 : c.succeeded.length >= job.completions
  const start = c.startTime ?? now
  const failures = c.failed.length + c.restarts
  const iso = (t: number): string => new Date(Math.floor(t / 1000) * 1000).toISOString()
  const ended = (condition: JobMark['result'], at: number, reason?: JobMark['reason']): Finished => {
    const mark: JobMark = {hash: job.hash, result: condition, ...(reason ? {reason} : {}), succeeded: c.succeeded.length, failed: failures, startTime: iso(start), completionTime: iso(at)}
    return {...fromMark(mark), mark}
  }
  if (done) return ended('Complete', Math.max(start, ...c.succeeded.map((p) => finishedAt(p) ?? 0)))
  const onFailure = job.template.spec.restartPolicy === 'OnFailure'
  const exceeded = onFailure ? c.restarts >= Math.max(1, job.backoffLimit) || c.failed.length > 0 : c.failed.length > job.backoffLimit
  if (exceeded) return ended('Failed', Math.max(start, ...[...c.failed, ...c.active].map((p) => finishedAt(p) ?? 0)), 'BackoffLimitExceeded')
  if (job.activeDeadlineSeconds !== undefined && c.startTime !== undefined && now - c.startTime >= job.activeDeadlineSeconds * 1000) return ended('Failed', c.startTime + job.activeDeadlineSeconds * 1000, 'DeadlineExceeded')
  return undefined
}

export function reasonMessage(reason: string): string {
  return reason === 'BackoffLimitExceeded' ? 'Job has reached the specified backoff limit' : reason === 'DeadlineExceeded' ? 'Job was active longer than specified deadline' : reason
}

/** Why a pod of a finished run goes: it still runs (the run failed), or ttlSecondsAfterFinished passed since the recorded finish. */
function stopReason(job: JobGroup, f: Finished, p: ObservedPod, recorded: boolean, now: number): string | undefined {
  if (jobPodPhase(p, job.template.restartLimit ?? 0) === 'Active' && !p.unknown) return `Job ${job.owner.name} ${f.condition === 'Complete' ? 'is complete' : `failed (${f.reason})`}: its running pods stop`
  const ttl = job.ttlSecondsAfterFinished
  if (ttl !== undefined && recorded && f.completionTime !== undefined && now >= f.completionTime + ttl * 1000) return `Job ${job.owner.name} finished more than ttlSecondsAfterFinished (${ttl}s) ago`
  return undefined
}

/** The end of the back-off after the last failed pod (restartPolicy Never): 10 s x 2^(failures-1), at most 6 min. */
function backoffUntil(job: JobGroup, c: Counts): number | undefined {
  if (c.failed.length === 0 || job.template.spec.restartPolicy === 'OnFailure') return undefined
  const last = Math.max(...c.failed.map((p) => finishedAt(p) ?? 0))
  if (last === 0) return undefined
  return last + Math.min(JOB_BACKOFF_MAX_MS, JOB_BACKOFF_BASE_MS * 2 ** (c.failed.length - 1))
}
