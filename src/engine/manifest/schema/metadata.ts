import {ManifestError} from '../../errors.js'
import {labelKeyProblem, labelValueProblem} from '../labels.js'
import {isRecord, type ParsedDoc} from '../yaml-docs.js'
import type {NameRule} from './kinds.js'

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const LABEL_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const MAX_ANNOTATIONS_BYTES = 256 * 1024

// The API server's own words (apimachinery/pkg/util/validation).
const RULES: Record<NameRule, {max: number; test: (s: string) => string | undefined}> = {
  'dns-subdomain': {
    max: 253,
    test: (s) => (SUBDOMAIN.test(s) ? undefined : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')"),
  },
  'dns-label': {
    max: 63,
    test: (s) => (LABEL.test(s) ? undefined : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name')"),
  },
  'dns-1035-label': {
    max: 63,
    test: (s) => (LABEL_1035.test(s) ? undefined : "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name')"),
  },
  'path-segment': {
    max: Infinity,
    test: (s) => (s === '.' || s === '..' ? `may not be '${s}'` : s.includes('/') ? "may not contain '/'" : s.includes('%') ? "may not contain '%'" : undefined),
  },
}

export interface MetaRules {
  name: NameRule
  maxName?: number
  namespaced: boolean
}

/**
 * The ObjectMeta checks the API server makes in code, not in the schema: name or
 * generateName, name syntax per kind, namespace syntax, label and annotation syntax.
 */
export function metadataErrors(doc: ParsedDoc, rules: MetaRules): ManifestError[] {
  const errors: ManifestError[] = []
  const fail = (path: (string | number)[], detail: string) => errors.push(new ManifestError(doc.posOf(['metadata', ...path]), detail))
  const meta = isRecord(doc.value) ? doc.value.metadata : undefined
  if (meta !== undefined && meta !== null && !isRecord(meta)) return errors // the schema reports its type
  const m = meta ?? {}
  const name = m.name
  const generateName = m.generateName
  if ((name === undefined || name === null || name === '') && (typeof generateName !== 'string' || generateName === '')) {
    fail(['name'], 'required field is missing: name or generateName is required')
  }
  if (typeof name === 'string' && name !== '') {
    const problem = nameProblem(name, rules, false)
    if (problem) fail(['name'], `invalid name "${name}": ${problem}`)
  }
  if (typeof generateName === 'string' && generateName !== '') {
    const problem = nameProblem(generateName, rules, true)
    if (problem) fail(['generateName'], `invalid prefix "${generateName}": ${problem}`)
  }
  if (rules.namespaced && typeof m.namespace === 'string' && m.namespace !== '') {
    const problem = nameProblem(m.namespace, {name: 'dns-label'}, false)
    if (problem) fail(['namespace'], `invalid namespace "${m.namespace}": ${problem}`)
  }
  if (isRecord(m.labels)) {
    for (const [k, v] of Object.entries(m.labels)) {
      const problem = labelKeyProblem(k) ?? (typeof v === 'string' ? labelValueProblem(v) : undefined)
      if (problem) fail(['labels', k], problem)
    }
  }
  if (isRecord(m.annotations)) annotationErrors(m.annotations, fail)
  return errors
}

function annotationErrors(annotations: Record<string, unknown>, fail: (path: string[], detail: string) => void): void {
  let size = 0
  for (const [k, v] of Object.entries(annotations)) {
    size += k.length + (typeof v === 'string' ? v.length : 0)
    const problem = labelKeyProblem(k)
    if (problem) fail(['annotations', k], problem.replace('label key', 'annotation key'))
  }
  if (size > MAX_ANNOTATIONS_BYTES) fail(['annotations'], `annotations may hold at most ${MAX_ANNOTATIONS_BYTES} bytes in total, got ${size}`)
}

/** Why a name breaks the kind's rule, or undefined. A generateName prefix may end in "-". */
export function nameProblem(name: string, rules: Pick<MetaRules, 'name' | 'maxName'>, prefix: boolean): string | undefined {
  const rule = RULES[rules.name]
  const max = Math.min(rule.max, rules.maxName ?? Infinity)
  const checked = prefix && rules.name !== 'path-segment' ? name.replace(/-$/, 'a') : name
  if (checked.length > max) return `must be no more than ${max} characters`
  return rule.test(checked)
}
