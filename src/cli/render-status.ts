import chalk from 'chalk'
import type {ClusterStatus} from '../engine/gitops/status.js'
import type {PlanRun} from '../engine/session.js'
import {planSummary} from '../engine/plan/plan.js'
import {age} from './render-pods.js'
import {shortRev} from './render-plan.js'
import {table} from './table.js'

/** One row per node: reachable or not, the commit its record names, when and by whom it was applied. */
export function statusLines(run: PlanRun, st: ClusterStatus): string[] {
  const rows = [['NODE', 'STATUS', 'COMMIT', 'APPLIED', 'BY', 'PODS']]
  for (const n of run.observed.nodes) {
    if (!n.reachable) {
      rows.push([n.node, chalk.red('Unreachable'), '-', '-', '-', '-'])
      continue
    }
    const r = n.record
    rows.push([n.node, 'Ready', r ? shortRev(r.commit) : '<none>', r ? `${age(r.appliedAt)} ago` : '-', r?.appliedBy ?? '-', String(n.pods.length)])
  }
  const lines = table(rows)
  const rec = run.observed.nodes.flatMap((n) => (n.reachable && n.record ? [n.record] : []))[0]
  if (rec) lines.push('', `Cluster runs ${shortRev(rec.commit)} "${rec.subject}" by ${rec.author}, applied ${rec.appliedAt} by ${rec.appliedBy}.`)
  if (rec && st.running !== st.revision) lines.push(chalk.yellow(`git is at ${shortRev(st.revision)}${st.ahead !== undefined ? `, ${st.ahead} commit(s) ahead` : ''}: not applied yet.`))
  if (run.desired.cluster.suspend) lines.push(chalk.yellow('Suspended (spec.suspend): reconciles change nothing; drift is reported below.'))
  if (st.drift.length > 0) lines.push(chalk.magenta(`Drifted (changed on the nodes by hand): ${st.drift.length}`))
  for (const d of st.drift) lines.push(`  ${d.node}: ${d.what}: ${d.reason.replace(/^drift: /, '')}`)
  if (st.pending.length > 0) lines.push(`Out of sync (git differs from what runs): ${st.pending.length}`)
  for (const d of st.pending) lines.push(`  ${d.node}: ${d.what}: ${d.reason}`)
  if (!run.desired.cluster.suspend && (run.plan.suspended?.length ?? 0) > 0) lines.push(chalk.yellow(`Held by kgit.dev/suspend (reported, not changed): ${run.plan.suspended!.length} of the above.`))
  for (const u of st.unreachable) lines.push(chalk.red(`Node ${u.node} is unreachable: ${u.reason}`))
  for (const w of run.plan.waiting) lines.push(`Rollout of ${w.kind.toLowerCase()} ${w.namespace}/${w.name}: ${w.status.updated}/${w.status.replicas} updated, ${w.status.available} available.`)
  for (const r of run.plan.rollouts.filter((x) => x.status.deadlineExceeded)) lines.push(chalk.red(`Rollout of ${r.kind.toLowerCase()} ${r.namespace}/${r.name} exceeded its progress deadline.`))
  return lines
}

export function statusJson(run: PlanRun, st: ClusterStatus): Record<string, unknown> {
  return {
    revision: run.plan.revision,
    inSync: st.inSync,
    running: st.running ?? null,
    ahead: st.ahead ?? null,
    suspended: st.suspended,
    nodes: run.observed.nodes.map((n) => (n.reachable ? {node: n.node, reachable: true, pods: n.pods.length, record: n.record ?? null} : {node: n.node, reachable: false, reason: n.reason})),
    pending: planSummary(run.plan),
    drift: st.drift,
    outOfSync: st.pending,
    unreachable: st.unreachable,
  }
}
