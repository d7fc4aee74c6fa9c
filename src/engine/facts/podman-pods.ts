import {LABEL, MANAGED_FILTER} from '../marks.js'
import type {ObservedContainer, ObservedPod, OwnerRef} from '../types.js'
import type {Fact} from './fact.js'

interface RawPod {
  Name?: string
  Status?: string
  Created?: string
  Labels?: Record<string, string> | null
}

interface RawContainer {
  Names?: string[] | string
  State?: string
  ExitCode?: number
  StartedAt?: number
  IsInfra?: boolean
  PodName?: string
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

/** kgit's podman pods on a node. */
export const podmanPods: Fact<RawPod[]> = {
  name: 'podman pods',
  argv: ['podman', 'pod', 'ps', '--filter', MANAGED_FILTER, '--format', 'json'],
  parse: (stdout) => parseJsonArray<RawPod>('podman pod ps', stdout),
}

/** kgit's containers on a node (infra containers carry no kgit label and are left out). */
export const podmanContainers: Fact<RawContainer[]> = {
  name: 'podman containers',
  argv: ['podman', 'ps', '-a', '--filter', MANAGED_FILTER, '--format', 'json'],
  parse: (stdout) => parseJsonArray<RawContainer>('podman ps', stdout),
}

export function parseOwner(label: string | undefined): OwnerRef | undefined {
  if (!label) return undefined
  const i = label.indexOf('/')
  return i > 0 ? {kind: label.slice(0, i), name: label.slice(i + 1)} : undefined
}

/** Joins pods and their containers into the observed pods of one node. */
export function observedPods(node: string, pods: RawPod[], containers: RawContainer[]): ObservedPod[] {
  const byPod = new Map<string, ObservedContainer[]>()
  // Infra containers inherit the pod's labels; they are podman's, not the user's.
  for (const c of containers.filter((x) => !x.IsInfra)) {
    const labels = c.Labels ?? {}
    const pod = labels[LABEL.pod] ?? c.PodName ?? ''
    const list = byPod.get(pod) ?? []
    const oc: ObservedContainer = {name: labels[LABEL.container] ?? '', container: Array.isArray(c.Names) ? (c.Names[0] ?? '') : (c.Names ?? ''), state: (c.State ?? 'unknown').toLowerCase()}
    if (c.ExitCode !== undefined) oc.exitCode = c.ExitCode
    if (c.StartedAt) oc.startedAt = c.StartedAt
    list.push(oc)
    byPod.set(pod, list)
  }
  return pods.flatMap((p) => {
    const labels = p.Labels ?? {}
    const name = labels[LABEL.name]
    const namespace = labels[LABEL.namespace]
    if (!p.Name || !name || !namespace) return []
    let userLabels: Record<string, string> = {}
    try {
      userLabels = JSON.parse(labels[LABEL.labels] ?? '{}') as Record<string, string>
    } catch {
      userLabels = {}
    }
    const o: ObservedPod = {
      node,
      podmanName: p.Name,
      namespace,
      name,
      specHash: labels[LABEL.specHash] ?? '',
      labels: userLabels,
      status: p.Status ?? 'Unknown',
      created: p.Created ?? '',
      containers: (byPod.get(p.Name) ?? []).sort((a, b) => a.name.localeCompare(b.name)),
    }
    const owner = parseOwner(labels[LABEL.owner])
    if (owner) o.owner = owner
    if (labels[LABEL.templateHash]) o.templateHash = labels[LABEL.templateHash]
    const grace = Number(labels[LABEL.grace])
    if (Number.isFinite(grace)) o.grace = grace
    return [o]
  })
}
