import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {commitFiles, git as gitIn} from '../support/git-repo.js'
import {readHistory, undoRollout} from '../../src/engine/rollout.js'

// The git side of rollout against a throwaway local repository (no nodes): what git log
// gives, and the commit undo makes.

const CLUSTER = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  manifests: [manifests]\n  nodes: [{name: n1, address: 127.0.0.1}]\n'
const web = (v: string) => `# web\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: main, image: "localhost/busybox:1.35", env: [{name: V, value: "${v}"}]}]\n`
const ref = {namespace: 'default', name: 'web'}
let dir: string

function git(...args: string[]): string {
  return gitIn(dir, ...args)
}

function commit(files: Record<string, string | null>, message: string): string {
  return commitFiles(dir, files, message)
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kgit-rollout-'))
  git('init', '-q', '-b', 'main')
  git('config', 'user.name', 'Tester')
  git('config', 'user.email', 'tester@example.com')
  commit({'kgit.yaml': CLUSTER, 'manifests/web.yaml': web('1')}, 'v1')
})

afterEach(() => rmSync(dir, {recursive: true, force: true}))

const revisions = async () => (await readHistory({dir, revision: 'HEAD', ref})).history.revisions.map((r) => [r.revision, r.commit.subject])

describe('rollout history from git', () => {
  it('follows a renamed file and reads only the first-parent line', async () => {
    commit({'manifests/web.yaml': null, 'manifests/app/web.yaml': web('1')}, 'move')
    git('switch', '-q', '-c', 'feature')
    commit({'manifests/app/web.yaml': web('2')}, 'feature v2')
    commit({'manifests/app/web.yaml': web('3')}, 'feature v3')
    git('switch', '-q', 'main')
    git('merge', '-q', '--no-ff', '-m', 'merge feature', 'feature')
    expect(await revisions()).toEqual([[1, 'v1'], [2, 'merge feature']])
  })

  it('reads back from --commit', async () => {
    commit({'manifests/web.yaml': web('2')}, 'v2')
    expect((await readHistory({dir, revision: 'HEAD~1', ref})).history.current.revision).toBe(1)
  })
})

describe('rollout undo', () => {
  it('commits the previous template on the branch, that file only', async () => {
    commit({'manifests/web.yaml': web('2')}, 'v2')
    writeFileSync(join(dir, 'manifests/other.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: o}\n')
    git('add', 'manifests/other.yaml')
    const dry = await undoRollout({dir, ref, dryRun: true})
    expect(dry.commit).toBeUndefined()
    expect(dry.diff).toContain('-      containers: [{name: main, image: "localhost/busybox:1.35", env: [{name: V, value: "2"}]}]')
    const r = await undoRollout({dir, ref, dryRun: false})
    expect(r.commit).toBe(git('rev-parse', 'HEAD'))
    expect(git('log', '-1', '--format=%s|%an')).toBe(`kgit rollout undo deployment/web to revision 1 (template of ${git('rev-parse', '--short=7', 'HEAD~2')})|Tester`)
    expect(git('show', '--name-only', '--format=', 'HEAD')).toBe('manifests/web.yaml')
    expect(readFileSync(join(dir, 'manifests/web.yaml'), 'utf8')).toBe(web('1'))
    // What was staged before stays staged.
    expect(git('diff', '--cached', '--name-only')).toBe('manifests/other.yaml')
    expect(await revisions()).toEqual([[2, 'v2'], [3, r.message]])
  })

  it('refuses a revision that has nothing before it', async () => {
    await expect(undoRollout({dir, ref, dryRun: true})).rejects.toThrow('deployment/web in namespace default has no previous revision to go back to (it has only revision 1)')
  })

  it('refuses when the Deployment cannot be read at HEAD', async () => {
    commit({'manifests/web.yaml': web('2')}, 'v2')
    commit({'manifests/web.yaml': web('3').replace('image:', 'image: [')}, 'broken')
    await expect(undoRollout({dir, ref, dryRun: true})).rejects.toThrow('deployment/web cannot be read at HEAD')
  })
})
