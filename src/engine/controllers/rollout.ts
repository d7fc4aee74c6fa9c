import type {DeploymentStrategy, ObservedPod} from '../types.js'
import {byText} from '../order.js'

/** A pod as the rollout sees it: reachable or only known from the records (unknown). */
export interface RolloutInput {
  replicas: number
  strategy: DeploymentStrategy
  minReadySeconds: number
  progressDeadlineSeconds: number
  paused: boolean
  /** Pods of the current template (pod-template-hash of the revision). */
  current: ObservedPod[]
  /** Pods of older templates. */
  old: ObservedPod[]
  now: number
}

export interface RolloutStep {
  /** New pods of the current template to start now. */
  create: number
  remove: {pod: ObservedPod; reason: string}[]
  status: RolloutStatus
}

export interface RolloutStatus {
  replicas: number
  updated: number
  ready: number
  available: number
  old: number
  complete: boolean
  paused: boolean
  /** The rollout made no progress for progressDeadlineSeconds. */
  deadlineExceeded: boolean
  /** When it last made progress (ms), for the deadline. */
  progressAt: number
  /** Why pods of the current template are not available, one line per pod. */
  notAvailable: string[]
  /** Pods of the template on reachable nodes that may yet become available: worth waiting for. */
  pending: number
}

/** Kubernetes' rounding: surge rounds up, unavailable rounds down; both zero means one unavailable. */
export function resolveRollingLimits(replicas: number, maxSurge: number | string, maxUnavailable: number | string): {surge: number; unavailable: number} {
  const value = (v: number | string, up: boolean): number => {
    if (typeof v === 'number') return v
    const pct = (Number(v.slice(0, -1)) * replicas) / 100
    return up ? Math.ceil(pct) : Math.floor(pct)
  }
  const surge = value(maxSurge, true)
  const unavailable = value(maxUnavailable, false)
  return {surge, unavailable: surge === 0 && unavailable === 0 ? 1 : unavailable}
}

export function isAvailable(p: ObservedPod, minReadySeconds: number, now: number): boolean {
  return !p.unknown && p.ready === true && (minReadySeconds === 0 || (p.readySince ?? now) + minReadySeconds * 1000 <= now)
}

/** Of pods to remove, Kubernetes' preference: not available first, then the newest. */
function removalOrder(minReady: number, now: number): (a: ObservedPod, b: ObservedPod) => number {
  return (a, b) => Number(isAvailable(a, minReady, now)) - Number(isAvailable(b, minReady, now)) || byText(b.created, a.created) || byText(b.name, a.name)
}

/**
 * One step of a Deployment's rollout, as the Kubernetes deployment controller computes
 * it from what runs now. The caller carries the step out, waits, observes and asks again.
 */
export function rolloutStep(d: RolloutInput): RolloutStep {
  const avail = (p: ObservedPod): boolean => isAvailable(p, d.minReadySeconds, d.now)
  const order = removalOrder(d.minReadySeconds, d.now)
  const reachable = (p: ObservedPod): boolean => !p.unknown
  const remove: RolloutStep['remove'] = []
  let create = 0
  const status = rolloutStatus(d)
  if (d.paused) return {create, remove, status}
  const R = d.replicas
  if (d.current.length > R) {
    for (const p of d.current.filter(reachable).sort(order).slice(0, d.current.length - R)) remove.push({pod: p, reason: `surplus replica (replicas: ${R})`})
  }
  if (d.strategy.type === 'Recreate') {
    for (const p of d.old.filter(reachable)) remove.push({pod: p, reason: 'old template (strategy Recreate: all old pods go before new ones start)'})
    if (d.old.length === 0) create = Math.max(0, R - d.current.length)
    return {create, remove, status}
  }
  const {surge, unavailable} = resolveRollingLimits(R, d.strategy.rollingUpdate.maxSurge, d.strategy.rollingUpdate.maxUnavailable)
  const all = d.current.length + d.old.length
  if (d.current.length < R) create = Math.max(0, Math.min(R + surge - all, R - d.current.length))
  const minAvailable = R - unavailable
  const newUnavailable = d.current.filter((p) => !avail(p)).length
  let budget = all - minAvailable - newUnavailable
  const old = d.old.filter(reachable).sort(order)
  // Old pods that are not available go first: removing them costs no availability.
  for (const p of old) {
    if (budget <= 0 || avail(p)) break
    remove.push({pod: p, reason: `old template, not available (rolling update: ${describeLimits(surge, unavailable)})`})
    budget--
  }
  const available = [...d.current, ...d.old].filter(avail).length
  let scaleDown = available - minAvailable
  for (const p of old) {
    if (scaleDown <= 0) break
    if (!avail(p)) continue
    remove.push({pod: p, reason: `old template (rolling update: ${describeLimits(surge, unavailable)})`})
    scaleDown--
  }
  return {create, remove, status}
}

function describeLimits(surge: number, unavailable: number): string {
  return `maxSurge ${surge}, maxUnavailable ${unavailable}`
}

/** Where a rollout stands, from the pods alone: nothing is remembered between runs. */
export function rolloutStatus(d: RolloutInput): RolloutStatus {
  const avail = (p: ObservedPod): boolean => isAvailable(p, d.minReadySeconds, d.now)
  const available = [...d.current, ...d.old].filter(avail).length
  const updatedAvailable = d.current.filter(avail).length
  const complete = d.current.length === d.replicas && updatedAvailable === d.replicas && d.old.length === 0
  // Progress: the newest pod of the template started, or the newest one became ready.
  let progressAt = 0
  for (const p of d.current) {
    progressAt = Math.max(progressAt, Date.parse(p.created) || 0)
    if (avail(p)) progressAt = Math.max(progressAt, (p.readySince ?? 0) + d.minReadySeconds * 1000)
  }
  const notAvailable = d.current.filter((p) => !avail(p)).map((p) => `pod ${p.name}${p.unknown ? '' : ` on ${p.node}`}: ${notAvailableReason(p, d.minReadySeconds)}`)
  return {
    replicas: d.replicas,
    updated: d.current.length,
    ready: [...d.current, ...d.old].filter((p) => p.ready).length,
    available,
    old: d.old.length,
    complete,
    paused: d.paused,
    deadlineExceeded: !complete && !d.paused && progressAt > 0 && d.now - progressAt > d.progressDeadlineSeconds * 1000,
    progressAt,
    notAvailable,
    pending: d.current.filter((p) => !p.unknown && !avail(p)).length,
  }
}

function notAvailableReason(p: ObservedPod, minReady: number): string {
  if (p.unknown) return `its node ${p.node} does not answer`
  if (!p.ready) return p.notReady ?? 'not ready'
  return `ready, waiting minReadySeconds (${minReady}s)`
}
