import {execa} from 'execa'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {commit, kgit} from './helpers.js'

let repo: string

const CLUSTER = `apiVersion: kgit.dev/v1alpha1
kind: Cluster
metadata: {name: v}
spec:
  nodes: [{name: n1, address: 198.51.100.254}]
`

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'kgit-validate-'))
  await execa('git', ['init', '-q', '-b', 'main'], {cwd: repo})
  await commit(repo, {'kgit.yaml': CLUSTER, 'manifests/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: "busybox:1.35"}]\n'})
})

afterAll(async () => {
  await rm(repo, {recursive: true, force: true})
})

describe('kgit validate', () => {
  it('accepts a valid revision without contacting any node', async () => {
    // The node's address is never dialled: validate only reads git.
    const r = await kgit(repo, 'validate')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^[0-9a-f]{12}: 1 object\(s\), 1 node\(s\): valid$/m)
  })

  it('reports every error with file, line and field, as text and as JSON', async () => {
    await commit(repo, {'manifests/bad.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: Bad}\nspec:\n  containers: [{name: c, image: "x:1", ports: [{containerPort: 0}]}]\n'})
    const r = await kgit(repo, 'validate')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('error: manifests/bad.yaml:3 metadata.name: invalid name "Bad": a lowercase RFC 1123 subdomain must consist of')
    expect(r.stderr).toContain('error: manifests/bad.yaml:5 spec.containers[0].ports[0].containerPort: must be at least 1, got 0')
    expect(r.stderr).toContain('2 errors')
    const j = await kgit(repo, 'validate', '-o', 'json')
    expect(j.exitCode).toBe(1)
    expect(JSON.parse(j.stdout).errors).toContainEqual({file: 'manifests/bad.yaml', line: 5, field: 'spec.containers[0].ports[0].containerPort', message: 'must be at least 1, got 0'})
  })

  it('checks only the paths it is given', async () => {
    const only = await kgit(repo, 'validate', join(repo, 'manifests/pod.yaml'))
    expect(only.exitCode, only.stderr).toBe(0)
    expect(only.stdout).toMatch(/: 1 object\(s\)/)
    const outside = await kgit(repo, 'validate', '/etc')
    expect(outside.stderr).toContain('error: /etc is not inside the repository')
  })

  it('refuses a manifests path that names nothing, instead of reading it as "no objects"', async () => {
    const cluster = join(repo, 'typo.yaml')
    const {writeFile} = await import('node:fs/promises')
    await writeFile(cluster, CLUSTER.replace('spec:\n', 'spec:\n  manifests: [manifest]\n'))
    const r = await kgit(repo, 'validate', '--cluster', cluster)
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toMatch(/spec\.manifests\[0\]: "manifest" is not in commit [0-9a-f]{12} \(no such file or folder/)
    await rm(cluster)
  })

  it('validates an older revision with --revision', async () => {
    const r = await kgit(repo, 'validate', '--revision', 'HEAD~1')
    expect(r.exitCode, r.stderr).toBe(0)
  })
})

describe('kgit init', () => {
  it('makes a committed repository that validates, and refuses to overwrite one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kgit-init-'))
    try {
      const r = await kgit(dir, 'init', 'repo')
      expect(r.exitCode, r.stderr).toBe(0)
      expect(r.stdout).toContain('kgit.yaml')
      const v = await kgit(join(dir, 'repo'), 'validate')
      expect(v.exitCode, v.stderr).toBe(0)
      expect(v.stdout).toMatch(/2 object\(s\), 1 node\(s\): valid/)
      expect((await execa('git', ['status', '--porcelain'], {cwd: join(dir, 'repo')})).stdout).toBe('')
      const again = await kgit(dir, 'init', 'repo')
      expect(again.exitCode).toBe(1)
      expect(again.stderr).toContain('already exists')
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})

describe('--working-tree', () => {
  it('reads uncommitted edits only when asked', async () => {
    const {writeFile} = await import('node:fs/promises')
    await writeFile(join(repo, 'manifests/extra.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: extra}\nspec:\n  containers: [{name: c, image: "busybox:1.35"}]\n')
    const committed = await kgit(repo, 'validate', '--revision', 'HEAD~1')
    expect(committed.stdout).toMatch(/: 1 object\(s\)/)
    const wt = await kgit(repo, 'validate', '--working-tree')
    expect(wt.exitCode).toBe(1)
    expect(wt.stderr).toContain('manifests/bad.yaml:3 metadata.name: invalid name')
    await rm(join(repo, 'manifests/bad.yaml'))
    const ok = await kgit(repo, 'validate', '--working-tree')
    expect(ok.exitCode, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/^[0-9a-f]{12}\+working-tree: 2 object\(s\)/m)
  })
})
