import chalk from 'chalk'
import type {ReconcileReport} from '../engine/gitops/reconcile.js'
import {formatError} from './base.js'
import {shortRev} from './render-plan.js'

/** What `kgit reconcile` prints of one run: nothing for a no-op, one line when something was done. */
export function reportLines(r: ReconcileReport, debug: boolean): {text: string; err?: true}[] {
  const out: {text: string; err?: true}[] = []
  const rev = r.revision ? shortRev(r.revision) : '?'
  if (r.outcome === 'locked') return [{text: `kgit reconcile: skipped, ${r.errors[0]!.message.split(';')[0]}`, err: true}]
  if (r.outcome === 'fetch-failed') return r.errors.map((e) => ({text: formatError(e, debug), err: true}))
  for (const u of r.unreachable) out.push({text: chalk.red('error: ') + `node ${u.node} is unreachable: ${u.reason}; its pods were left as they are`, err: true})
  for (const u of r.unschedulable) out.push({text: chalk.red('error: ') + u, err: true})
  for (const e of r.errors) out.push({text: formatError(e, debug), err: true})
  const s = r.summary
  if (r.outcome === 'applied' || (r.outcome === 'failed' && s.create + s.replace + s.delete > 0)) {
    const drift = r.drift.length > 0 ? ` (${r.drift.length} drifted reverted)` : ''
    out.push({text: [`reconciled ${rev}: ${s.create} created, ${s.replace} replaced, ${s.delete} removed${drift}${r.errors.length ? `, ${r.errors.length} failed` : ''} in ${(r.durationMs / 1000).toFixed(1)}s`, ...r.cronJobs].join('; ')})
  } else if (r.outcome === 'suspended' && r.outOfSync > 0) {
    out.push({text: chalk.yellow(`suspended: ${rev} not applied, ${r.outOfSync} change(s) held (${r.drift.length} drift); see kgit diff`)})
  } else if (r.cronJobs.length > 0) out.push({text: r.cronJobs.join('; ')})
  return out
}
