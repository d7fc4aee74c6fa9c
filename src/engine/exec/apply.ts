import pLimit from 'p-limit'
import {readFile} from 'node:fs/promises'
import {podRm, podRun, strayRm, volumeCleanup, type NodeContext} from '../argv/podman.js'
import {podFilesRm} from '../argv/probes.js'
import {claimRemove} from '../argv/claims.js'
import {networkSync} from '../argv/network.js'
import {filesPayload, podFilesRemove, podFilesWrite, usesPodFiles} from '../argv/pod-files.js'
import {RemoteError} from '../errors.js'
import type {Action} from '../plan/plan.js'
import type {DesiredPod, ObservedPod} from '../types.js'
import type {Transport} from './transport.js'
import {packagePath} from '../package-root.js'

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

/** A node to act on: how to reach it and where its kgit files live. */
export interface NodeHandle {
  transport: Transport
  dataDir: string
}

let probeScript: Promise<string> | undefined
/** templates/node/kgit-probe.sh, installed on nodes next to the probe specs. */
export function loadProbeScript(): Promise<string> {
  probeScript ??= readFile(packagePath('templates', 'node', 'kgit-probe.sh'), 'utf8')
  return probeScript
}

let netScript: Promise<string> | undefined
/** templates/node/kgit-net.sh: writes a node's pod network, routes, chains and hosts files. */
export function loadNetworkScript(): Promise<string> {
  netScript ??= readFile(packagePath('templates', 'node', 'kgit-net.sh'), 'utf8')
  return netScript
}

/**
 * How long pods that stop serving a Service keep running after every node's rules stopped
 * sending them new connections: requests already on their way finish (ADR 0017).
 */
export const ENDPOINT_DRAIN_MS = 2000

/**
 * Carries out a plan: first every node's network state (routes, Service rules without the
 * pods this step removes, names), then nodes in parallel; on each node removals first
 * (they free names and host ports), then replacements, then new pods. A failing action
 * is reported and does not stop the others.
 */
export async function applyActions(actions: Action[], nodes: Map<string, NodeHandle>, onEvent: (e: ApplyEvent) => void = () => {}, opts: {drainMs?: number} = {}): Promise<ApplyResult> {
  const result: ApplyResult = {done: [], failed: []}
  const syncs = actions.filter((a) => a.type === 'sync-network')
  if (syncs.length > 0) {
    const script = await loadNetworkScript()
    await Promise.all(syncs.map((a) => runOne(a, nodes.get(a.node), script, onEvent, result)))
    const stopping = actions.some((a) => (a.type === 'delete' || a.type === 'replace') && a.old.ready && a.old.ip)
    if (stopping && syncs.some((a) => result.done.includes(a))) await new Promise((r) => setTimeout(r, opts.drainMs ?? ENDPOINT_DRAIN_MS))
  }
  const byNode = new Map<string, Action[]>()
  for (const a of actions) if (a.type !== 'sync-network') byNode.set(a.node, [...(byNode.get(a.node) ?? []), a])
  const script = actions.some((a) => a.type === 'create' || a.type === 'replace') ? await loadProbeScript() : ''
  await Promise.all(
    [...byNode].map(async ([node, list]) => {
      const h = nodes.get(node)
      const limit = pLimit(PER_NODE_CONCURRENCY)
      for (const phase of [['remove-stray', 'delete'], ['replace', 'update-files'], ['create'], ['remove-volume']]) {
        await Promise.all(list.filter((a) => phase.includes(a.type)).map((a) => limit(() => runOne(a, h, script, onEvent, result))))
      }
    }),
  )
  return result
}

async function runOne(action: Action, h: NodeHandle | undefined, script: string, onEvent: (e: ApplyEvent) => void, result: ApplyResult): Promise<void> {
  const started = Date.now()
  onEvent({type: 'start', action})
  try {
    if (!h) throw new Error(`no connection to node ${action.node}`)
    if (action.type === 'sync-network') await syncNetwork(h, action, script)
    else if (action.type === 'remove-stray') await removeStray(h.transport, action)
    else if (action.type === 'remove-volume') await removeClaim(h, action)
    else if (action.type === 'update-files') await updateFiles(h, action.pod)
    else {
      if (action.type !== 'create') await removePod(h, action.old)
      if (action.type !== 'delete') await startPod(h, action.pod, script)
    }
    result.done.push(action)
    onEvent({type: 'done', action, ms: Date.now() - started})
  } catch (err) {
    result.failed.push({action, error: err as Error})
    onEvent({type: 'failed', action, error: err as Error, ms: Date.now() - started})
  }
}

/** Stops the pod's probe loops first (a liveness loop must not restart what is being stopped), then the pod. */
async function removePod(h: NodeHandle, old: ObservedPod): Promise<void> {
  const grace = old.grace ?? 30
  // emptyDir volumes live and die with the pod instance: removed in the same round trip.
  const steps = [podFilesRm(h.dataDir, old.namespace, old.name), podRm(old.podmanName, grace), ...volumeCleanup(old.namespace, old.name, old.spec?.volumes), ...(old.filesHash || usesPodFiles(old.spec) ? [podFilesRemove(h.dataDir, old.namespace, old.name)] : [])]
  const r = await h.transport.exec(steps, {timeoutMs: (grace + 60) * 1000})
  if (r.exitCode === 0 || /no pod with name or ID/i.test(r.stderr)) return
  throw new RemoteError({node: h.transport.node, argv: steps[1]!, exitCode: r.exitCode, stderr: r.stderr, what: `failed to remove pod ${old.namespace}/${old.name}`, hint: `kgit get pods -n ${old.namespace} -o wide`})
}

/** A claim that left git: its mark on the node, and the directory kgit provisioned when its reclaim policy says Delete. */
async function removeClaim(h: NodeHandle, action: Extract<Action, {type: 'remove-volume'}>): Promise<void> {
  const argv = claimRemove(h.dataDir, action.mark.namespace, action.mark.claim, action.data)
  const r = await h.transport.exec([argv], {timeoutMs: 300_000})
  if (r.exitCode !== 0) throw new RemoteError({node: h.transport.node, argv, exitCode: r.exitCode, stderr: r.stderr, what: `failed to remove volume ${action.mark.pv} of claim ${action.mark.namespace}/${action.mark.claim}`})
}

/** Writes the node's network state in one round trip (templates/node/kgit-net.sh). */
async function syncNetwork(h: NodeHandle, action: Extract<Action, {type: 'sync-network'}>, script: string): Promise<void> {
  const {argv, stdin} = networkSync(script, h.dataDir, action.state, action.hash)
  const r = await h.transport.exec([argv], {stdin, timeoutMs: 300_000})
  if (r.exitCode !== 0) throw new RemoteError({node: h.transport.node, argv: ['bash', '-c', '<templates/node/kgit-net.sh>', ...argv.slice(3)], exitCode: r.exitCode, stderr: r.stderr, what: `failed to write the pod network (${action.state.slice}) and kgit's iptables chains`, hint: 'see the kgit-net line above; kgit plan shows the state it wants'})
}

async function removeStray(t: Transport, action: Extract<Action, {type: 'remove-stray'}>): Promise<void> {
  const argv = strayRm(action.stray)
  const r = await t.exec([argv], {timeoutMs: 120_000})
  if (r.exitCode !== 0 && !/no (pod|container) with name or ID/i.test(r.stderr)) {
    throw new RemoteError({node: t.node, argv, exitCode: r.exitCode, stderr: r.stderr, what: `failed to remove ${action.stray.name}`})
  }
}

/**
 * Creates and starts a pod in one round trip. A pod that fails half way is removed
 * again, by the ID its `pod create` printed: never by name, which could be a pod kgit
 * does not own or one another run just made.
 */
async function startPod(h: NodeHandle, pod: DesiredPod, script: string): Promise<void> {
  const ctx: NodeContext = {dataDir: h.dataDir, probeScript: script, node: h.transport.node}
  const steps = podRun(pod, ctx)
  const t = h.transport
  const r = await t.exec(steps, {timeoutMs: 300_000, ...filesInput(pod)})
  if (r.exitCode === 0) return
  const id = /^([0-9a-f]{64})$/m.exec(r.stdout)?.[1]
  if (id) await t.exec([podFilesRm(h.dataDir, pod.namespace, pod.name), podRm(id, 0), ...volumeCleanup(pod.namespace, pod.name, pod.spec.volumes), ...(pod.files ? [podFilesRemove(h.dataDir, pod.namespace, pod.name)] : [])]).catch(() => undefined)
  throw new RemoteError({node: t.node, argv: steps.flat(), exitCode: r.exitCode, stderr: r.stderr, what: `failed to start pod ${pod.namespace}/${pod.name}`, hint: `kgit describe pod ${pod.name} -n ${pod.namespace}`})
}

/** A pod's files as the write step's stdin: secret values go through the SSH channel, never argv. */
function filesInput(pod: DesiredPod): {stdin?: string} {
  return pod.files ? {stdin: new TextDecoder().decode(filesPayload(pod, pod.files).reveal())} : {}
}

/** New content of a running pod's configMap and secret volumes, swapped in place: the pod keeps running. */
async function updateFiles(h: NodeHandle, pod: DesiredPod): Promise<void> {
  const argv = podFilesWrite(h.dataDir, pod, 'update')
  const r = await h.transport.exec([argv], {timeoutMs: 120_000, ...filesInput(pod)})
  if (r.exitCode !== 0) throw new RemoteError({node: h.transport.node, argv: argv.slice(0, 1).concat(argv.slice(3)), exitCode: r.exitCode, stderr: r.stderr, what: `failed to update the files of pod ${pod.namespace}/${pod.name}`, hint: `kgit describe pod ${pod.name} -n ${pod.namespace}`})
}
