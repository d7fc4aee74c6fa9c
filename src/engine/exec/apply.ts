import pLimit from 'p-limit'
import {podRm, podRun} from '../argv/podman.js'
import {RemoteError} from '../errors.js'
import type {Action} from '../plan/plan.js'
import type {DesiredPod} from '../types.js'
import type {Transport} from './transport.js'

export type ApplyEvent =
  | {type: 'start'; action: Action}
  | {type: 'done'; action: Action; ms: number}
  | {type: 'failed'; action: Action; error: Error; ms: number}

export interface ApplyResult {
  done: Action[]
  failed: {action: Action; error: Error}[]
}

/** Pods started or removed at once on one node: podman serialises much of it anyway. */
export const PER_NODE_CONCURRENCY = 4

/**
 * Carries out a plan: nodes in parallel; on each node removals first (they free
 * names and host ports), then replacements, then new pods. A failing action is
 * reported and does not stop the others.
 */
export async function applyActions(actions: Action[], transports: Map<string, Transport>, onEvent: (e: ApplyEvent) => void = () => {}): Promise<ApplyResult> {
  const result: ApplyResult = {done: [], failed: []}
  const byNode = new Map<string, Action[]>()
  for (const a of actions) byNode.set(a.node, [...(byNode.get(a.node) ?? []), a])
  await Promise.all(
    [...byNode].map(async ([node, list]) => {
      const t = transports.get(node)
      const limit = pLimit(PER_NODE_CONCURRENCY)
      for (const phase of ['delete', 'replace', 'create'] as const) {
        await Promise.all(list.filter((a) => a.type === phase).map((a) => limit(() => runOne(a, t, onEvent, result))))
      }
    }),
  )
  return result
}

async function runOne(action: Action, t: Transport | undefined, onEvent: (e: ApplyEvent) => void, result: ApplyResult): Promise<void> {
  const started = Date.now()
  onEvent({type: 'start', action})
  try {
    if (!t) throw new Error(`no connection to node ${action.node}`)
    if (action.type !== 'create') await removePod(t, action.old.podmanName, action.old.grace ?? 30, action)
    if (action.type !== 'delete') await startPod(t, action.pod)
    result.done.push(action)
    onEvent({type: 'done', action, ms: Date.now() - started})
  } catch (err) {
    result.failed.push({action, error: err as Error})
    onEvent({type: 'failed', action, error: err as Error, ms: Date.now() - started})
  }
}

async function removePod(t: Transport, podmanName: string, grace: number, action: Action): Promise<void> {
  const argv = podRm(podmanName, grace)
  const r = await t.exec([argv], {timeoutMs: (grace + 60) * 1000})
  if (r.exitCode !== 0 && !/no pod with name or ID/i.test(r.stderr)) {
    const {namespace, name} = action.type === 'delete' ? action.old : action.pod
    throw new RemoteError({node: t.node, argv, exitCode: r.exitCode, stderr: r.stderr, what: `failed to remove pod ${namespace}/${name}`, hint: `kgit get pods -n ${namespace} -o wide`})
  }
}

/**
 * Creates and starts a pod in one round trip. A pod that fails half way is removed
 * again, by the ID its `pod create` printed: never by name, which could be a pod kgit
 * does not own or one another run just made.
 */
async function startPod(t: Transport, pod: DesiredPod): Promise<void> {
  const steps = podRun(pod)
  const r = await t.exec(steps, {timeoutMs: 300_000})
  if (r.exitCode === 0) return
  const id = /^([0-9a-f]{64})$/m.exec(r.stdout)?.[1]
  if (id) await t.exec([podRm(id, 0)]).catch(() => undefined)
  throw new RemoteError({node: t.node, argv: steps.flat(), exitCode: r.exitCode, stderr: r.stderr, what: `failed to start pod ${pod.namespace}/${pod.name}`, hint: `kgit get pods -n ${pod.namespace} -o wide`})
}
