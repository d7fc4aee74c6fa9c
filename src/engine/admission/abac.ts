import {ManifestError} from '../errors.js'
import type {RequestAttributes} from './rbac.js'

/**
 * Kubernetes' ABAC authorizer (pkg/auth/authorizer/abac): a file of one JSON Policy per
 * line (`abac.authorization.kubernetes.io/v1beta1`); a request is allowed when any policy
 * matches it, and otherwise ABAC has no opinion.
 */

export interface AbacPolicy {
  user: string
  group: string
  readonly: boolean
  apiGroup: string
  namespace: string
  resource: string
  nonResourcePath: string
  line: number
}

const ABAC_VERSION = 'abac.authorization.kubernetes.io/v1beta1'
const SPEC_FIELDS = ['user', 'group', 'readonly', 'apiGroup', 'namespace', 'resource', 'nonResourcePath']

/** Reads a policy file: blank lines and `#` comments are skipped; every bad line is an error naming it. */
export function parseAbacPolicies(file: string, text: string): {policies: AbacPolicy[]; errors: ManifestError[]} {
  const policies: AbacPolicy[] = []
  const errors: ManifestError[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return
    const fail = (path: string, detail: string): void => void errors.push(new ManifestError({file, line, path}, detail))
    let v: unknown
    try {
      v = JSON.parse(raw)
    } catch (err) {
      return fail('', `not a JSON object: ${(err as Error).message}`)
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) return fail('', 'must be one JSON object (a Policy) per line')
    const o = v as Record<string, unknown>
    if (o.apiVersion !== ABAC_VERSION) return fail('apiVersion', `must be "${ABAC_VERSION}", got ${JSON.stringify(o.apiVersion)}`)
    if (o.kind !== 'Policy') return fail('kind', `must be "Policy", got ${JSON.stringify(o.kind)}`)
    const spec = o.spec
    if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return fail('spec', 'required: a mapping of user, group, readonly, apiGroup, namespace, resource, nonResourcePath')
    const s = spec as Record<string, unknown>
    const unknown = Object.keys(s).find((k) => !SPEC_FIELDS.includes(k))
    if (unknown) return fail(`spec.${unknown}`, `unknown field "${unknown}" (known: ${SPEC_FIELDS.join(', ')})`)
    const bad = SPEC_FIELDS.find((k) => s[k] !== undefined && typeof s[k] !== (k === 'readonly' ? 'boolean' : 'string'))
    if (bad) return fail(`spec.${bad}`, `must be a ${bad === 'readonly' ? 'boolean' : 'string'}, got ${JSON.stringify(s[bad])}`)
    const str = (k: string): string => (s[k] as string | undefined) ?? ''
    if (str('user') === '' && str('group') === '') return fail('spec', 'needs a user or a group ("*" for everyone): a policy without either matches no one')
    policies.push({user: str('user'), group: str('group'), readonly: s.readonly === true, apiGroup: str('apiGroup'), namespace: str('namespace'), resource: str('resource'), nonResourcePath: str('nonResourcePath'), line})
  })
  return {policies, errors}
}

/** Kubernetes' subjectMatches: a given user must match (or be `*`), and a given group must be one of the user's (or `*`). */
function subjectMatches(p: AbacPolicy, a: RequestAttributes): boolean {
  let matched = false
  if (p.user !== '') {
    if (p.user !== '*' && p.user !== a.user) return false
    matched = true
  }
  if (p.group !== '') {
    if (p.group !== '*' && !a.groups.includes(p.group)) return false
    matched = true
  }
  return matched
}

const READ_ONLY = ['get', 'list', 'watch']

function resourceMatches(p: AbacPolicy, a: RequestAttributes): boolean {
  if (a.resource === undefined) return false
  const match = (rule: string, v: string): boolean => rule === '*' || rule === v
  // As in Kubernetes, the resource alone is compared: a policy for pods also covers pods/log.
  return match(p.namespace, a.namespace ?? '') && match(p.resource, a.resource) && match(p.apiGroup, a.apiGroup ?? '')
}

function nonResourceMatches(p: AbacPolicy, a: RequestAttributes): boolean {
  if (a.resource !== undefined || p.nonResourcePath === '') return false
  const path = a.path ?? ''
  return p.nonResourcePath === '*' || p.nonResourcePath === path || (p.nonResourcePath.endsWith('*') && path.startsWith(p.nonResourcePath.replace(/\*+$/, '')))
}

/** Whether one policy allows the request (Kubernetes' `matches`). */
export function abacMatches(p: AbacPolicy, a: RequestAttributes): boolean {
  if (!subjectMatches(p, a)) return false
  if (p.readonly && !READ_ONLY.includes(a.verb)) return false
  return resourceMatches(p, a) || nonResourceMatches(p, a)
}

/** The first policy that allows the request, or undefined (no opinion: "No policy matched."). */
export function abacAllows(policies: readonly AbacPolicy[], a: RequestAttributes): AbacPolicy | undefined {
  return policies.find((p) => abacMatches(p, a))
}
