import {recordKey} from '../facts/node-record.js'
import type {NodeRecord, Observed} from '../types.js'

export interface CommitInfo {
  revision: string
  author: string
  subject: string
}

/**
 * The record every node should hold after this run: the commit, where each pod runs,
 * and since when unreachable nodes have not answered (kept from the previous record).
 * `appliedAt`/`appliedBy` change only with the commit. Pure.
 */
export function nextRecord(prev: NodeRecord | undefined, observed: Observed, commit: CommitInfo, opts: {now: string; by: string}): NodeRecord {
  const pods: NodeRecord['pods'] = {}
  const unreachableSince: Record<string, string> = {}
  for (const n of observed.nodes) {
    if (n.reachable) {
      pods[n.node] = n.pods.map((p) => ({name: p.name, namespace: p.namespace, ...(p.owner ? {owner: `${p.owner.kind}/${p.owner.name}`} : {}), ...(p.templateHash ? {templateHash: p.templateHash} : {})}))
      pods[n.node]!.sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1))
    } else {
      pods[n.node] = prev?.pods[n.node] ?? []
      unreachableSince[n.node] = prev?.unreachableSince[n.node] ?? opts.now
    }
  }
  const same = prev?.commit === commit.revision
  return {
    commit: commit.revision,
    writtenAt: opts.now,
    appliedAt: same ? prev.appliedAt : opts.now,
    appliedBy: same ? prev.appliedBy : opts.by,
    author: commit.author,
    subject: commit.subject,
    pods,
    unreachableSince,
  }
}

/** Reachable nodes whose record differs from `next` (only they are written). */
export function staleRecords(observed: Observed, next: NodeRecord): string[] {
  const key = recordKey(next)
  return observed.nodes.filter((n) => n.reachable && (!n.record || recordKey(n.record) !== key)).map((n) => n.node)
}
