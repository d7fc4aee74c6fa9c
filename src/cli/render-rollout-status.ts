import type {RolloutReport} from '../engine/plan/plan.js'

/** kubectl's rollout status messages, from where the rollout stands on the nodes. */
export function rolloutMessage(r: RolloutReport): {text: string; done: boolean; failed: boolean; details: string[]} {
  const s = r.status
  const details = s.notAvailable.map((w) => `  ${w}`)
  if (r.kind === 'DaemonSet') return daemonSetMessage(r, details)
  if (r.kind === 'StatefulSet') return statefulSetMessage(r, details)
  const d = `deployment "${r.name}"`
  if (s.deadlineExceeded) return {text: `error: ${d} exceeded its progress deadline`, done: true, failed: true, details}
  if (s.complete) return {text: `${d} successfully rolled out`, done: true, failed: false, details: []}
  if (s.paused) return {text: `${d} is paused (spec.paused): ${s.updated} of ${s.replicas} pods run its template, ${s.old} run older ones`, done: true, failed: true, details: []}
  if (s.updated < s.replicas) return {text: `Waiting for ${d} rollout to finish: ${s.updated} out of ${s.replicas} new replicas have been updated...`, done: false, failed: false, details}
  if (s.old > 0) return {text: `Waiting for ${d} rollout to finish: ${s.old} old replicas are pending termination...`, done: false, failed: false, details}
  return {text: `Waiting for ${d} rollout to finish: ${s.replicas - s.notAvailable.length} of ${s.replicas} updated replicas are available...`, done: false, failed: false, details}
}

/** kubectl's messages for a DaemonSet (counted in nodes; kgit stops waiting after 600 s without progress). */
function daemonSetMessage(r: RolloutReport, details: string[]): {text: string; done: boolean; failed: boolean; details: string[]} {
  const s = r.status
  const d = `daemon set "${r.name}"`
  if (s.complete) return {text: `${d} successfully rolled out`, done: true, failed: false, details: []}
  if (s.deadlineExceeded) return {text: `error: ${d} made no progress for 600 seconds`, done: true, failed: true, details}
  if (s.updated < s.replicas) return {text: `Waiting for ${d} rollout to finish: ${s.updated} out of ${s.replicas} new pods have been updated...`, done: false, failed: false, details}
  return {text: `Waiting for ${d} rollout to finish: ${s.available} of ${s.replicas} updated pods are available...`, done: false, failed: false, details}
}

/** kubectl's messages for a StatefulSet (kgit stops waiting after 600 s without progress). */
function statefulSetMessage(r: RolloutReport, details: string[]): {text: string; done: boolean; failed: boolean; details: string[]} {
  const s = r.status
  if (s.complete) return {text: `statefulset rolling update complete ${s.replicas} pods at revision ${r.name}-${r.templateHash}...`, done: true, failed: false, details: []}
  if (s.deadlineExceeded) return {text: `error: statefulset "${r.name}" made no progress for 600 seconds`, done: true, failed: true, details}
  if (s.ready < s.replicas) return {text: `Waiting for ${s.replicas - s.ready} pods to be ready...`, done: false, failed: false, details}
  return {text: `Waiting for partitioned roll out to finish: ${s.updated} out of ${s.replicas} new pods have been updated...`, done: false, failed: false, details}
}
