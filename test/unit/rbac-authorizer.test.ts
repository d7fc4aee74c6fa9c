import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {authorize, impersonate, rbacPolicy, type RbacPolicy, type RequestAttributes} from '../../src/engine/admission/rbac.js'
import {checkEscalation} from '../../src/engine/admission/rbac-escalation.js'
import {changeAttributes} from '../../src/engine/admission/rbac-resources.js'
import {loadDesired} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import type {KObject, RbacObject} from '../../src/engine/types.js'

// Kubernetes' RBAC semantics as documented (reference/access-authn-authz/rbac) and as its
// authorizer and escalation checks implement them, asked of test/fixtures/rbac/policy.yaml
// with the default ClusterRoles kgit ships.

const CLUSTER = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  nodes: [{name: n1, address: 10.0.0.1}]\n'
const DEFAULTS = readFileSync(new URL('../../manifests/rbac/default-cluster-roles.yaml', import.meta.url), 'utf8')
const POLICY = readFileSync(new URL('../fixtures/rbac/policy.yaml', import.meta.url), 'utf8')

/** Objects of manifest texts, read as `kgit apply` reads a revision. */
function objectsOf(files: Record<string, string>): KObject[] {
  const enc = new TextEncoder()
  const r = loadDesired({revision: 'r', clusterFile: {path: 'kgit.yaml', content: enc.encode(CLUSTER)}, files: Object.entries(files).map(([path, text]) => ({path, content: enc.encode(text)})), schema})
  if (!r.desired) throw new Error(r.errors.map((e) => e.message).join('\n'))
  return r.desired.objects
}

const objects = objectsOf({'manifests/default-cluster-roles.yaml': DEFAULTS, 'manifests/policy.yaml': POLICY})
const policy: RbacPolicy = rbacPolicy(objects)

type Ask = Omit<RequestAttributes, 'user' | 'groups'>
interface Case {
  name: string
  /** User name; groups from `groups`, completed as Kubernetes completes an impersonated user's. */
  as: string
  groups?: string[]
  ask: Ask
  allowed: boolean
  /** The whole reason, or a part of it. */
  reason?: string
}

const R = (resource: string, verb: string, more: Partial<Ask> = {}): Ask => ({verb, resource, apiGroup: '', ...more})
const apps = (resource: string, verb: string, more: Partial<Ask> = {}): Ask => ({verb, resource, apiGroup: 'apps', ...more})
const url = (path: string, verb = 'get'): Ask => ({verb, path})

const CASES: Case[] = [
  // cluster-admin: every verb, group and resource, and every URL
  {name: 'cluster-admin deletes a node (verbs, groups, resources *)', as: 'root', ask: R('nodes', 'delete', {name: 'n1'}), allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "root" of ClusterRole "cluster-admin" to User "root"'},
  {name: 'cluster-admin reads a non-resource URL (nonResourceURLs *)', as: 'root', ask: url('/metrics'), allowed: true},
  {name: 'cluster-admin may bind and escalate (verb * covers them)', as: 'root', ask: {verb: 'bind', apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'cluster-admin'}, allowed: true},
  // a RoleBinding to a ClusterRole grants it in the binding's namespace only
  {name: 'edit in dev updates a Deployment in dev', as: 'alice', ask: apps('deployments', 'update', {name: 'web', namespace: 'dev'}), allowed: true, reason: 'RBAC: allowed by RoleBinding "alice-edit/dev" of ClusterRole "edit" to User "alice"'},
  {name: 'edit in dev cannot update a Deployment in prod', as: 'alice', ask: apps('deployments', 'update', {name: 'web', namespace: 'prod'}), allowed: false},
  {name: 'edit in dev cannot list Deployments of all namespaces', as: 'alice', ask: apps('deployments', 'list'), allowed: false},
  {name: 'edit cannot create RoleBindings', as: 'alice', ask: R('rolebindings', 'create', {apiGroup: 'rbac.authorization.k8s.io', namespace: 'dev'}), allowed: false},
  {name: 'edit reads Secrets', as: 'alice', ask: R('secrets', 'get', {name: 's', namespace: 'dev'}), allowed: true},
  {name: 'edit execs into pods (create pods/exec)', as: 'alice', ask: R('pods', 'create', {subresource: 'exec', name: 'p', namespace: 'dev'}), allowed: true},
  {name: 'edit reads logs (pods/log, aggregated from view)', as: 'alice', ask: R('pods', 'get', {subresource: 'log', name: 'p', namespace: 'dev'}), allowed: true},
  {name: 'edit cannot change a ResourceQuota', as: 'alice', ask: R('resourcequotas', 'update', {name: 'q', namespace: 'dev'}), allowed: false},
  {name: 'a role aggregated into view reaches edit too (view -> edit)', as: 'alice', ask: {verb: 'get', apiGroup: 'example.com', resource: 'widgets', name: 'w', namespace: 'dev'}, allowed: true},
  {name: 'the wrong API group does not match (deployments in "")', as: 'alice', ask: R('deployments', 'update', {name: 'web', namespace: 'dev'}), allowed: false},
  // groups and ClusterRoleBindings
  {name: 'a group bound to view cluster-wide lists pods in prod', as: 'olga', groups: ['ops'], ask: R('pods', 'list', {namespace: 'prod'}), allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "ops-view" of ClusterRole "view" to Group "ops"'},
  {name: 'a ClusterRoleBinding holds across all namespaces', as: 'olga', groups: ['ops'], ask: R('pods', 'list'), allowed: true},
  {name: 'view does not read Secrets', as: 'olga', groups: ['ops'], ask: R('secrets', 'get', {name: 's', namespace: 'prod'}), allowed: false},
  {name: 'a user not in the group gets nothing from it', as: 'olga', ask: R('pods', 'list', {namespace: 'prod'}), allowed: false},
  // Roles and subresources
  {name: 'a Role grants in its namespace', as: 'bob', ask: R('pods', 'get', {name: 'p', namespace: 'dev'}), allowed: true, reason: 'RBAC: allowed by RoleBinding "bob-pods/dev" of Role "pod-reader" to User "bob"'},
  {name: 'pods/log is granted by its own rule', as: 'bob', ask: R('pods', 'get', {subresource: 'log', name: 'p', namespace: 'dev'}), allowed: true},
  {name: 'pods does not grant the subresource pods/exec', as: 'bob', ask: R('pods', 'create', {subresource: 'exec', name: 'p', namespace: 'dev'}), allowed: false},
  {name: 'a verb the rule does not list is denied', as: 'bob', ask: R('pods', 'delete', {name: 'p', namespace: 'dev'}), allowed: false},
  {name: 'a Role grants nothing in another namespace', as: 'bob', ask: R('pods', 'get', {name: 'p', namespace: 'prod'}), allowed: false},
  // resourceNames
  {name: 'resourceNames: get the named object', as: 'carol', ask: R('configmaps', 'get', {name: 'app-config', namespace: 'dev'}), allowed: true},
  {name: 'resourceNames: update the named object', as: 'carol', ask: R('configmaps', 'update', {name: 'app-config', namespace: 'dev'}), allowed: true},
  {name: 'resourceNames: another name is denied', as: 'carol', ask: R('configmaps', 'get', {name: 'other', namespace: 'dev'}), allowed: false},
  {name: 'resourceNames: list names no object and is denied', as: 'carol', ask: R('configmaps', 'list', {namespace: 'dev'}), allowed: false},
  {name: 'resourceNames: create names no object and is denied', as: 'carol', ask: R('configmaps', 'create', {namespace: 'dev'}), allowed: false},
  // */subresource
  {name: '*/scale matches deployments/scale', as: 'dave', ask: apps('deployments', 'update', {subresource: 'scale', name: 'web', namespace: 'prod'}), allowed: true},
  {name: '*/scale matches statefulsets/scale', as: 'dave', ask: apps('statefulsets', 'update', {subresource: 'scale', name: 'db', namespace: 'dev'}), allowed: true},
  {name: '*/scale does not match the resource itself', as: 'dave', ask: apps('deployments', 'update', {name: 'web', namespace: 'prod'}), allowed: false},
  {name: '*/scale does not match another subresource', as: 'dave', ask: apps('deployments', 'update', {subresource: 'status', name: 'web', namespace: 'prod'}), allowed: false},
  {name: '*/scale of apps does not match the core group', as: 'dave', ask: R('replicationcontrollers', 'update', {subresource: 'scale', name: 'rc', namespace: 'prod'}), allowed: false},
  {name: 'pods/* is no wildcard: it does not match pods/log', as: 'liam', ask: R('pods', 'get', {subresource: 'log', name: 'p', namespace: 'dev'}), allowed: false},
  // resources * and apiGroups *
  {name: 'resources * matches every resource of the group', as: 'erin', ask: apps('statefulsets', 'get', {name: 'db', namespace: 'dev'}), allowed: true},
  {name: 'resources * matches subresources too', as: 'erin', ask: apps('statefulsets', 'get', {subresource: 'status', name: 'db', namespace: 'dev'}), allowed: true},
  {name: 'resources * of apps does not match the core group', as: 'erin', ask: R('pods', 'get', {name: 'p', namespace: 'dev'}), allowed: false},
  {name: 'apiGroups * matches any group', as: 'erin', ask: {verb: 'list', apiGroup: 'extensions', resource: 'deployments', namespace: 'dev'}, allowed: true},
  // verbs *
  {name: 'verbs * allows deletecollection', as: 'frank', ask: R('configmaps', 'deletecollection', {namespace: 'dev'}), allowed: true},
  {name: 'verbs * through a RoleBinding stays in its namespace', as: 'frank', ask: R('configmaps', 'delete', {name: 'c', namespace: 'prod'}), allowed: false},
  // service accounts
  {name: 'a ServiceAccount subject matches system:serviceaccount:NS:NAME', as: 'system:serviceaccount:prod:ci', ask: apps('deployments', 'update', {name: 'web', namespace: 'prod'}), allowed: true, reason: 'RBAC: allowed by RoleBinding "ci-deploy/prod" of ClusterRole "edit" to ServiceAccount "ci/prod"'},
  {name: 'the ServiceAccount of another namespace does not match', as: 'system:serviceaccount:dev:ci', ask: apps('deployments', 'update', {name: 'web', namespace: 'prod'}), allowed: false},
  {name: 'a user merely named like the ServiceAccount does not match', as: 'ci', ask: apps('deployments', 'update', {name: 'web', namespace: 'prod'}), allowed: false},
  {name: 'the group system:serviceaccounts:NS holds every ServiceAccount of NS', as: 'system:serviceaccount:dev:builder', ask: R('pods', 'list', {namespace: 'prod'}), allowed: true, reason: 'to Group "system:serviceaccounts:dev"'},
  {name: 'system:serviceaccounts:dev does not hold prod\'s ServiceAccounts', as: 'system:serviceaccount:prod:ci', ask: R('pods', 'list', {namespace: 'dev'}), allowed: false},
  // non-resource URLs and system:authenticated
  {name: 'system:authenticated: every known user may get /healthz', as: 'zed', ask: url('/healthz'), allowed: true, reason: 'to Group "system:authenticated"'},
  {name: 'a trailing * matches below the prefix', as: 'zed', ask: url('/healthz/ready'), allowed: true},
  {name: 'a URL rule allows only its verbs', as: 'zed', ask: url('/healthz', 'post'), allowed: false},
  {name: 'a URL not listed is denied', as: 'zed', ask: url('/metrics'), allowed: false},
  {name: 'system:anonymous is not system:authenticated', as: 'system:anonymous', ask: url('/healthz'), allowed: false},
  {name: '/logs* matches /logs itself and below', as: 'grace', ask: url('/logs/kube-apiserver.log'), allowed: true},
  {name: 'a RoleBinding grants no non-resource URL', as: 'kate', ask: url('/logs'), allowed: false},
  {name: 'a URL is cluster-wide even when a namespace is passed', as: 'kate', ask: {...url('/logs'), namespace: 'dev'}, allowed: false},
  // aggregated ClusterRoles
  {name: 'aggregation by matchLabels', as: 'heidi', ask: R('pods', 'get', {name: 'p', namespace: 'prod'}), allowed: true, reason: 'ClusterRole "monitoring"'},
  {name: 'aggregation by matchExpressions (Exists)', as: 'heidi', ask: R('endpoints', 'list', {namespace: 'prod'}), allowed: true},
  {name: 'aggregation grants only the selected roles\' rules', as: 'heidi', ask: R('secrets', 'get', {name: 's', namespace: 'prod'}), allowed: false},
  // a binding of a role that does not exist
  {name: 'a RoleBinding of a missing Role grants nothing and says so', as: 'mallory', ask: R('pods', 'get', {name: 'p', namespace: 'dev'}), allowed: false, reason: 'role.rbac.authorization.k8s.io "nope" not found'},
  {name: 'nobody bound is denied', as: 'nobody', ask: R('pods', 'get', {name: 'p', namespace: 'dev'}), allowed: false, reason: 'RBAC: no rule bound to user "nobody"'},
]

describe('RBAC authorizer', () => {
  it.each(CASES)('$name', (c) => {
    const d = authorize(policy, {...impersonate(c.as, c.groups), ...c.ask})
    expect(d.allowed, d.reason).toBe(c.allowed)
    if (c.reason) expect(`${d.reason} ${d.evaluationError ?? ''}`).toContain(c.reason)
  })

  it('resolves aggregated roles that select each other, each rule once', () => {
    const cr = (name: string, labels: string, select: string | undefined, rules: string): string =>
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: ${name}, labels: {${labels}}}\n${select ? `aggregationRule: {clusterRoleSelectors: [{matchLabels: {${select}: "true"}}]}\n` : ''}rules: ${rules}\n`
    const pods = '[{apiGroups: [""], resources: [pods], verbs: [get]}]'
    const p = rbacPolicy(objectsOf({'manifests/c.yaml': [cr('a', 'to-b: "true"', 'to-a', '[]'), cr('b', 'to-a: "true"', 'to-b', '[]'), cr('c', 'to-a: "true"', undefined, pods), cr('d', 'to-b: "true"', undefined, pods)].join('---\n')}))
    expect(p.clusterRules.get('a')).toEqual([{apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: [], nonResourceURLs: []}])
    expect(p.clusterRules.get('b')).toEqual(p.clusterRules.get('a'))
  })

  it('completes impersonated users as Kubernetes does', () => {
    expect(impersonate('system:serviceaccount:dev:ci')).toEqual({user: 'system:serviceaccount:dev:ci', groups: ['system:serviceaccounts', 'system:serviceaccounts:dev', 'system:authenticated']})
    expect(impersonate('alice', ['ops'])).toEqual({user: 'alice', groups: ['ops', 'system:authenticated']})
    expect(impersonate('system:anonymous').groups).toEqual([])
  })

  it('asks create without a name, update and delete with one', () => {
    const who = {user: 'carol', groups: []}
    const cm = objects.find((o) => o.kind === 'Role' && o.metadata.name === 'one-config')!
    expect(changeAttributes(who, 'create', {kind: 'ConfigMap', metadata: {...cm.metadata, name: 'app-config'}})).toEqual({user: 'carol', groups: [], verb: 'create', apiGroup: '', resource: 'configmaps', namespace: 'dev'})
    expect(changeAttributes(who, 'update', {kind: 'Deployment', metadata: {...cm.metadata, name: 'web'}})).toMatchObject({apiGroup: 'apps', resource: 'deployments', name: 'web', namespace: 'dev'})
    expect(changeAttributes(who, 'delete', {kind: 'ClusterRole', metadata: {...cm.metadata, namespace: '', name: 'x'}})).toMatchObject({apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles', name: 'x', namespace: ''})
  })
})

/** One RBAC object from YAML, read as kgit reads it. */
function rbacObject(yaml: string): RbacObject {
  const found = objectsOf({'manifests/x.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n---\n' + yaml}).filter((o) => o.kind !== 'Namespace')
  return found[0] as RbacObject
}

const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', ns: string | undefined, subject: string, roleKind: string, role: string): string =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}\nmetadata: {name: b${ns ? `, namespace: ${ns}` : ''}}\nsubjects: [{kind: User, name: ${subject}}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ${roleKind}, name: ${role}}\n`
const role = (ns: string, rules: string): string => `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: ${ns}}\nrules:\n${rules}`

interface EscalationCase {
  name: string
  as: string
  groups?: string[]
  object: string
  ok: boolean
  /** Part of the reason (allowed) or of the denial. */
  says?: string
}

const ESCALATIONS: EscalationCase[] = [
  {name: 'edit in dev binding herself cluster-admin cluster-wide is escalation', as: 'alice', object: binding('ClusterRoleBinding', undefined, 'alice', 'ClusterRole', 'cluster-admin'), ok: false, says: 'user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}'},
  {name: 'edit in dev binding herself cluster-admin in dev is escalation', as: 'alice', object: binding('RoleBinding', 'dev', 'alice', 'ClusterRole', 'cluster-admin'), ok: false, says: '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}'},
  {name: 'edit in dev may bind edit in dev to another user (she holds all of it)', as: 'alice', object: binding('RoleBinding', 'dev', 'bob', 'ClusterRole', 'edit'), ok: true},
  {name: 'edit in dev may not bind edit in prod', as: 'alice', object: binding('RoleBinding', 'prod', 'bob', 'ClusterRole', 'edit'), ok: false},
  {name: 'bind on clusterroles named view: may bind view anywhere', as: 'ivan', object: binding('RoleBinding', 'prod', 'bob', 'ClusterRole', 'view'), ok: true, says: 'RBAC: allowed by ClusterRoleBinding "ivan-binder" of ClusterRole "view-binder" to User "ivan"'},
  {name: 'bind on view only: may not bind edit', as: 'ivan', object: binding('RoleBinding', 'prod', 'bob', 'ClusterRole', 'edit'), ok: false},
  {name: 'binding a role that does not exist is refused', as: 'alice', object: binding('RoleBinding', 'dev', 'bob', 'Role', 'ghost'), ok: false, says: 'role.rbac.authorization.k8s.io "ghost" not found in namespace "dev"'},
  {name: 'a Role with only the permissions held is allowed', as: 'bob', object: role('dev', '  - {apiGroups: [""], resources: [pods], verbs: [get, list]}\n'), ok: true},
  {name: 'a Role with one more permission is escalation, naming it', as: 'bob', object: role('dev', '  - {apiGroups: [""], resources: [pods], verbs: [get, list, delete]}\n'), ok: false, says: 'not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}'},
  {name: 'permissions held in dev do not let one write them into prod', as: 'bob', object: role('prod', '  - {apiGroups: [""], resources: [pods], verbs: [get]}\n'), ok: false},
  {name: 'escalate on roles lets one write any Role of dev', as: 'judy', object: role('dev', '  - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}\n'), ok: true, says: 'RoleBinding "judy-roles/dev" of Role "role-writer"'},
  {name: 'escalate on roles of dev does not reach prod', as: 'judy', object: role('prod', '  - {apiGroups: [""], resources: [secrets], verbs: [get]}\n'), ok: false},
  {name: 'resourceNames held cover the same names', as: 'carol', object: role('dev', '  - {apiGroups: [""], resources: [configmaps], resourceNames: [app-config], verbs: [get]}\n'), ok: true},
  {name: 'resourceNames held do not cover every name', as: 'carol', object: role('dev', '  - {apiGroups: [""], resources: [configmaps], verbs: [get]}\n'), ok: false, says: '{APIGroups:[""], Resources:["configmaps"], Verbs:["get"]}'},
  {name: '*/scale held covers deployments/scale', as: 'dave', object: role('dev', '  - {apiGroups: [apps], resources: [deployments/scale], verbs: [update]}\n'), ok: true},
  {name: 'an aggregationRule needs cluster-admin', as: 'alice', object: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: gather}\naggregationRule: {clusterRoleSelectors: [{matchLabels: {a: b}}]}\nrules: []\n', ok: false, says: 'must have cluster-admin privileges to use the aggregationRule'},
  {name: 'cluster-admin may write an aggregated ClusterRole', as: 'root', object: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: gather}\naggregationRule: {clusterRoleSelectors: [{matchLabels: {a: b}}]}\nrules: []\n', ok: true},
  {name: 'system:masters may grant anything', as: 'someone', groups: ['system:masters'], object: binding('ClusterRoleBinding', undefined, 'someone', 'ClusterRole', 'cluster-admin'), ok: true, says: 'system:masters'},
]

describe('RBAC escalation checks', () => {
  it.each(ESCALATIONS)('$name', (c) => {
    const r = checkEscalation(policy, impersonate(c.as, c.groups), rbacObject(c.object) as Parameters<typeof checkEscalation>[2])
    expect(r.ok, r.ok ? r.reason : r.denied).toBe(c.ok)
    if (c.says) expect(r.ok ? r.reason : r.denied).toContain(c.says)
  })

  it('lists the missing rules, merged by verb', () => {
    const r = checkEscalation(policy, impersonate('bob'), rbacObject(role('dev', '  - {apiGroups: [""], resources: [pods, secrets], verbs: [get, delete]}\n')) as Parameters<typeof checkEscalation>[2])
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.missingRules.map((m) => [m.resources[0], m.verbs])).toEqual([['pods', ['delete']], ['secrets', ['get', 'delete']]])
  })
})
