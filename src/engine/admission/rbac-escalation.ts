import type {ClusterRoleBindingObject, ClusterRoleObject, PolicyRule, RoleBindingObject, RoleObject} from '../types.js'
import {authorize, describeUser, roleRules, rulesFor, type RbacPolicy, type UserInfo} from './rbac.js'

/**
 * Kubernetes' escalation prevention (pkg/registry/rbac): nobody grants a permission they
 * do not hold, or binds a role they could not have written.
 */

export type EscalationResult = {ok: true; reason: string} | {ok: false; denied: string; missingRules: PolicyRule[]}

const RBAC_GROUP = 'rbac.authorization.k8s.io'
/** What an aggregationRule may gather: anything (Kubernetes asks for cluster-admin's rules). */
const FULL_AUTHORITY: PolicyRule[] = [
  {verbs: ['*'], apiGroups: ['*'], resources: ['*'], resourceNames: [], nonResourceURLs: []},
  {verbs: ['*'], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: ['*']},
]

/**
 * Whether `who` may create or update this role or binding.
 * - system:masters may do anything.
 * - A Role or ClusterRole: `escalate` on roles/clusterroles (that name, that namespace),
 *   or holding every rule it grants in its namespace (a ClusterRole: cluster-wide); an
 *   aggregationRule needs full authority.
 * - A binding: `bind` on the role it references (that name, in the binding's namespace),
 *   or holding every rule of that role in the binding's namespace.
 */
export function checkEscalation(policy: RbacPolicy, who: UserInfo, object: RoleObject | ClusterRoleObject | RoleBindingObject | ClusterRoleBindingObject): EscalationResult {
  if (who.groups.includes('system:masters')) return {ok: true, reason: 'member of system:masters'}
  const namespace = object.metadata.namespace
  if (object.kind === 'Role' || object.kind === 'ClusterRole') {
    const resource = object.kind === 'Role' ? 'roles' : 'clusterroles'
    const escalate = authorize(policy, {...who, verb: 'escalate', apiGroup: RBAC_GROUP, resource, name: object.metadata.name, namespace})
    if (escalate.allowed) return {ok: true, reason: escalate.reason}
    const held = confirmNoEscalation(policy, who, namespace, object.rules)
    if (!held.ok || object.kind === 'Role' || !object.aggregationRule) return held
    const full = confirmNoEscalation(policy, who, '', FULL_AUTHORITY)
    return full.ok ? held : {...full, denied: `${describeUser(who)} must have cluster-admin privileges to use the aggregationRule`}
  }
  const ref = object.roleRef
  const bind = authorize(policy, {...who, verb: 'bind', apiGroup: RBAC_GROUP, resource: ref.kind === 'Role' ? 'roles' : 'clusterroles', name: ref.name, namespace})
  if (bind.allowed) return {ok: true, reason: bind.reason}
  const rules = roleRules(policy, ref, namespace)
  if (!rules) return {ok: false, denied: `${ref.kind === 'Role' ? `role.rbac.authorization.k8s.io "${ref.name}" not found in namespace "${namespace}"` : `clusterrole.rbac.authorization.k8s.io "${ref.name}" not found`}: its rules cannot be checked`, missingRules: []}
  return confirmNoEscalation(policy, who, namespace, rules)
}

/** Kubernetes' ConfirmNoEscalation: the user's rules in `namespace` cover every rule. */
export function confirmNoEscalation(policy: RbacPolicy, who: UserInfo, namespace: string, rules: readonly PolicyRule[]): EscalationResult {
  const owner = rulesFor(policy, who, namespace).grants.map((g) => g.rule)
  const missing = uncovered(owner, rules)
  if (missing.length === 0) return {ok: true, reason: `${describeUser(who)} holds every permission granted`}
  const compact = compactRules(missing)
  return {ok: false, denied: `${describeUser(who)} is attempting to grant RBAC permissions not currently held:\n${compact.map(compactString).sort().join('\n')}`, missingRules: compact}
}

/** Kubernetes' Covers: each rule broken down into single (group, resource, verb, name) rules, each covered by one owner rule. */
export function uncovered(owner: readonly PolicyRule[], servant: readonly PolicyRule[]): PolicyRule[] {
  return servant.flatMap(breakdown).filter((sub) => !owner.some((o) => ruleCovers(o, sub)))
}

function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = []
  const one = (r: Partial<PolicyRule>): PolicyRule => ({verbs: [], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [], ...r})
  for (const group of rule.apiGroups) {
    for (const resource of rule.resources) {
      for (const verb of rule.verbs) {
        if (rule.resourceNames.length === 0) out.push(one({apiGroups: [group], resources: [resource], verbs: [verb]}))
        for (const name of rule.resourceNames) out.push(one({apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name]}))
      }
    }
  }
  for (const url of rule.nonResourceURLs) for (const verb of rule.verbs) out.push(one({nonResourceURLs: [url], verbs: [verb]}))
  return out
}

const hasAll = (set: readonly string[], items: readonly string[]): boolean => items.every((i) => set.includes(i))

function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = owner.verbs.includes('*') || hasAll(owner.verbs, sub.verbs)
  const groups = owner.apiGroups.includes('*') || hasAll(owner.apiGroups, sub.apiGroups)
  const names = sub.resourceNames.length === 0 ? owner.resourceNames.length === 0 : owner.resourceNames.length === 0 || hasAll(owner.resourceNames, sub.resourceNames)
  return verbs && groups && resourcesCovered(owner.resources, sub.resources) && names && sub.nonResourceURLs.every((u) => owner.nonResourceURLs.some((o) => o === u || (o.endsWith('*') && u.startsWith(o.replace(/\*+$/, '')))))
}

/** `*` covers every resource; `*\/scale` covers the scale subresource of any resource. */
function resourcesCovered(owner: readonly string[], wanted: readonly string[]): boolean {
  if (owner.includes('*') || hasAll(owner, wanted)) return true
  return wanted.every((r) => owner.includes(r) || (r.includes('/') && owner.includes('*/' + r.slice(r.indexOf('/') + 1))))
}

/** Single rules that differ only in their verb, merged (Kubernetes' CompactRules). */
function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out = new Map<string, PolicyRule>()
  for (const r of rules) {
    const key = JSON.stringify([r.apiGroups, r.resources, r.resourceNames, r.nonResourceURLs])
    const prev = out.get(key)
    if (!prev) out.set(key, {...r, verbs: [...r.verbs]})
    else for (const v of r.verbs) if (!prev.verbs.includes(v)) prev.verbs.push(v)
  }
  return [...out.values()]
}

/** A rule as Kubernetes prints it: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["create"]}`. */
export function compactString(r: PolicyRule): string {
  const q = (xs: string[]): string => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`
  const parts: string[] = []
  if (r.apiGroups.length > 0) parts.push(`APIGroups:${q(r.apiGroups)}`)
  if (r.resources.length > 0) parts.push(`Resources:${q(r.resources)}`)
  if (r.nonResourceURLs.length > 0) parts.push(`NonResourceURLs:${q(r.nonResourceURLs)}`)
  if (r.resourceNames.length > 0) parts.push(`ResourceNames:${q(r.resourceNames)}`)
  if (r.verbs.length > 0) parts.push(`Verbs:${q(r.verbs)}`)
  return `{${parts.join(', ')}}`
}
