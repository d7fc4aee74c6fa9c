import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {authorize, impersonate, rbacPolicy} from '../../src/engine/admission/rbac.js'
import {loadDesired} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'

// Reading Role, ClusterRole and their bindings (manifest/rbac.ts), and the default
// ClusterRoles kgit ships (manifests/rbac/default-cluster-roles.yaml).

const CLUSTER = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  nodes: [{name: n1, address: 10.0.0.1}]\n'
const NS = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n---\n'

function load(text: string, path = 'manifests/rbac.yaml') {
  const enc = new TextEncoder()
  return loadDesired({revision: 'r', clusterFile: {path: 'kgit.yaml', content: enc.encode(CLUSTER)}, files: [{path, content: enc.encode(text)}], schema})
}

const errorsOf = (text: string): string[] => load(NS + text).errors.map((e) => e.message)

describe('RBAC manifests', () => {
  it('reads every served version as rbac.authorization.k8s.io/v1, with path-segment names', () => {
    const r = load(NS + 'apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: ClusterRole\nmetadata: {name: "system:x"}\nrules: [{apiGroups: [""], resources: [pods], verbs: [get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1alpha1\nkind: RoleBinding\nmetadata: {name: b, namespace: dev}\nsubjects: [{kind: ServiceAccount, name: ci}, {kind: User, name: "alice@example.com"}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:x"}\n')
    expect(r.errors.map((e) => e.message)).toEqual([])
    const [role, binding] = r.desired!.objects.filter((o) => o.kind !== 'Namespace')
    expect(role).toMatchObject({kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: {name: 'system:x', namespace: ''}, rules: [{apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: [], nonResourceURLs: []}]})
    expect(binding).toMatchObject({kind: 'RoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', subjects: [{kind: 'ServiceAccount', name: 'ci', namespace: 'dev', apiGroup: ''}, {kind: 'User', name: 'alice@example.com', apiGroup: 'rbac.authorization.k8s.io'}]})
  })

  it.each([
    ['a rule without verbs', 'kind: Role\nmetadata: {name: r, namespace: dev}\nrules: [{apiGroups: [""], resources: [pods], verbs: []}]', 'manifests/rbac.yaml:8 rules[0].verbs: Required value: verbs must contain at least one value'],
    ['a resource rule without apiGroups', 'kind: Role\nmetadata: {name: r, namespace: dev}\nrules: [{resources: [pods], verbs: [get]}]', 'manifests/rbac.yaml:8 rules[0].apiGroups: Required value: resource rules must supply at least one api group'],
    ['a resource rule without resources', 'kind: Role\nmetadata: {name: r, namespace: dev}\nrules: [{apiGroups: [""], verbs: [get]}]', 'rules[0].resources: Required value: resource rules must supply at least one resource'],
    ['nonResourceURLs in a Role', 'kind: Role\nmetadata: {name: r, namespace: dev}\nrules: [{nonResourceURLs: [/healthz], verbs: [get]}]', 'rules[0].nonResourceURLs: Invalid value: namespaced rules cannot apply to non-resource URLs'],
    ['nonResourceURLs with resources', 'kind: ClusterRole\nmetadata: {name: r}\nrules: [{nonResourceURLs: [/healthz], resources: [pods], apiGroups: [""], verbs: [get]}]', 'rules[0].nonResourceURLs: Invalid value: rules cannot apply to both regular resources and non-resource URLs'],
    ['an empty aggregationRule', 'kind: ClusterRole\nmetadata: {name: r}\naggregationRule: {clusterRoleSelectors: []}', 'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil'],
    ['a roleRef of another group', 'kind: RoleBinding\nmetadata: {name: b, namespace: dev}\nroleRef: {apiGroup: example.com, kind: Role, name: r}', 'roleRef.apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"'],
    ['a ClusterRoleBinding of a Role', 'kind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}', 'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"'],
    ['a subject of an unknown kind', 'kind: RoleBinding\nmetadata: {name: b, namespace: dev}\nsubjects: [{kind: Robot, name: r2}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}', 'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"'],
    ['a ServiceAccount without namespace in a ClusterRoleBinding', 'kind: ClusterRoleBinding\nmetadata: {name: b}\nsubjects: [{kind: ServiceAccount, name: ci}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}', 'subjects[0].namespace: Required value: a ServiceAccount subject of a ClusterRoleBinding needs a namespace'],
    ['a User of another apiGroup', 'kind: RoleBinding\nmetadata: {name: b, namespace: dev}\nsubjects: [{kind: User, name: u, apiGroup: ""}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}', 'subjects[0].apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"'],
    ['a name with "/"', 'kind: ClusterRole\nmetadata: {name: "a/b"}\nrules: []', "manifests/rbac.yaml:7 metadata.name: invalid name \"a/b\": may not contain '/'"],
    ['a namespace on a ClusterRole', 'kind: ClusterRole\nmetadata: {name: c, namespace: dev}\nrules: []', 'metadata.namespace: ClusterRole objects are cluster-scoped and take no namespace'],
  ])('refuses %s', (_, doc, message) => {
    const errors = errorsOf('apiVersion: rbac.authorization.k8s.io/v1\n' + doc + '\n')
    expect(errors.join('\n')).toContain(message)
  })
})

describe('default ClusterRoles (manifests/rbac/default-cluster-roles.yaml)', () => {
  const text = readFileSync(new URL('../../manifests/rbac/default-cluster-roles.yaml', import.meta.url), 'utf8')
  const bindings = `${NS}apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: e, namespace: dev}
subjects: [{kind: User, name: ed}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: v, namespace: dev}
subjects: [{kind: User, name: vi}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: a, namespace: dev}
subjects: [{kind: User, name: ad}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
`
  const enc = new TextEncoder()
  const r = loadDesired({revision: 'r', clusterFile: {path: 'kgit.yaml', content: enc.encode(CLUSTER)}, files: [{path: 'manifests/default-cluster-roles.yaml', content: enc.encode(text)}, {path: 'manifests/b.yaml', content: enc.encode(bindings)}], schema})
  /** `resource` may name a subresource: `pods/log`. */
  const can = (user: string, verb: string, apiGroup: string, resource: string, name?: string): boolean => {
    const [res, subresource] = resource.split('/')
    return authorize(rbacPolicy(r.desired!.objects), {...impersonate(user), verb, apiGroup, resource: res!, namespace: 'dev', ...(subresource ? {subresource} : {}), ...(name ? {name} : {})}).allowed
  }

  it('parse without errors or warnings', () => {
    expect(r.errors.map((e) => e.message)).toEqual([])
    expect(r.warnings).toEqual([])
    expect(r.desired!.objects.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name).sort()).toEqual(['admin', 'cluster-admin', 'edit', 'system:aggregate-to-admin', 'system:aggregate-to-edit', 'system:aggregate-to-view', 'view'])
  })

  it('edit updates Deployments but creates no RoleBindings', () => {
    expect(can('ed', 'update', 'apps', 'deployments', 'web')).toBe(true)
    expect(can('ed', 'create', 'rbac.authorization.k8s.io', 'rolebindings')).toBe(false)
  })

  it('view reads pods but not Secrets', () => {
    expect(can('vi', 'list', '', 'pods')).toBe(true)
    expect(can('vi', 'get', '', 'secrets', 's')).toBe(false)
  })

  it('admin creates RoleBindings in its namespace and holds edit and view', () => {
    expect(can('ad', 'create', 'rbac.authorization.k8s.io', 'rolebindings')).toBe(true)
    expect(can('ad', 'delete', 'batch', 'jobs', 'j')).toBe(true)
    expect(can('ad', 'get', '', 'pods/log', 'p')).toBe(true)
    expect(can('ad', 'update', '', 'resourcequotas', 'q')).toBe(false)
  })
})
