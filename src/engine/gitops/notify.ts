import {spawn} from 'node:child_process'
import type {ReconcileReport} from './reconcile.js'

/** What a notification carries (stdin of the command, body of the webhook POST). */
export function notificationPayload(r: ReconcileReport, host: string): Record<string, unknown> {
  return {
    kind: 'KgitReconcile',
    cluster: r.cluster ?? null,
    host,
    at: r.at,
    outcome: r.outcome,
    revision: r.revision ?? null,
    drift: r.drift,
    outOfSync: r.outOfSync,
    unreachable: r.unreachable,
    unschedulable: r.unschedulable,
    errors: r.errors.map((e) => e.message),
    durationMs: r.durationMs,
  }
}

/** Why this reconcile is worth a notification under spec.notifications.on, or undefined. */
export function notifyReason(r: ReconcileReport): 'failure' | 'drift' | undefined {
  const on = r.notifications?.on ?? []
  if (on.includes('failure') && (r.outcome === 'failed' || r.outcome === 'fetch-failed')) return 'failure'
  if (on.includes('drift') && r.drift.length > 0) return 'drift'
  return undefined
}

/**
 * Runs spec.notifications' command (JSON on stdin, 30 s at most) and POSTs to its webhook
 * (10 s at most). Returns one line per problem: a notification that fails never fails the run.
 */
export async function notify(r: ReconcileReport, host: string): Promise<string[]> {
  const spec = r.notifications
  const reason = notifyReason(r)
  if (!spec || !reason) return []
  const body = JSON.stringify({...notificationPayload(r, host), reason})
  const problems: string[] = []
  const jobs: Promise<void>[] = []
  if (spec.command) jobs.push(runCommand(spec.command, body).catch((err: Error) => void problems.push(`notification command ${spec.command![0]} failed: ${err.message}`)))
  if (spec.webhook) {
    jobs.push(
      fetch(spec.webhook, {method: 'POST', headers: {'content-type': 'application/json', 'user-agent': 'kgit'}, body, signal: AbortSignal.timeout(10_000)})
        .then((res) => {
          if (!res.ok) problems.push(`notification webhook ${spec.webhook} answered ${res.status}`)
        })
        .catch((err: Error) => void problems.push(`notification webhook ${spec.webhook} failed: ${err.message}`)),
    )
  }
  await Promise.all(jobs)
  return problems
}

function runCommand(argv: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {stdio: ['pipe', 'ignore', 'pipe'], timeout: 30_000})
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-500)))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}${err.trim() ? `: ${err.trim()}` : ''}`))))
    child.stdin.on('error', () => undefined)
    child.stdin.end(input)
  })
}
