import {LABEL, MANAGED_FILTER, podmanPodName} from '../marks.js'
import type {ObservedContainer, ObservedPod, OwnerRef, PodSpec, StrayContainer} from '../types.js'
import type {Fact} from './fact.js'
import type {NodeFiles} from './node-files.js'
import {assessPod, parseProbeMarks} from './pod-health.js'
import {byText} from '../order.js'

/** The fields kgit reads from `podman ps --format json`. */
export interface RawContainer {
  Id?: string
  Names?: string[] | string
  State?: string
  ExitCode?: number
  StartedAt?: number
  /** Unix seconds of the last exit (0 or absent: never exited). */
  ExitedAt?: number
  Created?: number
  IsInfra?: boolean
  Pod?: string
  Labels?: Record<string, string> | null
}

function parseJsonArray<T>(what: string, stdout: string): T[] {
  const text = stdout.trim()
  if (text === '' || text === 'null') return []
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (err) {
    throw new Error(`cannot parse ${what} output as JSON: ${text.slice(0, 80)}`, {cause: err})
  }
  if (!Array.isArray(v)) throw new Error(`${what} output is not a JSON list`)
  return v as T[]
}

/**
 * kgit's containers on a node, infra containers included: podman copies a pod's labels
 * to its infra container, so this one call describes the pods as well.
 */
export const podmanContainers: Fact<RawContainer[]> = {
  name: 'podman containers',
  argv: ['podman', 'ps', '--all', '--filter', MANAGED_FILTER, '--format', 'json'],
  parse: (stdout) => parseJsonArray<RawContainer>('podman ps', stdout),
}

export function parseOwner(label: string | undefined): OwnerRef | undefined {
  if (!label) return undefined
  const i = label.indexOf('/')
  return i > 0 ? {kind: label.slice(0, i), name: label.slice(i + 1)} : undefined
}

function firstName(c: RawContainer): string {
  return Array.isArray(c.Names) ? (c.Names[0] ?? '') : (c.Names ?? '')
}

function toContainer(c: RawContainer, clock: (nodeSeconds: number) => number, restarts?: ReadonlyMap<string, number>): ObservedContainer {
  const oc: ObservedContainer = {name: c.Labels?.[LABEL.container] ?? '', container: firstName(c), state: (c.State ?? 'unknown').toLowerCase()}
  if (c.Id) oc.id = c.Id
  if (c.ExitCode !== undefined) oc.exitCode = c.ExitCode
  if (c.StartedAt && c.StartedAt > 0) oc.startedAt = c.StartedAt
  if (oc.state === 'exited' && c.ExitedAt && c.ExitedAt > 0) oc.finishedAt = clock(c.ExitedAt)
  const n = c.Id ? restarts?.get(c.Id) : undefined
  if (n !== undefined) oc.restarts = n
  return oc
}

/** podman's pod status, from its containers. */
function podStatus(infra: RawContainer, containers: ObservedContainer[]): string {
  const running = containers.filter((c) => c.state === 'running').length
  if (infra.State !== 'running' && running === 0) return containers.some((c) => c.state === 'exited') || infra.State === 'exited' ? 'Exited' : 'Created'
  if (containers.length > 0 && running === containers.length) return 'Running'
  return 'Degraded'
}

export interface PodReading {
  /** kgit's files on the node: with them, readiness and drift are assessed. */
  files?: NodeFiles
  /** This machine's clock (ms) when the node answered. */
  at?: number
  /** Container ID -> restarts (containers that restart on failure). */
  restarts?: ReadonlyMap<string, number>
}

/** Groups the containers of one node into the pods kgit made (a pod is known by its infra container). */
export function observedPods(node: string, containers: RawContainer[], reading: PodReading = {}): ObservedPod[] {
  const {files} = reading
  const at = reading.at ?? Date.now()
  // Node seconds to local milliseconds: the node's clock may be off from ours.
  const clock = (s: number): number => (files?.now ? at - (files.now - s) * 1000 : s * 1000)
  const byPod = new Map<string, ObservedContainer[]>()
  for (const c of containers) {
    if (c.IsInfra || !c.Pod) continue
    byPod.set(c.Pod, [...(byPod.get(c.Pod) ?? []), toContainer(c, clock, reading.restarts)])
  }
  return containers.flatMap((infra) => {
    const labels = infra.Labels ?? {}
    const name = labels[LABEL.name]
    const namespace = labels[LABEL.namespace]
    if (!infra.IsInfra || !infra.Pod || !name || !namespace) return []
    const members = (byPod.get(infra.Pod) ?? []).sort((a, b) => byText(a.name, b.name))
    const o: ObservedPod = {
      node,
      // The pod's ID: removal then hits exactly the pod that was observed.
      podmanName: infra.Pod,
      namespace,
      name,
      specHash: labels[LABEL.specHash] ?? '',
      labels: parseLabels(labels[LABEL.labels]),
      status: podStatus(infra, members),
      created: infra.Created ? new Date(infra.Created * 1000).toISOString() : '',
      containers: members,
    }
    const owner = parseOwner(labels[LABEL.owner])
    if (owner) o.owner = owner
    if (labels[LABEL.templateHash]) o.templateHash = labels[LABEL.templateHash]
    const grace = Number(labels[LABEL.grace])
    if (labels[LABEL.grace] !== undefined && Number.isFinite(grace)) o.grace = grace
    if (labels[LABEL.keep] === 'true') o.keep = true
    if (labels[LABEL.ip]) o.ip = labels[LABEL.ip]
    const spec = parseSpec(labels[LABEL.spec])
    if (spec) o.spec = spec
    const filesHash = files?.podFiles.get(podmanPodName(namespace, name))
    if (filesHash) o.filesHash = filesHash
    if (files) assessPod(o, parseProbeMarks(labels[LABEL.probes]), files, clock)
    else {
      o.ready = members.length > 0 && members.every((c) => c.state === 'running')
      if (!o.ready) o.notReady = 'not all containers run'
    }
    return [o]
  })
}

/**
 * Containers that carry kgit's mark but belong to no pod kgit made: started by hand
 * or left by something else. They are drift, removed by apply.
 */
export function strayContainers(node: string, containers: RawContainer[]): StrayContainer[] {
  const pods = new Set(containers.filter((c) => c.IsInfra && c.Pod && c.Labels?.[LABEL.name] && c.Labels[LABEL.namespace]).map((c) => c.Pod))
  return containers
    .filter((c) => c.Id && !(c.Pod && pods.has(c.Pod)))
    .map((c) => ({node, id: c.Id!, name: firstName(c), ...(c.IsInfra && c.Pod ? {pod: c.Pod} : {}), reason: c.IsInfra ? `pod infra container ${firstName(c)} carries kgit's labels but no pod name` : `container ${firstName(c)} carries kgit's labels but is in no pod kgit made`}))
}

function parseSpec(json: string | undefined): PodSpec | undefined {
  if (!json) return undefined
  try {
    const v = JSON.parse(json) as PodSpec
    return v && Array.isArray(v.containers) ? v : undefined
  } catch {
    return undefined
  }
}

function parseLabels(json: string | undefined): Record<string, string> {
  try {
    const v: unknown = JSON.parse(json ?? '{}')
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : {}
  } catch {
    return {}
  }
}
