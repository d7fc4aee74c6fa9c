import type {NodeRecord} from '../types.js'

/** record.json as a node holds it; a damaged one counts as none (the next apply rewrites it). */
export function parseRecord(text: string): NodeRecord | undefined {
  try {
    const v = JSON.parse(text) as Partial<NodeRecord>
    if (typeof v.commit !== 'string' || typeof v.pods !== 'object' || v.pods === null) return undefined
    return {commit: v.commit, writtenAt: String(v.writtenAt ?? ''), appliedAt: String(v.appliedAt ?? ''), appliedBy: String(v.appliedBy ?? ''), author: String(v.author ?? ''), subject: String(v.subject ?? ''), pods: v.pods, unreachableSince: v.unreachableSince ?? {}}
  } catch {
    return undefined
  }
}

/** The newest record any reachable node holds (they are written together; one may lag). */
export function latestRecord(records: (NodeRecord | undefined)[]): NodeRecord | undefined {
  let best: NodeRecord | undefined
  for (const r of records) if (r && (!best || r.writtenAt > best.writtenAt)) best = r
  return best
}

/** A record's content without when it was written: equal content needs no rewrite. */
export function recordKey(r: NodeRecord): string {
  return JSON.stringify({...r, writtenAt: ''})
}
