import {ManifestError, type SourcePos} from '../errors.js'
import {podLimits, podRequests} from '../facts/node-resources.js'
import {podSpecOf} from '../manifest/env.js'
import {formatAmount} from '../manifest/quantity.js'
import type {PathPart} from '../manifest/yaml-docs.js'
import type {ContainerSpec, KObject, LimitRangeItem, LimitRangeObject, PodSpec, Resources} from '../types.js'

/** Where a field of an object is written (the field itself, or the nearest one that is). */
export type PosOf = (o: KObject, path: PathPart[]) => SourcePos

type Kind = 'requests' | 'limits'

/**
 * Kubernetes' LimitRanger on the revision: default requests and limits from the
 * namespace's LimitRanges fill in the containers of Pods and pod templates (before their
 * hashes are taken, so a new default rolls the pods), then min, max and
 * maxLimitRequestRatio are checked per container and per pod.
 */
export function applyLimitRanges(objects: KObject[], posOf: PosOf): ManifestError[] {
  const ranges = new Map<string, LimitRangeObject[]>()
  for (const o of objects) if (o.kind === 'LimitRange') ranges.set(o.metadata.namespace, [...(ranges.get(o.metadata.namespace) ?? []), o])
  const errors: ManifestError[] = []
  for (const o of objects) {
    const target = podSpecOf(o)
    const lrs = ranges.get(o.metadata.namespace)
    if (!target || !lrs) continue
    const at = (p: PathPart[]): SourcePos => posOf(o, [...target.base, ...p])
    for (const lr of [...lrs].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
      for (const item of lr.spec.limits) {
        if (item.type === 'Container') target.spec.containers.forEach((c, i) => errors.push(...containerLimits(c, item, {lr, at: (p) => at(['containers', i, 'resources', ...p])})))
        if (item.type === 'Pod') errors.push(...podBounds(target.spec, item, {lr, at}))
      }
    }
  }
  return errors
}

interface Ctx {
  lr: LimitRangeObject
  at: (p: PathPart[]) => SourcePos
}

/** Fills in defaults (a value the container gives is kept), then checks the container. */
function containerLimits(c: ContainerSpec, item: LimitRangeItem, ctx: Ctx): ManifestError[] {
  const given = c.resources ?? {requests: {}, limits: {}}
  const res = {requests: {...given.requests}, limits: {...given.limits}}
  for (const [k, v] of Object.entries(item.default)) res.limits[k] ??= v
  for (const [k, v] of Object.entries(item.defaultRequest)) res.requests[k] ??= v
  if (Object.keys(res.requests).length > 0 || Object.keys(res.limits).length > 0) c.resources = res
  const errors: ManifestError[] = []
  for (const [k, req] of Object.entries(res.requests)) {
    const lim = res.limits[k]
    if (lim !== undefined && req > lim && given.limits[k] === undefined) errors.push(new ManifestError(ctx.at(['requests', k]), `Invalid value: "${formatAmount(k, req)}": must be less than or equal to the ${k} limit ${formatAmount(k, lim)}, the default of ${named(ctx.lr, item)}`))
  }
  return [...errors, ...bounds(res, item, 'Container', ctx)]
}

/** The pod's total (sum of its containers) against a Pod item. */
function podBounds(spec: PodSpec, item: LimitRangeItem, ctx: Ctx): ManifestError[] {
  return bounds({requests: podRequests(spec), limits: podLimits(spec)}, item, 'Pod', ctx)
}

/** min, max and maxLimitRequestRatio, with Kubernetes' rules (min bounds the request, max the limit). */
function bounds(res: Record<Kind, Resources>, item: LimitRangeItem, per: 'Container' | 'Pod', ctx: Ctx): ManifestError[] {
  const errors: ManifestError[] = []
  const fail = (kind: Kind, k: string, detail: string): void => void errors.push(new ManifestError(ctx.at(per === 'Pod' ? [] : [kind, k]), `${detail} of ${named(ctx.lr, item)}`))
  const show = (k: string, v: number): string => formatAmount(k, v)
  // A container's field is named by the error's path; a pod's total is not a field.
  const what = (kind: Kind, k: string): string => (per === 'Pod' ? `the pod's total ${kind}.${k} ` : '')
  for (const [k, min] of Object.entries(item.min)) {
    if (res.requests[k] === undefined) fail('requests', k, `${k} request is required: the minimum ${show(k, min)} per ${per}`)
    const low = (['requests', 'limits'] as const).find((kind) => (res[kind][k] ?? Infinity) < min)
    if (low) fail(low, k, `${what(low, k)}${show(k, res[low][k]!)} is below the minimum ${show(k, min)} per ${per}`)
  }
  for (const [k, max] of Object.entries(item.max)) {
    if (res.limits[k] === undefined) fail('limits', k, `${k} limit is required: the maximum ${show(k, max)} per ${per}`)
    const high = (['limits', 'requests'] as const).find((kind) => (res[kind][k] ?? -Infinity) > max)
    if (high) fail(high, k, `${what(high, k)}${show(k, res[high][k]!)} is above the maximum ${show(k, max)} per ${per}`)
  }
  for (const [k, ratio] of Object.entries(item.maxLimitRequestRatio)) {
    const req = res.requests[k]
    const lim = res.limits[k]
    if (!req) fail('requests', k, `${k} request is required (and not 0): the maximum limit/request ratio is ${ratio} per ${per}`)
    else if (!lim) fail('limits', k, `${k} limit is required (and not 0): the maximum limit/request ratio is ${ratio} per ${per}`)
    else if (lim / req > ratio + 1e-9) fail('limits', k, `${what('limits', k)}${show(k, lim)} is ${+(lim / req).toFixed(3)} times the request ${show(k, req)}, above the maximum limit/request ratio ${ratio} per ${per}`)
  }
  return errors
}

function named(lr: LimitRangeObject, item: LimitRangeItem): string {
  return `LimitRange ${lr.metadata.namespace}/${lr.metadata.name} (${item.source.file}${item.source.line !== undefined ? `:${item.source.line}` : ''})`
}
