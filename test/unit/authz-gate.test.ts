import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {alwaysAllow, privilegedGroup, rbacAuthorizer} from '../../src/engine/admission/authorizers.js'
import {changeSet} from '../../src/engine/admission/plugin.js'
import {impersonate, rbacPolicy} from '../../src/engine/admission/rbac.js'
import {formatRefusal, gateChange, type GateInput} from '../../src/engine/gate.js'
import {loadDesired} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import type {Desired} from '../../src/engine/types.js'

const CLUSTER = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  nodes: [{name: n1, address: 10.0.0.1}]\n'
const ROLES = readFileSync(new URL('../../manifests/rbac/default-cluster-roles.yaml', import.meta.url), 'utf8')

const NAMESPACES = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n'

function desired(files: Record<string, string>): Desired {
  const enc = new TextEncoder()
  const r = loadDesired({revision: 'r', clusterFile: {path: 'kgit.yaml', content: enc.encode(CLUSTER)}, files: Object.entries({'ns.yaml': NAMESPACES, ...files}).map(([path, text]) => ({path, content: enc.encode(text)})), schema})
  if (!r.desired) throw new Error(r.errors.map((e) => e.message).join('\n'))
  return r.desired
}

const cm = (ns: string, name: string, v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${ns}}\ndata: {k: "${v}"}\n`
const ALICE_EDIT = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: alice-edit, namespace: dev}\nsubjects: [{kind: User, name: alice}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\n'
const ALICE_ADMIN = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: alice-admin}\nsubjects: [{kind: User, name: alice}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n'

describe('changeSet: the verb Kubernetes would use for each object', () => {
  it('creates, updates and deletes; moving an object between files is no change', () => {
    const before = desired({'a.yaml': cm('dev', 'same', '1') + '---\n' + cm('dev', 'changed', '1') + '---\n' + cm('dev', 'gone', '1')}).objects
    const after = desired({'b.yaml': '\n\n' + cm('dev', 'same', '1'), 'c.yaml': cm('dev', 'changed', '2') + '---\n' + cm('dev', 'new', '1')}).objects
    expect(changeSet(before, after).map((c) => `${c.verb} ${c.object.metadata.name}`)).toEqual(['update changed', 'create new', 'delete gone'])
    expect(changeSet(undefined, after).map((c) => `${c.verb} ${c.object.kind} ${c.object.metadata.name}`)).toEqual(['create ConfigMap same', 'create ConfigMap changed', 'create ConfigMap new', 'create Namespace dev', 'create Namespace prod'])
    expect(changeSet(after, after)).toEqual([])
  })
})

describe('the gate', () => {
  const running = desired({'roles.yaml': ROLES, 'alice.yaml': ALICE_EDIT, 'dev.yaml': cm('dev', 'app', '1'), 'prod.yaml': cm('prod', 'app', '1') + '---\n' + cm('prod', 'old', '1')})
  const policy = rbacPolicy(running.objects)
  const input = (next: Desired, extra: Partial<GateInput> = {}): GateInput => ({
    desired: next, previous: running.objects, previousCommit: 'abcdef0123456789', identity: {...impersonate('alice', ['dev']), method: 'signed commit'},
    authorizers: [privilegedGroup, rbacAuthorizer(policy)], escalationPolicy: policy, admission: {plugins: []}, ...extra,
  })

  it('allows what the running RBAC allows and refuses the rest, each refusal with file:line, verb, user and reason', async () => {
    const next = desired({'roles.yaml': ROLES, 'alice.yaml': ALICE_EDIT, 'dev.yaml': cm('dev', 'app', '2'), 'prod.yaml': cm('prod', 'app', '2'), 'admin.yaml': ALICE_ADMIN})
    const r = await gateChange(input(next))
    expect(r.verdicts.map((v) => [v.verb, `${v.kind} ${v.namespace}/${v.name}`, v.allowed])).toEqual([
      ['create', 'ClusterRoleBinding /alice-admin', false],
      ['update', 'ConfigMap dev/app', true],
      ['update', 'ConfigMap prod/app', false],
      ['delete', 'ConfigMap prod/old', false],
    ])
    expect(r.verdicts[1]!.reasons).toEqual(['RBAC: allowed by RoleBinding "alice-edit/dev" of ClusterRole "edit" to User "alice"'])
    expect(r.refusals.map(formatRefusal)).toEqual([
      'admin.yaml:1: clusterrolebindings.rbac.authorization.k8s.io "alice-admin" is forbidden: User "alice" cannot create resource "clusterrolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope (no authorizer allowed it: RBAC: no rule bound to user "alice" (groups=["dev" "system:authenticated"]) allows it); ' +
        'clusterrolebindings.rbac.authorization.k8s.io "alice-admin" is forbidden as escalation: user "alice" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}',
      'prod.yaml:1: configmaps "app" is forbidden: User "alice" cannot update resource "configmaps" in API group "" in the namespace "prod" (no authorizer allowed it: RBAC: no rule bound to user "alice" (groups=["dev" "system:authenticated"]) allows it)',
      'prod.yaml:6 (deleted; as written in the running revision abcdef012345): configmaps "old" is forbidden: User "alice" cannot delete resource "configmaps" in API group "" in the namespace "prod" (no authorizer allowed it: RBAC: no rule bound to user "alice" (groups=["dev" "system:authenticated"]) allows it)',
    ])
  })

  it('an escalation is refused even when the binding itself may be created', async () => {
    const next = desired({'roles.yaml': ROLES, 'alice.yaml': ALICE_EDIT, 'dev.yaml': cm('dev', 'app', '1'), 'prod.yaml': cm('prod', 'app', '1') + '---\n' + cm('prod', 'old', '1'), 'admin.yaml': ALICE_ADMIN})
    const r = await gateChange(input(next, {authorizers: [alwaysAllow]}))
    expect(r.refusals.map(formatRefusal)).toEqual(['admin.yaml:1: clusterrolebindings.rbac.authorization.k8s.io "alice-admin" is forbidden as escalation: user "alice" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}'])
  })

  it('RBAC objects of the new revision do not count: alice binding herself edit in prod does not let her change prod', async () => {
    const selfGrant = ALICE_EDIT.replace(/namespace: dev/, 'namespace: prod').replace('alice-edit', 'alice-edit-prod')
    const next = desired({'roles.yaml': ROLES, 'alice.yaml': ALICE_EDIT + '---\n' + selfGrant, 'dev.yaml': cm('dev', 'app', '1'), 'prod.yaml': cm('prod', 'app', '9') + '---\n' + cm('prod', 'old', '1')})
    const r = await gateChange(input(next))
    expect(r.verdicts.filter((v) => !v.allowed).map((v) => `${v.verb} ${v.kind} ${v.namespace}/${v.name}`)).toEqual(['create RoleBinding prod/alice-edit-prod', 'update ConfigMap prod/app'])
  })

  it('a change of kgit.yaml is an update of clusters.kgit.dev; system:masters may do everything', async () => {
    const same = desired({'roles.yaml': ROLES, 'alice.yaml': ALICE_EDIT, 'dev.yaml': cm('dev', 'app', '1'), 'prod.yaml': cm('prod', 'app', '1') + '---\n' + cm('prod', 'old', '1')})
    const changed = {name: 't', pos: {file: 'kgit.yaml', line: 1}}
    const r = await gateChange(input(same, {clusterChanged: changed}))
    expect(r.refusals.map(formatRefusal)).toEqual(['kgit.yaml:1: clusters.kgit.dev "t" is forbidden: User "alice" cannot update resource "clusters" in API group "kgit.dev" at the cluster scope (no authorizer allowed it: RBAC: no rule bound to user "alice" (groups=["dev" "system:authenticated"]) allows it)'])
    const admin = await gateChange(input(same, {clusterChanged: changed, identity: {...impersonate('root', ['system:masters']), method: '--as'}}))
    expect(admin.refusals).toEqual([])
    expect(admin.verdicts).toEqual([{verb: 'update', kind: 'Cluster', namespace: '', name: 't', pos: {file: 'kgit.yaml', line: 1}, allowed: true, reasons: ['member of system:masters']}])
  })

  it('a first apply (no running revision) creates everything, checked against an empty policy', async () => {
    const next = desired({'dev.yaml': cm('dev', 'app', '1')})
    const r = await gateChange({...input(next), previous: undefined, authorizers: [privilegedGroup, rbacAuthorizer(rbacPolicy([]))]})
    expect(r.verdicts.map((v) => `${v.verb} ${v.kind} ${v.name} ${v.allowed}`)).toEqual(['create ConfigMap app false', 'create Namespace dev false', 'create Namespace prod false'])
    expect(r.refusals.map(formatRefusal).slice(0, 1)).toEqual(['dev.yaml:1: configmaps "app" is forbidden: User "alice" cannot create resource "configmaps" in API group "" in the namespace "dev" (no authorizer allowed it: RBAC: no rule bound to user "alice" (groups=["dev" "system:authenticated"]) allows it)'])
  })

  it('admission plugins run in the same gate and their denials are refusals too', async () => {
    const {PLUGINS} = await import('../../src/engine/admission/chain.js')
    PLUGINS.TestDeny = {name: 'TestDeny', mutating: false, admit: (req) => req.changes.map((c) => ({plugin: 'TestDeny', kind: c.object.kind, namespace: c.object.metadata.namespace, name: c.object.metadata.name, pos: c.object.source, rule: `asked as ${req.user.user}; may create configmaps: ${req.authorize({verb: 'create', resource: 'configmaps', apiGroup: '', namespace: 'dev'})}`}))}
    try {
      const next = desired({'roles.yaml': ROLES, 'alice.yaml': ALICE_EDIT, 'dev.yaml': cm('dev', 'app', '2'), 'prod.yaml': cm('prod', 'app', '1') + '---\n' + cm('prod', 'old', '1')})
      const r = await gateChange(input(next, {admission: {plugins: [{name: 'TestDeny', pos: {file: 'kgit.yaml'}}]}}))
      expect(r.refusals.map(formatRefusal)).toEqual(['ConfigMap dev/app (dev.yaml:1): asked as alice; may create configmaps: true (admission plugin TestDeny)'])
    } finally {
      delete PLUGINS.TestDeny
    }
  })
})
