import {NodeUnreachableError, RemoteError} from '../errors.js'
import {batchFacts} from '../facts/fact.js'
import {observedPods, podmanContainers} from '../facts/podman-pods.js'
import type {NodeObservation} from '../types.js'
import type {Transport} from './transport.js'

/** What one node runs, in one round trip: one command that answers every fact. */
export async function observeNode(t: Transport): Promise<NodeObservation> {
  const batch = batchFacts([podmanContainers])
  try {
    const r = await t.exec(batch.steps, {timeoutMs: 60_000})
    if (r.exitCode !== 0) {
      const err = new RemoteError({node: t.node, argv: batch.steps.flat(), exitCode: r.exitCode, stderr: r.stderr, what: 'cannot read podman state'})
      return {node: t.node, reachable: false, reason: err.message}
    }
    const [containers] = batch.split(r.stdout)
    return {node: t.node, reachable: true, pods: observedPods(t.node, podmanContainers.parse(containers!))}
  } catch (err) {
    const reason = err instanceof NodeUnreachableError ? err.reason : (err as Error).message
    return {node: t.node, reachable: false, reason}
  }
}
