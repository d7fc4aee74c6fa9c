import {objectUsage, podsInUse, podsUsage} from '../engine/admission/quota.js'
import {formatAmount} from '../engine/manifest/quantity.js'
import type {PlanRun} from '../engine/session.js'
import type {KObject, LimitRangeItem, LimitRangeObject, NamespaceObject, ResourceQuotaObject} from '../engine/types.js'
import {table} from './table.js'

/** Namespaces that exist without a Namespace object, as in Kubernetes. */
export const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public']

/** The Namespace object, or a bare one for a built-in namespace; undefined: no such namespace. */
export function findNamespace(objects: KObject[], name: string): Pick<NamespaceObject, 'metadata'> | undefined {
  const ns = objects.find((o): o is NamespaceObject => o.kind === 'Namespace' && o.metadata.name === name)
  return ns ?? (BUILTIN_NAMESPACES.includes(name) ? {metadata: {name, namespace: '', labels: {}, annotations: {}}} : undefined)
}

/**
 * `kubectl describe namespace`: its labels, then each ResourceQuota with what the pods
 * that run now use against the hard amounts, then each LimitRange as a table.
 */
export function describeNamespace(run: Pick<PlanRun, 'desired' | 'observed'>, ns: Pick<NamespaceObject, 'metadata'>): string[] {
  const name = ns.metadata.name
  const kv = (m: Record<string, string>): string => Object.entries(m).map(([k, v]) => `${k}=${v}`).join('\n              ') || '<none>'
  const lines = [`Name:         ${name}`, `Labels:       ${kv(ns.metadata.labels)}`, `Annotations:  ${kv(ns.metadata.annotations)}`, 'Status:       Active', '']
  const mine = run.desired.objects.filter((o) => o.metadata.namespace === name)
  const quotas = mine.filter((o): o is ResourceQuotaObject => o.kind === 'ResourceQuota')
  const ranges = mine.filter((o): o is LimitRangeObject => o.kind === 'LimitRange')
  lines.push(...(quotas.length > 0 ? ['Resource Quotas', ...quotas.flatMap((q) => quotaLines(run, q))] : ['No resource quota.']), '')
  lines.push(...(ranges.length > 0 ? ['Resource Limits', ...limitLines(ranges)] : ['No LimitRange resource.']))
  return lines
}

function quotaLines(run: Pick<PlanRun, 'desired' | 'observed'>, q: ResourceQuotaObject): string[] {
  const pods = podsInUse(run.observed)
  const used = {...podsUsage(q, pods), ...objectUsage(q, run.desired.objects)}
  const keys = Object.keys(q.spec.hard).sort()
  const rows = [['Resource', 'Used', 'Hard'], ['--------', '---', '---'], ...keys.map((k) => [k, used[k] === undefined ? '<not tracked>' : formatAmount(k, used[k]), formatAmount(k, q.spec.hard[k]!)])]
  const scopes = q.spec.scopes.length > 0 ? [`  Scopes:          ${q.spec.scopes.join(', ')}`] : []
  const note = q.unenforced ? [`  (not enforced: ${q.unenforced})`] : []
  return [`  Name:            ${q.metadata.name}`, ...scopes, ...note, ...table(rows).map((l) => `  ${l}`)]
}

function limitLines(ranges: LimitRangeObject[]): string[] {
  const rows = [['Type', 'Resource', 'Min', 'Max', 'Default Request', 'Default Limit', 'Max Limit/Request Ratio'], ['----', '--------', '---', '---', '---------------', '-------------', '-----------------------']]
  for (const lr of ranges) for (const item of lr.spec.limits) rows.push(...itemRows(item))
  return table(rows).map((l) => ` ${l}`)
}

function itemRows(item: LimitRangeItem): string[][] {
  const keys = [...new Set([...Object.keys(item.min), ...Object.keys(item.max), ...Object.keys(item.defaultRequest), ...Object.keys(item.default), ...Object.keys(item.maxLimitRequestRatio)])].sort()
  const cell = (m: Record<string, number>, k: string): string => (m[k] === undefined ? '-' : formatAmount(k, m[k]))
  return keys.map((k) => [item.type, k, cell(item.min, k), cell(item.max, k), cell(item.defaultRequest, k), cell(item.default, k), item.maxLimitRequestRatio[k] === undefined ? '-' : String(item.maxLimitRequestRatio[k])])
}
