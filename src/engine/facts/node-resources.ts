import type {NodeObservation, NodeSpec, ObservedPod, PodSpec, Resources} from '../types.js'

/** The kubelet's default `--max-pods`: a node's capacity and allocatable `pods`. */
export const DEFAULT_MAX_PODS = 110

/** Kubernetes' quality of service class of a pod, from its containers' requests and limits. */
export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort'

/** The resources QoS looks at (extended resources do not count). */
const QOS_RESOURCES = ['cpu', 'memory'] as const

/**
 * What a node has: what it reports (online CPUs, MemTotal), with each resource `kgit.yaml`
 * gives under `capacity` taking the place of the reported one, and `pods` 110 unless given.
 */
export function nodeCapacity(spec: NodeSpec, obs?: NodeObservation): Resources {
  const reported = obs?.reachable ? obs.capacity : undefined
  return {pods: DEFAULT_MAX_PODS, ...reported, ...spec.capacity}
}

/**
 * What pods may use on a node, per resource: `allocatable` from `kgit.yaml` when it names
 * the resource, else capacity minus `reserved` (never below 0). A resource the node does
 * not report and `kgit.yaml` does not give is absent: unknown, not zero.
 */
export function nodeAllocatable(spec: NodeSpec, obs?: NodeObservation): Resources {
  const cap = nodeCapacity(spec, obs)
  const out: Resources = {}
  for (const [r, v] of Object.entries(cap)) out[r] = Math.max(0, v - (spec.reserved?.[r] ?? 0))
  return {...out, ...spec.allocatable}
}

/** The sum of the containers' requests (a limit without a request was copied to the request when read). */
export function podRequests(spec: PodSpec): Resources {
  return sum(spec.containers.map((c) => c.resources?.requests ?? {}))
}

/** The sum of the containers' limits, for the resources some container limits. */
export function podLimits(spec: PodSpec): Resources {
  return sum(spec.containers.map((c) => c.resources?.limits ?? {}))
}

/**
 * Kubernetes' rules: Guaranteed when every container limits cpu and memory and requests
 * exactly that; BestEffort when no container requests or limits cpu or memory; else Burstable.
 */
export function qosClass(spec: PodSpec): QosClass {
  const given = (r?: Resources): boolean => QOS_RESOURCES.some((k) => r?.[k] !== undefined)
  if (!spec.containers.some((c) => given(c.resources?.requests) || given(c.resources?.limits))) return 'BestEffort'
  const guaranteed = spec.containers.every((c) =>
    QOS_RESOURCES.every((k) => {
      const limit = c.resources?.limits[k]
      return limit !== undefined && (c.resources?.requests[k] ?? limit) === limit
    }),
  )
  return guaranteed ? 'Guaranteed' : 'Burstable'
}

/**
 * What the kgit pods on a node hold: the sum of their requests, from the spec each was
 * started with, and `pods`, their count. Pods that ran to completion (Kubernetes'
 * Succeeded or Failed phase) hold nothing.
 */
export function allocated(pods: ObservedPod[]): Resources {
  const live = pods.filter((p) => !isTerminated(p))
  return {...sum(live.map((p) => (p.spec ? podRequests(p.spec) : {}))), pods: live.length}
}

/** A pod whose containers all exited and will not be restarted (restartPolicy Never, or OnFailure and all succeeded). */
export function isTerminated(p: ObservedPod): boolean {
  const policy = p.spec?.restartPolicy ?? 'Always'
  if (policy === 'Always' || p.containers.length === 0 || !p.containers.every((c) => c.state === 'exited')) return false
  return policy === 'Never' || p.containers.every((c) => c.exitCode === 0)
}

/** Per-resource sum. */
export function sum(list: Resources[]): Resources {
  const out: Resources = {}
  for (const r of list) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v
  return out
}
