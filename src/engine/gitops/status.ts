import {simpleGit} from 'simple-git'
import {planActions} from '../plan/plan.js'
import type {PlanRun} from '../session.js'
import {changeItem, type ChangeItem} from './reconcile.js'

export interface ClusterStatus {
  revision: string
  /** The commit the nodes' records name (the newest), and how many commits git is ahead of it. */
  running?: string
  ahead?: number
  drift: ChangeItem[]
  pending: ChangeItem[]
  suspended: boolean
  unreachable: {node: string; reason: string}[]
  inSync: boolean
}

/** Commits in `from..to` (undefined when `from` is not in the repository, e.g. a rewritten branch). */
export async function commitsAhead(root: string, from: string, to: string): Promise<number | undefined> {
  const out = await simpleGit({baseDir: root}).raw(['rev-list', '--count', `${from}..${to}`]).catch(() => undefined)
  return out === undefined ? undefined : Number(out.trim())
}

/** Drift apart from pending changes, suspended ones included, and whether git moved ahead of what runs. */
export async function clusterStatus(run: PlanRun): Promise<ClusterStatus> {
  const all = [...planActions(run.plan), ...(run.plan.suspended ?? [])]
  const recs = run.observed.nodes.flatMap((n) => (n.reachable && n.record ? [n.record] : []))
  const running = recs.sort((a, b) => b.appliedAt.localeCompare(a.appliedAt))[0]?.commit
  const revision = run.plan.revision
  const ahead = running && running !== revision && !revision.includes('+') ? await commitsAhead(run.source.root, running, revision) : running === revision ? 0 : undefined
  const drift = all.filter((a) => a.drift === true).map(changeItem)
  const pending = all.filter((a) => a.drift !== true).map(changeItem)
  const unreachable = run.plan.unreachable.map((u) => ({node: u.node, reason: u.reason}))
  const inSync = all.length === 0 && run.plan.waiting.length === 0 && unreachable.length === 0 && run.plan.unschedulable.length === 0 && (running === revision || revision.includes('+'))
  return {revision, ...(running ? {running} : {}), ...(ahead !== undefined ? {ahead} : {}), drift, pending, suspended: run.desired.cluster.suspend === true || (run.plan.suspended?.length ?? 0) > 0, unreachable, inSync}
}
