import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {formatRefusal} from '../../src/engine/gate.js'
import {gateRevision} from '../../src/engine/gate-run.js'
import {loadRevision} from '../../src/engine/session.js'
import type {NodeRecord, Observed} from '../../src/engine/types.js'
import {commitFiles, git} from '../support/git-repo.js'

// The gate's trust: what decides comes from the revision the nodes' records name, never
// from the change. A repository on disk, nodes faked by their records.
const kgitYaml = (extra = ''): string => `apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  nodes: [{name: n1, address: 10.0.0.1}]\n  secrets: {allowPlaintext: true}\n${extra}`
const RBAC = '  authorization:\n    modes: [RBAC]\n'
const NS = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n'
const cm = (v: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: dev}\ndata: {k: "${v}"}\n`
const BIND = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: alice-all}\nsubjects: [{kind: User, name: alice}]\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: all}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: all}\nrules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]\n'

const observedAt = (commit?: string): Observed => ({nodes: [{node: 'n1', reachable: true, pods: [], ...(commit ? {record: {commit, writtenAt: '2026-01-01T00:00:00Z', appliedAt: '', appliedBy: '', author: '', subject: '', pods: {}, unreachableSince: {}} satisfies NodeRecord} : {})}], at: 0})

describe('the gate trusts the running revision', {timeout: 60_000}, () => {
  let dir: string
  let running: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kgit-gate-'))
    git(dir, 'init', '-q')
    running = commitFiles(dir, {'kgit.yaml': kgitYaml(RBAC), 'manifests/ns.yaml': NS, 'manifests/app.yaml': cm('1')}, 'running: RBAC, no bindings')
  })
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  const gate = async (as: string, groups: string[] = []) => {
    const loaded = await loadRevision({dir, revision: 'HEAD'})
    return gateRevision(loaded, observedAt(running), {dir, revision: 'HEAD', identity: {as, asGroups: groups}})
  }

  it('turning authorization off in the change does not turn it off for the change', async () => {
    commitFiles(dir, {'kgit.yaml': kgitYaml(), 'manifests/app.yaml': cm('2')}, 'alice: AlwaysAllow please')
    const r = (await gate('alice'))!
    expect(r.refusals.map(formatRefusal)).toEqual([
      'kgit.yaml:1: clusters.kgit.dev "t" is forbidden: User "alice" cannot update resource "clusters" in API group "kgit.dev" at the cluster scope (no authorizer allowed it: RBAC: no rule bound to user "alice" (groups=["system:authenticated"]) allows it)',
      'manifests/app.yaml:1: configmaps "app" is forbidden: User "alice" cannot update resource "configmaps" in API group "" in the namespace "dev" (no authorizer allowed it: RBAC: no rule bound to user "alice" (groups=["system:authenticated"]) allows it)',
    ])
  })

  it("a binding in the change does not count for the change; system:masters may apply it", async () => {
    commitFiles(dir, {'kgit.yaml': kgitYaml(RBAC), 'manifests/bind.yaml': BIND}, 'alice: bind me')
    const r = (await gate('alice'))!
    expect(r.verdicts.map((v) => `${v.verb} ${v.kind} ${v.name} ${v.allowed}`)).toEqual(['update ConfigMap app false', 'create ClusterRoleBinding alice-all false', 'create ClusterRole all false'])
    expect((await gate('root', ['system:masters']))!.refusals).toEqual([])
  })

  it('with no record, the new revision is checked against no bindings at all', async () => {
    const loaded = await loadRevision({dir, revision: 'HEAD'})
    const r = (await gateRevision(loaded, observedAt(undefined), {dir, revision: 'HEAD', identity: {as: 'alice'}}))!
    expect(r.verdicts.every((v) => v.verb === 'create' && !v.allowed)).toBe(true)
  })

  it('a revision that changes nothing needs no identity', async () => {
    const loaded = await loadRevision({dir, revision: running})
    // --as-group without --as finds no identity: fine when nothing changes, refused otherwise.
    const r = (await gateRevision(loaded, observedAt(running), {dir, revision: running, identity: {asGroups: ['g']}, always: true}))!
    expect(r.verdicts).toEqual([])
    expect(r.identity.user).toBe('system:anonymous')
    const head = await loadRevision({dir, revision: 'HEAD'})
    await expect(gateRevision(head, observedAt(running), {dir, revision: 'HEAD', identity: {asGroups: ['g']}})).rejects.toThrow('--as-group needs --as')
  })

  it('a running commit missing from the repository stops the gate', async () => {
    const loaded = await loadRevision({dir, revision: 'HEAD'})
    await expect(gateRevision(loaded, observedAt('0'.repeat(40)), {dir, revision: 'HEAD'})).rejects.toThrow(`the cluster runs commit 000000000000 (the nodes' records), but its kgit.yaml cannot be read in ${dir}: git fetch it, so its authorization applies`)
  })
})
