import chalk from 'chalk'
import {planSummary, type Action, type Plan} from '../engine/plan/plan.js'

/** A commit shortened as git does; a working-tree revision keeps its suffix. */
export function shortRev(rev: string): string {
  const [commit, rest] = rev.split('+')
  return commit!.slice(0, 12) + (rest ? `+${rest}` : '')
}

const SIGN = {create: chalk.green('+'), replace: chalk.yellow('~'), delete: chalk.red('-')}

export function actionLabel(a: Action): string {
  const pod = a.type === 'delete' ? a.old : a.pod
  const owner = pod.owner ? ` ${chalk.dim(`(${pod.owner.kind}/${pod.owner.name})`)}` : ''
  return `pod ${pod.namespace}/${pod.name}${owner}`
}

/** Terraform-style: per node, `+ ~ -` lines with the reason, then a summary. */
export function renderPlan(p: Plan, nodeOrder: string[]): string[] {
  const lines: string[] = []
  for (const node of nodeOrder) {
    const acts = p.actions.filter((a) => a.node === node)
    const down = p.unreachable.find((u) => u.node === node)
    if (down) lines.push(chalk.red(`node ${node}: unreachable: ${down.reason}`))
    else if (acts.length === 0) lines.push(chalk.dim(`node ${node}: no changes`))
    else {
      lines.push(chalk.bold(`node ${node}:`))
      for (const a of acts) lines.push(`  ${SIGN[a.type]} ${actionLabel(a)}: ${a.reason}`)
    }
  }
  for (const u of p.unschedulable) lines.push(chalk.red(`! pod ${u.pod.namespace}/${u.pod.name} cannot be scheduled: ${u.reason}`))
  const s = planSummary(p)
  lines.push(
    p.actions.length === 0
      ? `No changes: the reachable nodes already run ${shortRev(p.revision)}.`
      : `Plan: ${s.create} to create, ${s.replace} to replace, ${s.delete} to remove (revision ${shortRev(p.revision)}).`,
  )
  return lines
}
