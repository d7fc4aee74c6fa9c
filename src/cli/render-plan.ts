import chalk from 'chalk'
import {planActions, planSummary, type Action, type Plan, type RolloutReport} from '../engine/plan/plan.js'

/** A commit shortened as git does; a working-tree revision keeps its suffix. */
export function shortRev(rev: string): string {
  const [commit, rest] = rev.split('+')
  return commit!.slice(0, 12) + (rest ? `+${rest}` : '')
}

export const SIGN_TEXT = {create: '+', replace: '~', delete: '-', 'remove-stray': '-', 'remove-volume': '-', 'sync-network': '~', 'update-files': '~'} as const
const SIGN = {create: chalk.green('+'), replace: chalk.yellow('~'), delete: chalk.red('-'), 'remove-stray': chalk.red('-'), 'remove-volume': chalk.red('-'), 'sync-network': chalk.yellow('~'), 'update-files': chalk.yellow('~')}

export function actionLabel(a: Action): string {
  if (a.type === 'sync-network') return `network (${a.state.slice}, ${a.state.routes.length} routes, ${a.state.nat.rules.length + a.state.filter.rules.length} rules, state ${a.hash.slice(0, 12)})`
  if (a.type === 'remove-stray') return `container ${a.stray.name}`
  if (a.type === 'remove-volume') return a.data ? `volume ${a.mark.pv} (claim ${a.mark.namespace}/${a.mark.claim}, its data)` : `claim mark ${a.mark.namespace}/${a.mark.claim}`
  const pod = a.type === 'delete' ? a.old : a.pod
  const owner = pod.owner ? ` ${chalk.dim(`(${pod.owner.kind}/${pod.owner.name})`)}` : ''
  return `pod ${pod.namespace}/${pod.name}${owner}`
}

export function isDrift(a: Action): boolean {
  return a.drift === true
}

/** Terraform-style: per node, `+ ~ -` lines with the reason and the fields that change, then a summary. */
export function renderPlan(p: Plan, nodeOrder: string[]): string[] {
  const lines: string[] = []
  for (const r of p.rollouts) lines.push(...rolloutLines(r))
  for (const node of nodeOrder) {
    const acts = planActions(p).filter((a) => a.node === node)
    const down = p.unreachable.find((u) => u.node === node)
    if (down) lines.push(chalk.red(`node ${node}: unreachable${down.since ? ` since ${down.since}` : ''}: ${down.reason}`))
    else if (acts.length === 0) lines.push(chalk.dim(`node ${node}: no changes`))
    else {
      lines.push(chalk.bold(`node ${node}:`))
      for (const a of acts) {
        lines.push(`  ${SIGN[a.type]} ${actionLabel(a)}: ${isDrift(a) ? chalk.magenta(a.reason) : a.reason}`)
        if (a.type === 'replace') for (const c of a.changes ?? []) lines.push(chalk.dim(`      ${c}`))
      }
    }
  }
  for (const h of p.held) lines.push(chalk.yellow(`? pod ${h.namespace}/${h.name} on unreachable node ${h.node}: counted as running until the grace period ends`))
  for (const k of p.kept) lines.push(chalk.dim(`= pod ${k.namespace}/${k.name} on ${k.node}: kept, its object left git but says kgit.dev/prune: disabled`))
  for (const u of p.unschedulable) lines.push(chalk.red(`! pod ${u.pod.namespace}/${u.pod.name} cannot be scheduled: ${u.reason}`))
  lines.push(...suspendedLines(p))
  lines.push(summaryLine(p))
  return lines
}

/** What suspend holds (spec.suspend, kgit.dev/suspend): shown, never done. */
export function suspendedLines(p: Plan): string[] {
  const held = p.suspended ?? []
  if (held.length === 0) return []
  const drift = held.filter(isDrift).length
  return [chalk.yellow(`suspended: ${held.length} change(s) held, not done (${drift} drift):`), ...held.map((a) => chalk.yellow(`  ${a.node}: ${SIGN_TEXT[a.type]} ${actionLabel(a)}: ${a.reason}`))]
}

function summaryLine(p: Plan): string {
  const s = planSummary(p)
  const drift = planActions(p).filter(isDrift).length
  const rolling = p.waiting.length > 0 ? `; ${p.waiting.length} rollout(s) go on step by step as pods become available` : ''
  if (planActions(p).length === 0 && p.waiting.length === 0) return `No changes: the reachable nodes already run ${shortRev(p.revision)}.`
  return `Plan: ${s.create} to create, ${s.replace} to replace, ${s.delete} to remove${drift ? ` (${drift} to revert drift)` : ''} (revision ${shortRev(p.revision)})${rolling}.`
}

/** A Deployment that is rolling (or stuck): where it stands and what changes in its template. */
export function rolloutLines(r: RolloutReport): string[] {
  const s = r.status
  if (s.complete && r.changes.length === 0) return []
  const head = `${chalk.yellow('~')} ${r.kind.toLowerCase()} ${r.namespace}/${r.name}: ${s.updated}/${s.replicas} pods on the new template ${r.templateHash}, ${s.available} available, ${s.old} old`
  const lines = [head + (s.paused ? chalk.yellow(' (paused)') : '') + (s.deadlineExceeded ? chalk.red(' (progress deadline exceeded)') : '')]
  for (const c of r.changes) lines.push(chalk.dim(`      ${c}`))
  if (s.deadlineExceeded) for (const w of s.notAvailable) lines.push(chalk.red(`      ${w}`))
  return lines
}
