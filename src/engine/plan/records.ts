import {recordKey} from '../facts/node-record.js'
import type {CronMark, JobMark, NodeRecord, NodeSpec, Observed, Taint} from '../types.js'

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
export function nextRecord(prev: NodeRecord | undefined, observed: Observed, commit: CommitInfo, opts: {now: string; by: string; nodes?: readonly NodeSpec[]; /** Finished Jobs of the revision (plan/jobs.ts jobMarks). */ jobs?: Record<string, JobMark>; /** CronJobs of the revision (plan/jobs.ts cronMarks). */ cronJobs?: Record<string, CronMark>; /** Each node's slice of podCIDR (plan/network.ts). */ podCIDRs?: Record<string, string>; /** Services' cluster IPs and nodePorts. */ clusterIPs?: Record<string, string>; nodePorts?: Record<string, number>}): NodeRecord {
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
  const taintedSince: Record<string, Record<string, string>> = {}
  for (const n of opts.nodes ?? []) {
    for (const t of n.taints) {
      if (t.effect !== 'NoExecute') continue
      const k = taintKey(t)
      ;(taintedSince[n.name] ??= {})[k] = prev?.taintedSince?.[n.name]?.[k] ?? opts.now
    }
  }
  return {
    commit: commit.revision,
    writtenAt: opts.now,
    appliedAt: same ? prev.appliedAt : opts.now,
    appliedBy: same ? prev.appliedBy : opts.by,
    author: commit.author,
    subject: commit.subject,
    pods,
    unreachableSince,
    ...(Object.keys(taintedSince).length > 0 ? {taintedSince} : {}),
    nodes: observed.nodes.map((n) => n.node),
    ...(opts.jobs && Object.keys(opts.jobs).length > 0 ? {jobs: opts.jobs} : {}),
    ...(opts.cronJobs && Object.keys(opts.cronJobs).length > 0 ? {cronJobs: opts.cronJobs} : {}),
    ...(opts.podCIDRs && Object.keys(opts.podCIDRs).length > 0 ? {podCIDRs: opts.podCIDRs} : {}),
    ...(opts.clusterIPs && Object.keys(opts.clusterIPs).length > 0 ? {clusterIPs: opts.clusterIPs} : {}),
    ...(opts.nodePorts && Object.keys(opts.nodePorts).length > 0 ? {nodePorts: opts.nodePorts} : {}),
  }
}

/** How records name a taint: `key=value:Effect`. */
export function taintKey(t: Taint): string {
  return `${t.key}=${t.value ?? ''}:${t.effect}`
}

/**
 * How many following nodes (in kgit.yaml's order, round the ring) each node keeps the pods
 * of, besides its own: what a node that stops answering ran is known while any of the
 * nodes before it answers. Every node holding every pod would cost nodes x pods.
 */
export const RECORD_PEERS = 2

/** The part of the cluster's record one node keeps: everything but other nodes' pods beyond its peers. */
export function recordShard(full: NodeRecord, order: readonly string[], node: string, at = order.indexOf(node)): NodeRecord {
  const i = at
  const keep = new Set([node])
  for (let k = 1; k <= RECORD_PEERS && i >= 0 && k < order.length; k++) keep.add(order[(i + k) % order.length]!)
  const pods: NodeRecord['pods'] = {}
  for (const n of keep) if (full.pods[n]) pods[n] = full.pods[n]
  return {...full, pods}
}

/** Each reachable node's share of `next`, for the nodes whose record differs (only they are written). */
export function staleRecords(observed: Observed, next: NodeRecord): {node: string; record: NodeRecord}[] {
  const order = observed.nodes.map((n) => n.node)
  const out: {node: string; record: NodeRecord}[] = []
  for (const [i, n] of observed.nodes.entries()) {
    if (!n.reachable) continue
    const record = recordShard(next, order, n.node, i)
    if (!n.record || recordKey(n.record) !== recordKey(record)) out.push({node: n.node, record})
  }
  return out
}
