import {podRequests} from '../facts/node-resources.js'
import type {PodSpec, Resources} from '../types.js'

/** Kubernetes' scoring defaults for a container that requests nothing (100m cpu, 200Mi memory). */
export const DEFAULT_SCORING_CPU = 100
export const DEFAULT_SCORING_MEMORY = 200 * 2 ** 20

const requestsCache = new WeakMap<PodSpec, Resources>()
const scoringCache = new WeakMap<PodSpec, Resources>()

/** What a pod requests, computed once per spec object (pods of one template share theirs). */
export function cachedRequests(spec: PodSpec): Resources {
  let r = requestsCache.get(spec)
  if (!r) requestsCache.set(spec, (r = podRequests(spec)))
  return r
}

/** Requests as the scoring plugins count them: a container without cpu or memory requests counts the defaults. */
export function scoringRequests(spec: PodSpec): Resources {
  let r = scoringCache.get(spec)
  if (r) return r
  r = {cpu: 0, memory: 0}
  for (const c of spec.containers) {
    r.cpu! += c.resources?.requests.cpu ?? DEFAULT_SCORING_CPU
    r.memory! += c.resources?.requests.memory ?? DEFAULT_SCORING_MEMORY
  }
  scoringCache.set(spec, r)
  return r
}

const portsCache = new WeakMap<PodSpec, string[]>()

/** `hostIP:hostPort/protocol` of every host port the pod asks for (computed once per spec object). */
export function hostPortsOf(spec: PodSpec): string[] {
  let ports = portsCache.get(spec)
  if (!ports) portsCache.set(spec, (ports = spec.containers.flatMap((c) => c.ports.filter((p) => p.hostPort !== undefined).map((p) => `${p.hostIP ?? '0.0.0.0'}:${p.hostPort}/${p.protocol}`))))
  return ports
}

/** A host port is taken when the same port and protocol is used on the same IP or on 0.0.0.0. */
export function portTaken(used: Set<string>, want: string): boolean {
  if (used.has(want)) return true
  const [ip, rest] = splitHostPort(want)
  for (const u of used) {
    const [uip, urest] = splitHostPort(u)
    if (urest === rest && (ip === '0.0.0.0' || uip === '0.0.0.0')) return true
  }
  return false
}

function splitHostPort(s: string): [string, string] {
  const i = s.lastIndexOf(':')
  return [s.slice(0, i), s.slice(i + 1)]
}
