import {NodeUnreachableError, RemoteError} from '../errors.js'
import {LOCK_HELD_EXIT, LOCK_HELD_MARK, lock} from '../argv/lock.js'
import {batchFacts} from '../facts/fact.js'
import {observedPods, strayContainers} from '../facts/podman-pods.js'
import {nodeState} from '../facts/node-state.js'
import {MANAGED_FILTER} from '../marks.js'
import {parseRecord} from '../facts/node-record.js'
import type {NodeObservation} from '../types.js'
import type {Transport} from './transport.js'

/** Taking the node's lock in the same round trip as reading it. */
export interface LockRequest {
  dataDir: string
  token: string
  holder: string
}

/**
 * What one node runs, in one round trip: one command that answers every fact, after
 * taking the node's lock when asked (an apply), so a no-op still costs one round trip.
 */
export async function observeNode(t: Transport, dataDir: string, lockReq?: LockRequest): Promise<NodeObservation> {
  const state = nodeState(dataDir, MANAGED_FILTER)
  const batch = batchFacts([state])
  const steps = lockReq ? [lock.acquire(lockReq.dataDir, lockReq.token, lockReq.holder), ...batch.steps] : batch.steps
  try {
    const r = await t.exec(steps, {timeoutMs: 60_000})
    if (lockReq && r.exitCode === LOCK_HELD_EXIT && r.stdout.startsWith(LOCK_HELD_MARK)) {
      return {node: t.node, reachable: false, reason: 'locked by another kgit run', lockedBy: r.stdout.slice(LOCK_HELD_MARK.length).trim()}
    }
    if (lockReq && r.exitCode === 2) {
      const err = new RemoteError({node: t.node, argv: steps[0]!, exitCode: r.exitCode, stderr: r.stderr, what: `cannot create kgit's data directory ${lockReq.dataDir} (spec.nodes[].dataDir)`})
      return {node: t.node, reachable: false, reason: err.message}
    }
    if (r.exitCode !== 0) {
      const err = new RemoteError({node: t.node, argv: batch.steps.flat(), exitCode: r.exitCode, stderr: r.stderr, what: 'cannot read podman state'})
      return {node: t.node, reachable: false, reason: err.message}
    }
    const [stateOut] = batch.split(r.stdout)
    const {files: read, containers, capacity, restarts, net} = state.parse(stateOut!)
    const obs: NodeObservation = {node: t.node, reachable: true, pods: observedPods(t.node, containers, {files: read, at: Date.now(), ...(restarts ? {restarts} : {})})}
    if (capacity) obs.capacity = capacity
    if (read.claims.length > 0) obs.claims = read.claims
    if (net) obs.net = net
    const strays = strayContainers(t.node, containers)
    if (strays.length > 0) obs.strays = strays
    const record = read.record ? parseRecord(read.record) : undefined
    if (record) obs.record = record
    return obs
  } catch (err) {
    const reason = err instanceof NodeUnreachableError ? err.reason : (err as Error).message
    return {node: t.node, reachable: false, reason}
  }
}
