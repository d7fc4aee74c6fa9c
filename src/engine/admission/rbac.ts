import {selectorMatches} from '../manifest/labels.js'
import type {ClusterRoleBindingObject, ClusterRoleObject, KObject, PolicyRule, RbacSubject, RoleBindingObject, RoleObject, RoleRef} from '../types.js'

/**
 * Kubernetes' RBAC authorizer (plugin/pkg/auth/authorizer/rbac) over the Roles,
 * ClusterRoles and bindings of one revision. Pure: the caller decides which revision's
 * policy counts (the one the cluster runs; ADR 0016).
 */

/** The roles and bindings of a revision, with aggregated ClusterRoles resolved. */
export interface RbacPolicy {
  roles: ReadonlyMap<string, RoleObject>
  clusterRoles: ReadonlyMap<string, ClusterRoleObject>
  /** ClusterRole name -> its effective rules (an aggregated role's are gathered from the roles it selects). */
  clusterRules: ReadonlyMap<string, PolicyRule[]>
  roleBindings: readonly RoleBindingObject[]
  clusterRoleBindings: readonly ClusterRoleBindingObject[]
}

/** Who asks: a user name and groups, as an authenticator would give them. */
export interface UserInfo {
  user: string
  groups: readonly string[]
}

/**
 * What is asked. A resource request names a resource (`pods`, with `subresource` `log`);
 * a request without `resource` is a non-resource request for `path` (`/healthz`).
 * `namespace` absent or '': a cluster-wide request. `name` absent: create, list, watch...
 */
export interface RequestAttributes extends UserInfo {
  verb: string
  apiGroup?: string
  resource?: string
  subresource?: string
  name?: string
  namespace?: string
  path?: string
}

export interface Decision {
  allowed: boolean
  /** Allowed: the binding and role, as Kubernetes' audit says it; denied: that no rule allows it. */
  reason: string
  /** Bindings of roles that do not exist (Kubernetes' evaluationError): the answer may be incomplete. */
  evaluationError?: string
}

const roleKey = (namespace: string, name: string): string => `${namespace}/${name}`

/** Collects the RBAC objects of a revision and resolves aggregated ClusterRoles. */
export function rbacPolicy(objects: readonly KObject[]): RbacPolicy {
  const roles = new Map<string, RoleObject>()
  const clusterRoles = new Map<string, ClusterRoleObject>()
  const roleBindings: RoleBindingObject[] = []
  const clusterRoleBindings: ClusterRoleBindingObject[] = []
  for (const o of objects) {
    if (o.kind === 'Role') roles.set(roleKey(o.metadata.namespace, o.metadata.name), o)
    else if (o.kind === 'ClusterRole') clusterRoles.set(o.metadata.name, o)
    else if (o.kind === 'RoleBinding') roleBindings.push(o)
    else if (o.kind === 'ClusterRoleBinding') clusterRoleBindings.push(o)
  }
  return {roles, clusterRoles, clusterRules: aggregate(clusterRoles), roleBindings, clusterRoleBindings}
}

/**
 * The ClusterRole aggregation controller's result: an aggregated role's rules are the
 * rules of every other ClusterRole a selector matches (by name, duplicates once), repeated
 * until nothing changes, since aggregated roles select each other (admin <- edit <- view).
 */
function aggregate(clusterRoles: ReadonlyMap<string, ClusterRoleObject>): Map<string, PolicyRule[]> {
  const rules = new Map<string, PolicyRule[]>()
  for (const [name, role] of clusterRoles) rules.set(name, role.aggregationRule ? [] : role.rules)
  const aggregated = [...clusterRoles.values()].filter((r) => r.aggregationRule).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
  const byName = [...clusterRoles.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
  for (let round = 0, changed = true; changed && round <= aggregated.length; round++) {
    changed = false
    for (const role of aggregated) {
      const next: PolicyRule[] = []
      for (const sel of role.aggregationRule!.clusterRoleSelectors) {
        for (const other of byName) {
          if (other.metadata.name === role.metadata.name || !selectorMatches(sel, other.metadata.labels)) continue
          for (const rule of rules.get(other.metadata.name)!) if (!next.some((r) => sameRule(r, rule))) next.push(rule)
        }
      }
      if (next.length !== rules.get(role.metadata.name)!.length) changed = true
      rules.set(role.metadata.name, next)
    }
  }
  return rules
}

function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  const eq = (x: string[], y: string[]): boolean => x.length === y.length && x.every((v, i) => v === y[i])
  return eq(a.verbs, b.verbs) && eq(a.apiGroups, b.apiGroups) && eq(a.resources, b.resources) && eq(a.resourceNames, b.resourceNames) && eq(a.nonResourceURLs, b.nonResourceURLs)
}

/** `*` or the verb itself. */
export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb)
}

/** `*` or the group itself (`""` is the core group). */
export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return rule.apiGroups.some((g) => g === '*' || g === group)
}

/**
 * `*`, the resource itself (`pods`, or `pods/log` for a subresource), or `*\/log` for a
 * subresource of any resource. As in Kubernetes, `pods/*` is no wildcard: it names a
 * subresource called `*`.
 */
export function resourceMatches(rule: PolicyRule, resource: string, subresource = ''): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource
  return rule.resources.some((r) => r === '*' || r === combined || (subresource !== '' && r === `*/${subresource}`))
}

/** No resourceNames: every name. Otherwise the request must name one of them (create and list name none). */
export function resourceNameMatches(rule: PolicyRule, name = ''): boolean {
  return rule.resourceNames.length === 0 || rule.resourceNames.includes(name)
}

/** `*`, the path itself, or a prefix ending in `*` (`/logs/*`). */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  return rule.nonResourceURLs.some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))))
}

/** Kubernetes' RuleAllows. */
export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (attrs.resource === undefined) return verbMatches(rule, attrs.verb) && nonResourceURLMatches(rule, attrs.path ?? '')
  return verbMatches(rule, attrs.verb) && apiGroupMatches(rule, attrs.apiGroup ?? '') && resourceMatches(rule, attrs.resource, attrs.subresource) && resourceNameMatches(rule, attrs.name)
}

/** Whether a binding's subject is this user: by name, by group, or as a service account's user name. */
export function subjectMatches(who: UserInfo, subject: RbacSubject, bindingNamespace = ''): boolean {
  if (subject.kind === 'User') return who.user === subject.name
  if (subject.kind === 'Group') return who.groups.includes(subject.name)
  const ns = subject.namespace || bindingNamespace
  return ns !== '' && who.user === serviceAccountUser(ns, subject.name)
}

/** The user name Kubernetes gives a service account. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`
}

/** One grant: a rule and the binding it comes from (for reasons). */
export interface Grant {
  rule: PolicyRule
  source: string
}

/**
 * Every rule that holds for this user in this namespace ('' : cluster-wide only), as
 * Kubernetes' VisitRulesFor: ClusterRoleBindings first, then the namespace's RoleBindings
 * (a RoleBinding to a ClusterRole grants its rules in the binding's namespace only).
 * `errors` names roles that bindings reference but that do not exist.
 */
export function rulesFor(policy: RbacPolicy, who: UserInfo, namespace = ''): {grants: Grant[]; errors: string[]} {
  const grants: Grant[] = []
  const errors: string[] = []
  for (const b of policy.clusterRoleBindings) {
    const subject = b.subjects.find((s) => subjectMatches(who, s))
    if (!subject) continue
    const rules = roleRules(policy, b.roleRef, '')
    if (!rules) errors.push(notFound(b.roleRef, ''))
    const source = `ClusterRoleBinding "${b.metadata.name}" of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubject(subject, '')}`
    for (const rule of rules ?? []) grants.push({rule, source})
  }
  if (namespace === '') return {grants, errors}
  for (const b of policy.roleBindings) {
    if (b.metadata.namespace !== namespace) continue
    const subject = b.subjects.find((s) => subjectMatches(who, s, namespace))
    if (!subject) continue
    const rules = roleRules(policy, b.roleRef, namespace)
    if (!rules) errors.push(notFound(b.roleRef, namespace))
    const source = `RoleBinding "${b.metadata.name}/${namespace}" of ${b.roleRef.kind} "${b.roleRef.name}" to ${describeSubject(subject, namespace)}`
    for (const rule of rules ?? []) grants.push({rule, source})
  }
  return {grants, errors}
}

/** The rules a roleRef names: a Role of the binding's namespace, or a ClusterRole; undefined when it does not exist. */
export function roleRules(policy: RbacPolicy, ref: Pick<RoleRef, 'kind' | 'name'>, namespace: string): PolicyRule[] | undefined {
  if (ref.kind === 'ClusterRole') return policy.clusterRules.get(ref.name)
  return policy.roles.get(roleKey(namespace, ref.name))?.rules
}

function notFound(ref: Pick<RoleRef, 'kind' | 'name'>, namespace: string): string {
  return ref.kind === 'ClusterRole' ? `clusterrole.rbac.authorization.k8s.io "${ref.name}" not found` : `role.rbac.authorization.k8s.io "${ref.name}" not found in namespace "${namespace}"`
}

function describeSubject(s: RbacSubject, bindingNamespace: string): string {
  return s.kind === 'ServiceAccount' ? `ServiceAccount "${s.name}/${s.namespace || bindingNamespace}"` : `${s.kind} "${s.name}"`
}

/**
 * Whether RBAC allows the request, and by which binding (the first that does, as
 * Kubernetes reports it). A non-resource request is cluster-wide: only
 * ClusterRoleBindings grant URLs, whatever namespace the caller passes.
 */
export function authorize(policy: RbacPolicy, attrs: RequestAttributes): Decision {
  const {grants, errors} = rulesFor(policy, attrs, attrs.resource === undefined ? '' : (attrs.namespace ?? ''))
  const grant = grants.find((g) => ruleAllows(attrs, g.rule))
  const evaluationError = errors.length > 0 ? {evaluationError: `RBAC: ${errors.join(', ')}`} : {}
  if (grant) return {allowed: true, reason: `RBAC: allowed by ${grant.source}`, ...evaluationError}
  return {allowed: false, reason: `RBAC: no rule bound to ${describeUser(attrs)} allows it`, ...evaluationError}
}

/** A user as Kubernetes' escalation errors name it: `user "alice" (groups=["dev" "system:authenticated"])`. */
export function describeUser(who: UserInfo): string {
  return `user "${who.user}" (groups=[${who.groups.map((g) => `"${g}"`).join(' ')}])`
}

/**
 * The groups Kubernetes gives a user it impersonates (`--as`): a service account's user
 * name adds `system:serviceaccounts` and `system:serviceaccounts:NS`, and every user but
 * `system:anonymous` is in `system:authenticated` unless `system:unauthenticated` is given.
 */
export function impersonate(user: string, groups: readonly string[] = []): UserInfo {
  const all = [...groups]
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user)
  if (sa && groups.length === 0) all.push('system:serviceaccounts', `system:serviceaccounts:${sa[1]}`)
  if (user !== 'system:anonymous' && !all.includes('system:authenticated') && !all.includes('system:unauthenticated')) all.push('system:authenticated')
  return {user, groups: all}
}
