import chalk from 'chalk'
import type {PlanRun} from '../engine/session.js'
import {planActions, planSummary} from '../engine/plan/plan.js'
import {age} from './render-pods.js'
import {shortRev} from './render-plan.js'
import {table} from './table.js'

/** One row per node: reachable or not, the commit its record names, when and by whom it was applied. */
export function statusLines(run: PlanRun): string[] {
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
  if (rec && rec.commit !== run.plan.revision) lines.push(chalk.yellow(`git is at ${shortRev(run.plan.revision)}: not applied yet.`))
  const s = planSummary(run.plan)
  if (planActions(run.plan).length > 0) lines.push(`Pending: ${s.create} to create, ${s.replace} to replace, ${s.delete} to remove (${run.plan.actions.filter((a) => a.drift === true).length} drift).`)
  for (const w of run.plan.waiting) lines.push(`Rollout of ${w.kind.toLowerCase()} ${w.namespace}/${w.name}: ${w.status.updated}/${w.status.replicas} updated, ${w.status.available} available.`)
  for (const r of run.plan.rollouts.filter((x) => x.status.deadlineExceeded)) lines.push(chalk.red(`Rollout of ${r.kind.toLowerCase()} ${r.namespace}/${r.name} exceeded its progress deadline.`))
  return lines
}

export function statusJson(run: PlanRun, inSync: boolean): Record<string, unknown> {
  return {
    revision: run.plan.revision,
    inSync,
    nodes: run.observed.nodes.map((n) => (n.reachable ? {node: n.node, reachable: true, pods: n.pods.length, record: n.record ?? null} : {node: n.node, reachable: false, reason: n.reason})),
    pending: planSummary(run.plan),
    drift: planActions(run.plan).filter((a) => a.drift === true).length,
  }
}
