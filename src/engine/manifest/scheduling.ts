import type {Affinity, LabelSelector, NodeSelectorRequirement, NodeSelectorTerm, PodAffinityTerm, PodSpec, ResourceRequirements, Toleration} from '../types.js'
import type {FieldReader} from './field-reader.js'
import {labelKeyProblem, readLabelRequirement} from './labels.js'
import {formatAmount} from './quantity.js'
import {readResourceList} from './resources.js'
import type {PathPart} from './yaml-docs.js'

/**
 * The fields that decide where a pod may run and what it may use: container resources,
 * nodeName, nodeSelector, affinity and tolerations, checked as Kubernetes' API server
 * checks them. Each is set only when the manifest gives it.
 */
const NODE_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] as const
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const
const CONTAINER_RESOURCES = {names: ['cpu', 'memory', 'ephemeral-storage']}

/** `resources` of a container: requests default to limits, and none may exceed its limit. */
export function readContainerResources(r: FieldReader, p: PathPart[]): ResourceRequirements | undefined {
  const base = [...p, 'resources']
  if (!r.map(base)) return undefined
  const limits = readResourceList(r, [...base, 'limits'], CONTAINER_RESOURCES)
  const requests = readResourceList(r, [...base, 'requests'], CONTAINER_RESOURCES)
  for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v
  for (const [k, v] of Object.entries(requests)) {
    const lim = limits[k]
    if (lim !== undefined && v > lim) r.fail([...base, 'requests', k], `Invalid value: "${formatAmount(k, v)}": must be less than or equal to ${k} limit of ${formatAmount(k, lim)}`)
  }
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return undefined
  return {requests, limits}
}

/** nodeName, nodeSelector, affinity and tolerations of a pod spec, as far as they are given. */
export function readScheduling(r: FieldReader, base: PathPart[]): Pick<PodSpec, 'nodeName' | 'nodeSelector' | 'affinity' | 'tolerations'> {
  const out: Pick<PodSpec, 'nodeName' | 'nodeSelector' | 'affinity' | 'tolerations'> = {}
  const nodeName = r.str([...base, 'nodeName'])
  if (nodeName) out.nodeName = nodeName
  if (r.get([...base, 'nodeSelector']) !== undefined) {
    const sel = r.strMap([...base, 'nodeSelector'])
    if (Object.keys(sel).length > 0) out.nodeSelector = sel
  }
  const affinity = readAffinity(r, [...base, 'affinity'])
  if (affinity) out.affinity = affinity
  const tolerations = readTolerations(r, [...base, 'tolerations'])
  if (tolerations.length > 0) out.tolerations = tolerations
  return out
}

function readAffinity(r: FieldReader, p: PathPart[]): Affinity | undefined {
  if (!r.map(p)) return undefined
  const a: Affinity = {}
  const na = [...p, 'nodeAffinity']
  if (r.map(na)) {
    const req = [...na, 'requiredDuringSchedulingIgnoredDuringExecution']
    const node: NonNullable<Affinity['nodeAffinity']> = {}
    if (r.map(req)) {
      const terms = r.list([...req, 'nodeSelectorTerms'], {required: true}) ?? []
      if (r.get([...req, 'nodeSelectorTerms']) !== undefined && terms.length === 0) r.fail([...req, 'nodeSelectorTerms'], 'Required value: must have at least one node selector term')
      node.required = terms.map((_, i) => readNodeTerm(r, [...req, 'nodeSelectorTerms', i]))
    }
    const pref = r.list([...na, 'preferredDuringSchedulingIgnoredDuringExecution'])
    if (pref) node.preferred = pref.map((_, i) => ({weight: weight(r, [...na, 'preferredDuringSchedulingIgnoredDuringExecution', i, 'weight']), preference: readNodeTerm(r, [...na, 'preferredDuringSchedulingIgnoredDuringExecution', i, 'preference'])}))
    if (node.required || node.preferred) a.nodeAffinity = node
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = [...p, kind]
    if (!r.map(pa)) continue
    const req = r.list([...pa, 'requiredDuringSchedulingIgnoredDuringExecution'])
    const pref = r.list([...pa, 'preferredDuringSchedulingIgnoredDuringExecution'])
    const v: NonNullable<Affinity['podAffinity']> = {}
    if (req) v.required = req.map((_, i) => readPodTerm(r, [...pa, 'requiredDuringSchedulingIgnoredDuringExecution', i]))
    if (pref) v.preferred = pref.map((_, i) => ({weight: weight(r, [...pa, 'preferredDuringSchedulingIgnoredDuringExecution', i, 'weight']), podAffinityTerm: readPodTerm(r, [...pa, 'preferredDuringSchedulingIgnoredDuringExecution', i, 'podAffinityTerm'])}))
    if (v.required || v.preferred) a[kind] = v
  }
  return a.nodeAffinity || a.podAffinity || a.podAntiAffinity ? a : undefined
}

function weight(r: FieldReader, p: PathPart[]): number {
  return r.int(p, {required: true, min: 1, max: 100}) ?? 1
}

export function readNodeTerm(r: FieldReader, p: PathPart[]): NodeSelectorTerm {
  r.map(p, {required: true})
  const t: NodeSelectorTerm = {}
  const exprs = r.list([...p, 'matchExpressions'])
  if (exprs) t.matchExpressions = exprs.map((_, i) => readNodeRequirement(r, [...p, 'matchExpressions', i], false))
  const fields = r.list([...p, 'matchFields'])
  if (fields) t.matchFields = fields.map((_, i) => readNodeRequirement(r, [...p, 'matchFields', i], true))
  return t
}

function readNodeRequirement(r: FieldReader, p: PathPart[], field: boolean): NodeSelectorRequirement {
  const key = r.str([...p, 'key'], {required: true}) ?? ''
  if (field && key && key !== 'metadata.name') r.fail([...p, 'key'], `Unsupported value: "${key}": supported values: "metadata.name"`)
  const operator = (r.str([...p, 'operator'], {required: true, oneOf: field ? ['In', 'NotIn'] : NODE_OPERATORS}) ?? 'In') as NodeSelectorRequirement['operator']
  const values = r.strList([...p, 'values'])
  if ((operator === 'In' || operator === 'NotIn') && !values?.length) r.fail([...p, 'values'], "Required value: must be specified when `operator` is 'In' or 'NotIn'")
  if ((operator === 'Exists' || operator === 'DoesNotExist') && values?.length) r.fail([...p, 'values'], "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
  if ((operator === 'Gt' || operator === 'Lt') && (values?.length !== 1 || !/^-?[0-9]+$/.test(values[0]!))) r.fail([...p, 'values'], "Invalid value: must be a single integer when `operator` is 'Gt' or 'Lt'")
  if (field && operator === 'In' && values && values.length !== 1) r.fail([...p, 'values'], 'must be a single value for a matchFields requirement')
  return values ? {key, operator, values} : {key, operator}
}

function readPodTerm(r: FieldReader, p: PathPart[]): PodAffinityTerm {
  r.map(p, {required: true})
  const topologyKey = r.str([...p, 'topologyKey'], {required: true}) ?? ''
  const problem = topologyKey ? labelKeyProblem(topologyKey) : undefined
  if (problem) r.fail([...p, 'topologyKey'], problem)
  const t: PodAffinityTerm = {topologyKey}
  const sel = readSelector(r, [...p, 'labelSelector'])
  if (sel) t.labelSelector = sel
  const ns = r.strList([...p, 'namespaces'])
  if (ns?.length) t.namespaces = ns
  const nsSel = readSelector(r, [...p, 'namespaceSelector'])
  if (nsSel) t.namespaceSelector = nsSel
  return t
}

function readSelector(r: FieldReader, p: PathPart[]): LabelSelector | undefined {
  if (!r.map(p)) return undefined
  const s: LabelSelector = {}
  if (r.get([...p, 'matchLabels']) !== undefined) s.matchLabels = r.strMap([...p, 'matchLabels'])
  const exprs = r.list([...p, 'matchExpressions'])
  if (exprs) s.matchExpressions = exprs.map((_, i) => readLabelRequirement(r, [...p, 'matchExpressions', i]))
  return s
}

function readTolerations(r: FieldReader, p: PathPart[]): Toleration[] {
  const items = r.list(p) ?? []
  return items.map((_, i) => {
    const q = [...p, i]
    const key = r.str([...q, 'key'])
    const operator = (r.str([...q, 'operator'], {oneOf: ['Equal', 'Exists']}) ?? 'Equal') as Toleration['operator']
    const value = r.str([...q, 'value'])
    const effect = r.str([...q, 'effect'], {oneOf: ['', ...EFFECTS]})
    const seconds = r.get([...q, 'tolerationSeconds']) === null ? undefined : r.int([...q, 'tolerationSeconds'])
    if (operator === 'Exists' && value) r.fail([...q, 'operator'], "Invalid value: \"Exists\": value must be empty when `operator` is 'Exists'")
    if (!key && operator !== 'Exists') r.fail([...q, 'operator'], "Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"")
    if (seconds !== undefined && effect !== 'NoExecute') r.fail([...q, 'effect'], "Invalid value: \"" + (effect ?? '') + "\": effect must be 'NoExecute' when `tolerationSeconds` is set")
    const t: Toleration = {operator}
    if (key) t.key = key
    if (value) t.value = value
    if (effect) t.effect = effect as Toleration['effect']
    if (seconds !== undefined) t.tolerationSeconds = seconds
    return t
  })
}
