import {ClusterLockedError, ErrorList} from '../errors.js'
import {planActions, planSummary, type Action} from '../plan/plan.js'
import {applyRevision, type PlanRun} from '../session.js'
import type {NotificationSpec} from '../types.js'
import {MirrorBusyError, fetchMirror, type Fetched, type RemoteSpec} from './mirror.js'

/** Exit codes of `kgit reconcile --once` (README, docs/gitops.md). */
export const RECONCILE_EXIT = {ok: 0, failed: 1, locked: 3, fetch: 4} as const

export type Outcome = 'noop' | 'applied' | 'failed' | 'locked' | 'fetch-failed' | 'suspended'

/** One object the nodes differ on, for reports and notifications. */
export interface ChangeItem {
  node: string
  action: Action['type']
  what: string
  reason: string
  drift: boolean
}

export interface ReconcileReport {
  outcome: Outcome
  cluster?: string
  /** The commit applied (or found running). */
  revision?: string
  fetched?: Fetched
  /** The remote branch moved since the previous fetch. */
  changed: boolean
  /** Drift found before the run (reverted unless suspended). */
  drift: ChangeItem[]
  summary: {create: number; replace: number; delete: number}
  /** Actions left to do after the run (suspended, failed, unreachable nodes): objects out of sync. */
  outOfSync: number
  unreachable: {node: string; reason: string}[]
  unschedulable: string[]
  errors: Error[]
  cronJobs: string[]
  notifications?: NotificationSpec
  /** kgit.yaml's spec.authentication.tokenFile of the revision run (the watch daemon's bearer tokens). */
  tokenFile?: string
  durationMs: number
  at: string
}

export interface ReconcileOptions {
  dir: string
  revision: string
  clusterFile?: string
  remote?: Omit<RemoteSpec, 'dir'>
  command: string
  onNote?: (line: string) => void
  beforeApply?: (run: PlanRun) => void | Promise<void>
}

export function exitCodeOf(r: Pick<ReconcileReport, 'outcome'>): number {
  if (r.outcome === 'locked') return RECONCILE_EXIT.locked
  if (r.outcome === 'fetch-failed') return RECONCILE_EXIT.fetch
  return r.outcome === 'failed' ? RECONCILE_EXIT.failed : RECONCILE_EXIT.ok
}

export function changeItem(a: Action): ChangeItem {
  const what = a.type === 'sync-network' ? 'network' : a.type === 'remove-stray' ? `container ${a.stray.name}` : a.type === 'remove-volume' ? `volume ${a.mark.namespace}/${a.mark.claim}` : (() => {
    const p = a.type === 'delete' ? a.old : a.pod
    return `pod ${p.namespace}/${p.name}`
  })()
  return {node: a.node, action: a.type, what, reason: a.reason, drift: a.drift === true}
}

/**
 * Fetch (with a remote), then apply the branch's commit with the cluster lock taken at
 * once or not at all. A run with nothing to do takes no lock and writes nothing. Never
 * throws for what a reconcile can meet (errors, a held lock, a failed fetch): the report says.
 */
export async function reconcileOnce(opts: ReconcileOptions): Promise<ReconcileReport> {
  const t0 = Date.now()
  const base: ReconcileReport = {outcome: 'noop', changed: false, drift: [], summary: {create: 0, replace: 0, delete: 0}, outOfSync: 0, unreachable: [], unschedulable: [], errors: [], cronJobs: [], durationMs: 0, at: new Date(t0).toISOString()}
  const done = (r: Partial<ReconcileReport>): ReconcileReport => ({...base, ...r, durationMs: Date.now() - t0})
  let dir = opts.dir
  let revision = opts.revision
  let fetched: Fetched | undefined
  if (opts.remote) {
    try {
      fetched = await fetchMirror({...opts.remote, dir: opts.dir})
    } catch (err) {
      return done({outcome: err instanceof MirrorBusyError ? 'locked' : 'fetch-failed', errors: [err as Error]})
    }
    ;({mirror: dir, commit: revision} = fetched)
  }
  const changed = fetched ? fetched.before !== fetched.commit : false
  let drift: ChangeItem[] = []
  try {
    const {run, result, final} = await applyRevision(
      {dir, revision, clusterFile: opts.clusterFile, lock: {timeoutMs: 0, command: opts.command, onNote: opts.onNote}},
      // Jobs are not waited for: the next reconcile goes on with them.
      {onEvent: () => {}, jobWaitMs: 0, beforeApply: opts.beforeApply},
    )
    const cluster = run.desired.cluster
    drift = [...planActions(run.plan), ...(run.plan.suspended ?? [])].filter((a) => a.drift === true).map(changeItem)
    const failed = result.failed.map((f) => f.error)
    const outOfSync = planActions(final).length + (final.suspended?.length ?? 0)
    const common = {cluster: cluster.name, revision: run.plan.revision, changed, drift, unreachable: final.unreachable.map((u) => ({node: u.node, reason: u.reason})), unschedulable: final.unschedulable.map((u) => `pod ${u.pod.namespace}/${u.pod.name} cannot be scheduled: ${u.reason}`), outOfSync, cronJobs: run.plan.cronJobs.flatMap((c) => (c.step.start ? [`cronjob ${c.namespace}/${c.name} started job ${c.step.start.name}`] : [])), ...(cluster.notifications ? {notifications: cluster.notifications} : {}), ...(cluster.authentication?.tokenFile !== undefined ? {tokenFile: cluster.authentication.tokenFile} : {}), ...(fetched ? {fetched} : {})}
    const bad = failed.length > 0 || common.unreachable.length > 0 || common.unschedulable.length > 0
    const outcome: Outcome = bad ? 'failed' : result.done.length > 0 ? 'applied' : (run.plan.suspended?.length ?? 0) > 0 || cluster.suspend ? 'suspended' : 'noop'
    return done({...common, outcome, errors: failed, summary: planSummary({actions: result.done})})
  } catch (err) {
    if (err instanceof ClusterLockedError) return done({outcome: 'locked', changed, errors: [err], ...(fetched ? {fetched, revision} : {})})
    return done({outcome: 'failed', changed, drift, errors: err instanceof ErrorList ? err.errors : [err as Error], ...(fetched ? {fetched, revision} : {})})
  }
}
