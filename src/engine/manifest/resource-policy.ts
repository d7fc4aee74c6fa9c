import type {LimitRangeItem, LimitRangeObject, ObjectMeta, QuotaScope, ResourceQuotaObject, Resources} from '../types.js'
import {quotaTracking} from '../admission/quota.js'
import type {FieldReader} from './field-reader.js'
import {formatAmount} from './quantity.js'
import {readResourceList} from './resources.js'
import type {PathPart} from './yaml-docs.js'

const SCOPES = ['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating']
const OTHER_SCOPES = ['PriorityClass', 'CrossNamespacePodAffinity']
const LIMIT_TYPES = ['Container', 'Pod', 'PersistentVolumeClaim']

/** A ResourceQuota: hard amounts per namespace, optionally for a scope of pods. */
export function readResourceQuota(r: FieldReader, apiVersion: string, source: ResourceQuotaObject['source'], metadata: ObjectMeta): ResourceQuotaObject {
  const hard = readResourceList(r, ['spec', 'hard'], {prefixed: true})
  const scopes: QuotaScope[] = []
  const unenforced: string[] = []
  for (const [i, s] of (r.strList(['spec', 'scopes']) ?? []).entries()) {
    if (SCOPES.includes(s)) scopes.push(s as QuotaScope)
    else if (OTHER_SCOPES.includes(s)) unenforced.push(`scope ${s}`)
    else r.fail(['spec', 'scopes', i], `Unsupported value: "${s}": supported values: ${[...SCOPES, ...OTHER_SCOPES].join(', ')}`)
  }
  for (const [i, e] of (r.list(['spec', 'scopeSelector', 'matchExpressions']) ?? []).entries()) {
    const p = ['spec', 'scopeSelector', 'matchExpressions', i]
    const name = r.str([...p, 'scopeName'], {required: true}) ?? ''
    const op = r.str([...p, 'operator'], {required: true, oneOf: ['In', 'NotIn', 'Exists', 'DoesNotExist']})
    if (SCOPES.includes(name) && op === 'Exists') scopes.push(name as QuotaScope)
    else if (SCOPES.includes(name)) r.fail([...p, 'operator'], `Unsupported value: "${op}": scope ${name} takes operator Exists`)
    else unenforced.push(`scopeSelector ${name} ${op ?? ''} ${JSON.stringify((e as {values?: unknown}).values ?? [])}`.trim())
  }
  checkScopedResources(r, hard, scopes)
  for (const k of Object.keys(hard)) {
    const t = quotaTracking(k)
    if (t.by === 'none') r.warn(['spec', 'hard', k], `${k} is not enforced by this version of kgit: ${t.why}`)
  }
  if (unenforced.length > 0) r.warn(['spec'], `ResourceQuota ${metadata.namespace}/${metadata.name} is not enforced: kgit cannot tell which pods ${unenforced.join(', ')} selects yet`)
  const quota: ResourceQuotaObject = {kind: 'ResourceQuota', apiVersion, source, metadata, spec: {hard, scopes: [...new Set(scopes)]}}
  return unenforced.length > 0 ? {...quota, unenforced: unenforced.join(', ')} : quota
}

/** Kubernetes: a BestEffort quota tracks only pods; the other scopes only pods and compute resources. */
function checkScopedResources(r: FieldReader, hard: Resources, scopes: string[]): void {
  if (scopes.length === 0) return
  const compute = (k: string): boolean => ['pods', 'count/pods', 'cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'].includes(k)
  const bestEffort = scopes.includes('BestEffort')
  for (const k of Object.keys(hard)) {
    if (bestEffort ? k === 'pods' || k === 'count/pods' : compute(k)) continue
    r.fail(['spec', 'hard', k], `Invalid value: "${k}": unsupported scope applied to resource (scopes ${scopes.join(', ')} track ${bestEffort ? 'pods' : 'pods, cpu and memory'})`)
  }
}

/** A LimitRange: defaults, min, max and limit/request ratio per container or pod. */
export function readLimitRange(r: FieldReader, apiVersion: string, source: LimitRangeObject['source'], metadata: ObjectMeta): LimitRangeObject {
  r.map(['spec'], {required: true})
  const items = r.list(['spec', 'limits'], {required: true}) ?? []
  const limits = items.map((_, i) => readLimitItem(r, ['spec', 'limits', i]))
  return {kind: 'LimitRange', apiVersion, source, metadata, spec: {limits}}
}

function readLimitItem(r: FieldReader, p: PathPart[]): LimitRangeItem {
  const type = (r.str([...p, 'type'], {required: true, oneOf: LIMIT_TYPES}) ?? 'Container') as LimitRangeItem['type']
  const list = (f: string, ratio = false): Resources => readResourceList(r, [...p, f], {ratio})
  const item: LimitRangeItem = {type, min: list('min'), max: list('max'), default: list('default'), defaultRequest: list('defaultRequest'), maxLimitRequestRatio: list('maxLimitRequestRatio', true), source: r.doc.posOf(p)}
  if (type === 'PersistentVolumeClaim') r.warn(p, 'LimitRange type PersistentVolumeClaim is not acted on by this version of kgit (it has no volume claims yet)')
  if (type !== 'Container') {
    for (const f of ['default', 'defaultRequest'] as const) if (Object.keys(item[f]).length > 0) r.fail([...p, f], `Forbidden: may not be specified when \`type\` is '${type}'`)
  } else {
    // Kubernetes' defaulting: a default limit from max, a default request from the default limit or else from min.
    for (const [k, v] of Object.entries(item.max)) item.default[k] ??= v
    for (const [k, v] of Object.entries(item.default)) item.defaultRequest[k] ??= v
    for (const [k, v] of Object.entries(item.min)) item.defaultRequest[k] ??= v
  }
  checkLimitItem(r, p, item)
  return item
}

/** Kubernetes' rules: min <= defaultRequest <= default <= max, and a ratio of at least 1. */
function checkLimitItem(r: FieldReader, p: PathPart[], item: LimitRangeItem): void {
  const pairs: [keyof LimitRangeItem, keyof LimitRangeItem, string][] = [
    ['min', 'max', 'min value %a is greater than max value %b'],
    ['min', 'defaultRequest', 'min value %a is greater than default request value %b'],
    ['defaultRequest', 'max', 'default request value %a is greater than max value %b'],
    ['defaultRequest', 'default', 'default request value %a is greater than default limit value %b'],
    ['min', 'default', 'min value %a is greater than default value %b'],
    ['default', 'max', 'default value %a is greater than max value %b'],
  ]
  // One error per resource: the defaults derived from a wrong bound would only repeat it.
  const reported = new Set<string>()
  for (const [a, b, msg] of pairs) {
    const A = item[a] as Resources
    const B = item[b] as Resources
    for (const k of Object.keys(A)) {
      if (B[k] === undefined || A[k]! <= B[k]! || reported.has(k)) continue
      reported.add(k)
      r.fail([...p, a, k], `Invalid value: "${formatAmount(k, A[k]!)}": ${msg.replace('%a', formatAmount(k, A[k]!)).replace('%b', formatAmount(k, B[k]!))}`)
    }
  }
  for (const [k, v] of Object.entries(item.maxLimitRequestRatio)) {
    if (v < 1) r.fail([...p, 'maxLimitRequestRatio', k], `Invalid value: "${v}": ratio must be greater than or equal to 1`)
  }
}
