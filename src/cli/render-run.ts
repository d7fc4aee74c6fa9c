import chalk from 'chalk'
import {planActions, type Action} from '../engine/plan/plan.js'
import type {Loaded, PlanRun} from '../engine/session.js'

/** Warnings about the revision: skipped documents, uncommitted edits that are not applied. */
export function printLoadNotes(l: Loaded, log: (line: string) => void): void {
  for (const w of l.warnings) log(chalk.yellow('warning: ') + w)
  if (l.uncommitted.length > 0) {
    log(chalk.yellow('note: ') + `uncommitted changes are not applied (kgit reads commit ${l.commit.slice(0, 12)}): ${l.uncommitted.join(', ')}`)
    log('      commit them to include them (git add -A && git commit), or try them out with --working-tree')
  }
}

function actionJson(a: Action): Record<string, unknown> {
  if (a.type === 'sync-network') return {action: 'update', node: a.node, kind: 'Network', name: a.state.slice, state: a.hash, changes: a.changes, reason: a.reason, drift: a.drift === true}
  if (a.type === 'remove-stray') return {action: 'delete', node: a.node, kind: 'Container', name: a.stray.name, id: a.stray.id, reason: a.reason, drift: true}
  if (a.type === 'remove-volume') return {action: 'delete', node: a.node, kind: 'PersistentVolume', name: a.mark.pv, claim: `${a.mark.namespace}/${a.mark.claim}`, data: a.data, reason: a.reason, drift: a.drift === true}
  const pod = a.type === 'delete' ? a.old : a.pod
  return {
    action: a.type,
    node: a.node,
    kind: 'Pod',
    namespace: pod.namespace,
    name: pod.name,
    owner: pod.owner ? `${pod.owner.kind}/${pod.owner.name}` : undefined,
    reason: a.reason,
    drift: a.drift === true,
    ...(a.type === 'replace' && a.changes ? {changes: a.changes} : {}),
  }
}

export function planJson(run: PlanRun): Record<string, unknown> {
  return {
    revision: run.commit,
    actions: planActions(run.plan).map(actionJson),
    unschedulable: run.plan.unschedulable.map((u) => ({namespace: u.pod.namespace, name: u.pod.name, reason: u.reason})),
    unreachable: run.plan.unreachable,
    rollouts: run.plan.rollouts.map((r) => ({kind: r.kind, namespace: r.namespace, name: r.name, templateHash: r.templateHash, ...r.status, changes: r.changes})),
    held: run.plan.held.map((p) => ({node: p.node, namespace: p.namespace, name: p.name})),
    kept: run.plan.kept.map((p) => ({node: p.node, namespace: p.namespace, name: p.name})),
  }
}
