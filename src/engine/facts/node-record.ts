import type {NodeRecord} from '../types.js'

/** A map of strings from record.json, or nothing (a damaged one is left out). */
function stringMap<K extends string>(key: K, v: unknown): Partial<Record<K, Record<string, string>>> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {}
  const out = Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<string, string>
  return {[key]: out} as Partial<Record<K, Record<string, string>>>
}

function numberMap(v: unknown): {nodePorts?: Record<string, number>} {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {}
  return {nodePorts: Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'number')) as Record<string, number>}
}

/** record.json as a node holds it; a damaged one counts as none (the next apply rewrites it). */
export function parseRecord(text: string): NodeRecord | undefined {
  try {
    const v = JSON.parse(text) as Partial<NodeRecord>
    if (typeof v.commit !== 'string' || typeof v.pods !== 'object' || v.pods === null) return undefined
    return {commit: v.commit, writtenAt: String(v.writtenAt ?? ''), appliedAt: String(v.appliedAt ?? ''), appliedBy: String(v.appliedBy ?? ''), author: String(v.author ?? ''), subject: String(v.subject ?? ''), pods: v.pods, unreachableSince: v.unreachableSince ?? {}, ...(v.taintedSince ? {taintedSince: v.taintedSince} : {}), ...(Array.isArray(v.nodes) ? {nodes: v.nodes.map(String)} : {}), ...(v.jobs && typeof v.jobs === 'object' ? {jobs: v.jobs} : {}), ...(v.cronJobs && typeof v.cronJobs === 'object' ? {cronJobs: v.cronJobs} : {}), ...stringMap('podCIDRs', v.podCIDRs), ...stringMap('clusterIPs', v.clusterIPs), ...numberMap(v.nodePorts)}
  } catch {
    return undefined
  }
}

/**
 * The cluster's record from what the reachable nodes hold: the newest one for the commit
 * and times (they are written together; one may lag), and each node's pods from the
 * newest record that lists them (a node keeps its own pods and its next peers'). A node
 * that was not in kgit.yaml when the newest record was written (forgotten, then added
 * again) is known from no record: what an older one says of it is stale.
 */
export function latestRecord(records: (NodeRecord | undefined)[]): NodeRecord | undefined {
  const have = records.filter((r): r is NodeRecord => r !== undefined).sort((a, b) => (a.writtenAt < b.writtenAt ? 1 : a.writtenAt > b.writtenAt ? -1 : 0))
  if (have.length === 0) return undefined
  const pods: NodeRecord['pods'] = {}
  const current = have[0]!.nodes ? new Set(have[0]!.nodes) : undefined
  for (const r of have) for (const [node, list] of Object.entries(r.pods)) if (!(node in pods) && (!current || current.has(node))) pods[node] = list
  return {...have[0]!, pods}
}

/** A record's content without when it was written: equal content needs no rewrite. */
export function recordKey(r: NodeRecord): string {
  return JSON.stringify({...r, writtenAt: ''})
}
