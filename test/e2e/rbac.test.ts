import {execa} from 'execa'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {labTransport, type LabState} from '../../src/engine/exec/lab/index.js'
import {kgit, lab, podsOn} from './helpers.js'

const repo = inject('labRepo')
const labName = inject('labName')
const ROOT = new URL('../..', import.meta.url).pathname
const ADMIN = ['--as', 'admin', '--as-group', 'system:masters']
let state: LabState
let keys: string
let original = ''

const AUTH = `  authentication:
    allowedSignersFile: .kgit/allowed_signers
    usersFile: .kgit/users.csv
    localUser: allow
  authorization:
    modes: [RBAC]
`

const deployment = (ns: string, replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: app, image: localhost/busybox:1.35, command: [sleep, '3600']}]
`

const NAMESPACES = `apiVersion: v1
kind: Namespace
metadata: {name: dev}
---
apiVersion: v1
kind: Namespace
metadata: {name: prod}
`

const ALICE_EDIT = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-edit, namespace: dev}
subjects: [{kind: User, name: alice}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
`

const ALICE_ADMIN = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-admin}
subjects: [{kind: User, name: alice}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
`

async function git(...args: string[]): Promise<string> {
  return (await execa('git', args, {cwd: repo})).stdout
}

/** Writes files and commits them, signed with `signer`'s SSH key when given. */
async function commitAs(files: Record<string, string | null>, message: string, signer?: string): Promise<void> {
  const {mkdir, writeFile} = await import('node:fs/promises')
  const {dirname} = await import('node:path')
  for (const [path, text] of Object.entries(files)) {
    if (text === null) await rm(join(repo, path), {recursive: true, force: true})
    else {
      await mkdir(dirname(join(repo, path)), {recursive: true})
      await writeFile(join(repo, path), text)
    }
  }
  await git('add', '-A')
  const sign = signer ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${join(keys, signer)}`] : []
  await git('-c', 'user.name=e2e', '-c', 'user.email=e2e@kgit.local', ...sign, 'commit', '-q', '--allow-empty', ...(signer ? ['-S'] : []), '-m', message)
}

/** Pod names per namespace, straight from podman on every node. */
async function pods(): Promise<Record<string, string[]>> {
  const all = (await Promise.all(state.nodes.map((n) => podsOn(state, n.name)))).flat()
  const out: Record<string, string[]> = {}
  for (const p of all) (out[p.labels['kgit.dev/namespace'] ?? '?'] ??= []).push(p.name)
  for (const k of Object.keys(out)) out[k]!.sort()
  return out
}

describe(`RBAC on the change (lab ${labName})`, () => {
  beforeAll(async () => {
    state = await lab(labName)
    // A cluster that runs nothing yet: other files of this lab ran before and left records
    // (the revision they applied would be the running one, and authorize turning RBAC on).
    for (const n of state.nodes) {
      const r = await labTransport(state, n.name).exec([['rm', '-f', join(n.dir, 'data', 'record.json')]])
      expect(r.exitCode, r.stderr).toBe(0)
    }
    original = await readFile(join(repo, 'kgit.yaml'), 'utf8')
    keys = await mkdtemp(join(tmpdir(), 'kgit-e2e-rbac-'))
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice', '-f', join(keys, 'alice')])
    const fp = (await execa('ssh-keygen', ['-lf', join(keys, 'alice.pub')])).stdout.split(' ')[1]!
    const pub = (await readFile(join(keys, 'alice.pub'), 'utf8')).trim().split(' ').slice(0, 2).join(' ')
    const roles = await readFile(join(ROOT, 'manifests/rbac/default-cluster-roles.yaml'), 'utf8')
    await commitAs(
      {
        'kgit.yaml': original.replace(/^spec:\n/m, `spec:\n${AUTH}`),
        '.kgit/allowed_signers': `alice namespaces="git" ${pub}\n`,
        '.kgit/users.csv': `${fp},alice,1001,"developers"\n`,
        'manifests/rbac/roles.yaml': roles,
        'manifests/namespaces.yaml': NAMESPACES,
        'manifests/rbac/alice.yaml': ALICE_EDIT,
        'manifests/dev.yaml': deployment('dev', 1),
        'manifests/prod.yaml': deployment('prod', 1),
      },
      'admin: RBAC on, alice edits dev',
    )
  })

  afterAll(async () => {
    await commitAs({'kgit.yaml': original, '.kgit': null, manifests: null, 'manifests/.gitkeep': ''}, 'e2e: clean up')
    await kgit(repo, 'apply', ...ADMIN)
    await rm(keys, {recursive: true, force: true})
  })

  it('a first apply trusts no RBAC object of its own: the local user is refused, system:masters bootstraps', async () => {
    const refused = await kgit(repo, 'apply', '--as', 'admin')
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toContain('manifests/dev.yaml:1: deployments.apps "web" is forbidden: User "admin" cannot create resource "deployments" in API group "apps" in the namespace "dev"')
    expect(refused.stderr).toContain('nothing was applied on any node')
    expect(await pods()).toEqual({})
    const r = await kgit(repo, 'apply', ...ADMIN)
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    expect((await pods()).dev).toHaveLength(1)
  })

  it("alice's signed commit changing dev and prod is refused as a whole; nothing is applied anywhere", async () => {
    const before = await pods()
    await commitAs({'manifests/dev.yaml': deployment('dev', 2), 'manifests/prod.yaml': deployment('prod', 2)}, 'alice: scale dev and prod', 'alice')
    const who = await kgit(repo, 'auth', 'whoami')
    expect(who.stdout).toContain('user:     alice')
    expect(who.stdout).toContain('groups:   developers, system:authenticated')
    expect(who.stdout).toMatch(/found by: signed commit \(key SHA256:\S+, principal alice; groups from \.kgit\/users\.csv:1\)/)
    const r = await kgit(repo, 'apply')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('error: manifests/prod.yaml:1: deployments.apps "web" is forbidden: User "alice" cannot update resource "deployments" in API group "apps" in the namespace "prod" (no authorizer allowed it: RBAC: no rule bound to user "alice" (groups=["developers" "system:authenticated"]) allows it)')
    expect(r.stderr).not.toContain('manifests/dev.yaml')
    expect(r.stdout).toBe('')
    expect(await pods()).toEqual(before)
    const check = await kgit(repo, 'auth', 'reconcile-check')
    expect(check.exitCode).toBe(1)
    expect(check.stdout).toMatch(/allowed {2}update Deployment dev\/web {2}manifests\/dev\.yaml:1\n\s+RBAC: allowed by RoleBinding "alice-edit\/dev" of ClusterRole "edit" to User "alice"/)
    expect(check.stdout).toContain('denied   update Deployment prod/web  manifests/prod.yaml:1')
    expect(check.stdout).toContain('2 changes, 1 refused')
  })

  it('the same change in dev alone is applied', async () => {
    await commitAs({'manifests/prod.yaml': deployment('prod', 1)}, 'alice: scale dev only', 'alice')
    const r = await kgit(repo, 'apply')
    expect(r.stderr).toBe('')
    expect(r.exitCode).toBe(0)
    const after = await pods()
    expect(after.dev).toHaveLength(2)
    expect(after.prod).toHaveLength(1)
    expect((await kgit(repo, 'auth', 'can-i', 'update', 'deployments', '-n', 'prod', '--as', 'alice')).stdout.trim()).toBe('no')
    expect((await kgit(repo, 'auth', 'can-i', 'update', 'deployments', '-n', 'dev', '--as', 'alice')).stdout.trim()).toBe('yes')
    // kgit exec is create pods/exec, kgit logs is get pods/log: edit in dev allows both there, nothing in prod.
    const exec = await kgit(repo, 'exec', 'deployment/web', '-n', 'prod', '--as', 'alice', '--', 'true')
    expect(exec.exitCode).toBe(1)
    expect(exec.stderr).toMatch(/^error: pods "web-\S+" is forbidden: User "alice" cannot create resource "pods\/exec" in API group "" in the namespace "prod" \(no authorizer allowed it: RBAC: no rule bound to user "alice"/)
    expect((await kgit(repo, 'logs', 'deployment/web', '-n', 'dev', '--as', 'alice')).exitCode).toBe(0)
    expect((await kgit(repo, 'logs', 'deployment/web', '-n', 'prod', '--as', 'alice')).stderr).toContain('cannot get resource "pods/log" in API group "" in the namespace "prod"')
  })

  it('alice binding herself cluster-admin is refused as escalation', async () => {
    const before = await pods()
    await commitAs({'manifests/rbac/alice-admin.yaml': ALICE_ADMIN}, 'alice: make me admin', 'alice')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('manifests/rbac/alice-admin.yaml:1: clusterrolebindings.rbac.authorization.k8s.io "alice-admin" is forbidden: User "alice" cannot create resource "clusterrolebindings"')
    expect(r.stderr).toContain('clusterrolebindings.rbac.authorization.k8s.io "alice-admin" is forbidden as escalation: user "alice" (groups=["developers" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:')
    expect(r.stderr).toContain('{APIGroups:["*"], Resources:["*"], Verbs:["*"]}')
    expect(await pods()).toEqual(before)
    // The admin's own apply of the same tree is allowed; alice's binding is live only from then on.
    await commitAs({'manifests/rbac/alice-admin.yaml': null}, 'drop it')
  })
})
