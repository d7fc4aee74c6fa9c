import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {accessRequest, type AccessArgs} from '../../src/engine/admission/rbac-resources.js'
import {canI} from '../../src/engine/auth.js'
import {commitFiles, git} from '../support/git-repo.js'

// `kgit auth can-i`: how VERB RESOURCE [NAME] is read, and the answer from a revision's RBAC objects.

const base: AccessArgs = {verb: 'get', resource: 'pods', namespace: 'dev'}

describe('kgit auth can-i arguments', () => {
  it.each<[string, Partial<AccessArgs>, ReturnType<typeof accessRequest>['ask']]>([
    ['a plural', {resource: 'pods'}, {verb: 'get', apiGroup: '', resource: 'pods', namespace: 'dev'}],
    ['a singular, with its group found', {verb: 'update', resource: 'deployment', name: 'web'}, {verb: 'update', apiGroup: 'apps', resource: 'deployments', namespace: 'dev', name: 'web'}],
    ['a short name', {resource: 'deploy'}, {verb: 'get', apiGroup: 'apps', resource: 'deployments', namespace: 'dev'}],
    ['TYPE.GROUP', {resource: 'deployments.apps'}, {verb: 'get', apiGroup: 'apps', resource: 'deployments', namespace: 'dev'}],
    ['TYPE.GROUP of an older group', {resource: 'deployments.extensions'}, {verb: 'get', apiGroup: 'extensions', resource: 'deployments', namespace: 'dev'}],
    ['TYPE/SUBRESOURCE', {resource: 'pods/log', name: 'p'}, {verb: 'get', apiGroup: '', resource: 'pods', subresource: 'log', namespace: 'dev', name: 'p'}],
    ['--subresource', {verb: 'update', resource: 'deployments.apps', subresource: 'scale'}, {verb: 'update', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'dev'}],
    ['a cluster-scoped resource, asked cluster-wide', {verb: 'create', resource: 'clusterrolebindings'}, {verb: 'create', apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', namespace: ''}],
    ['nodes', {verb: 'delete', resource: 'no', name: 'n1'}, {verb: 'delete', apiGroup: '', resource: 'nodes', namespace: '', name: 'n1'}],
    ['* (every resource)', {verb: '*', resource: '*'}, {verb: '*', apiGroup: '', resource: '*', namespace: 'dev'}],
    ['a non-resource URL', {resource: '/healthz'}, {verb: 'get', path: '/healthz'}],
  ])('reads %s', (_, args, ask) => {
    const r = accessRequest({...base, ...args})
    expect(r.ask).toEqual(ask)
    expect(r.unknownResource).toBeUndefined()
  })

  it('asks about a resource it does not know as typed, and says so', () => {
    expect(accessRequest({...base, resource: 'widgets.example.com'})).toEqual({ask: {verb: 'get', apiGroup: 'example.com', resource: 'widgets', namespace: 'dev'}, unknownResource: 'widgets.example.com'})
    expect(accessRequest({...base, resource: 'Widgets'})).toEqual({ask: {verb: 'get', apiGroup: '', resource: 'widgets', namespace: 'dev'}, unknownResource: 'Widgets'})
  })

  it.each<[string, Partial<AccessArgs>, string]>([
    ['kubectl\'s TYPE/NAME', {resource: 'deployments/web'}, 'kubectl reads TYPE/NAME here, kgit takes the name as its own argument: kgit auth can-i get deployments web'],
    ['two subresources that differ', {resource: 'pods/log', subresource: 'exec'}, '"pods/log" names subresource log but --subresource says exec'],
    ['a URL with a name', {resource: '/healthz', name: 'x'}, 'a non-resource URL (/healthz) takes no NAME and no --subresource'],
    ['TYPE/SUB/MORE', {resource: 'pods/log/x'}, '"pods/log/x" is not a resource'],
  ])('refuses %s', (_, args, message) => {
    expect(() => accessRequest({...base, ...args})).toThrow(message)
  })
})

describe('kgit auth can-i on a repository', () => {
  let dir: string
  const CLUSTER = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  manifests: [manifests]\n  nodes: [{name: n1, address: 10.0.0.1}]\n'
  const bind = (user: string, role: string): string => `apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: dev}\nsubjects: [{kind: User, name: ${user}}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${role}}\n`
  let first: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kgit-can-i-'))
    git(dir, 'init', '-q', '-b', 'main')
    const roles = readFileSync(new URL('../../manifests/rbac/default-cluster-roles.yaml', import.meta.url), 'utf8')
    first = commitFiles(dir, {'kgit.yaml': CLUSTER, 'manifests/roles.yaml': roles, 'manifests/b.yaml': bind('alice', 'view')}, 'alice views dev')
    commitFiles(dir, {'manifests/b.yaml': bind('alice', 'edit')}, 'alice edits dev')
  })
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  const ask = (revision: string, verb: string, resource: string) => canI({dir, revision, verb, resource, namespace: 'dev', as: 'alice', asGroups: []})

  it('answers from HEAD, naming the binding', async () => {
    const r = await ask('HEAD', 'update', 'deployments.apps')
    expect(r.decision).toEqual({allowed: true, reason: 'RBAC: allowed by RoleBinding "b/dev" of ClusterRole "edit" to User "alice"'})
    expect(r.request).toMatchObject({user: 'alice', groups: ['system:authenticated'], verb: 'update', apiGroup: 'apps', resource: 'deployments', namespace: 'dev'})
  })

  it('answers from another revision with --revision', async () => {
    const r = await ask(first, 'update', 'deployments')
    expect(r.decision.allowed).toBe(false)
    expect(r.commit).toBe(first)
    expect((await ask(first, 'get', 'pods/log')).decision.allowed).toBe(true)
  })
})
