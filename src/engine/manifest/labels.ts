import type {FieldReader} from './field-reader.js'
import type {PathPart} from './yaml-docs.js'

import type {LabelSelector} from '../types.js'

export type {LabelSelector}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** Kubernetes' label key and value syntax. */
export function labelKeyProblem(key: string): string | undefined {
  const parts = key.split('/')
  if (parts.length > 2) return 'a label key has at most one "/"'
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]!]
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) return 'the prefix of a label key must be a DNS subdomain'
  if (!name || name.length > 63 || !NAME.test(name)) return 'a label key name must be 1-63 characters of letters, digits, "-", "_", ".", starting and ending with a letter or digit'
  return undefined
}

export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined
  if (value.length > 63 || !NAME.test(value)) return 'a label value must be empty or 1-63 characters of letters, digits, "-", "_", ".", starting and ending with a letter or digit'
  return undefined
}

export function checkLabels(r: FieldReader, path: PathPart[], labels: Record<string, string>): void {
  for (const [k, v] of Object.entries(labels)) {
    const problem = labelKeyProblem(k) ?? labelValueProblem(v)
    if (problem) r.fail([...path, k], problem)
  }
}

export function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key)
    const val = labels[e.key]
    const values = e.values ?? []
    if (e.operator === 'In' && !(has && values.includes(val!))) return false
    if (e.operator === 'NotIn' && has && values.includes(val!)) return false
    if (e.operator === 'Exists' && !has) return false
    if (e.operator === 'DoesNotExist' && has) return false
  }
  return true
}

const LABEL_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist']

/** One `matchExpressions` entry of a label selector, checked as the API server checks it. */
export function readLabelRequirement(r: FieldReader, p: PathPart[]): NonNullable<LabelSelector['matchExpressions']>[number] {
  const key = r.str([...p, 'key'], {required: true}) ?? ''
  const operator = r.str([...p, 'operator'], {required: true, oneOf: LABEL_OPERATORS}) ?? ''
  const values = r.strList([...p, 'values'])
  const takesValues = operator === 'In' || operator === 'NotIn'
  if (takesValues && !values?.length) r.fail([...p, 'values'], 'Required value: must be specified when `operator` is \'In\' or \'NotIn\'')
  if (!takesValues && values?.length) r.fail([...p, 'values'], 'Forbidden: may not be specified when `operator` is \'Exists\' or \'DoesNotExist\'')
  return values ? {key, operator, values} : {key, operator}
}
