import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {forgetNode, scheduleNode} from '../../src/engine/node-schedule.js'

// The commit kgit cordon, uncordon and drain make, against a throwaway repository (no nodes).

const CLUSTER = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  manifests: [manifests]\n  nodes:\n    - name: n1  # first\n      address: 127.0.0.1\n    - name: n2\n      address: 127.0.0.2\n'
let dir: string

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], {cwd: dir, encoding: 'utf8'}).trim()
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kgit-cordon-'))
  git('init', '-q', '-b', 'main')
  git('config', 'user.name', 'Tester')
  git('config', 'user.email', 'tester@example.com')
  git('config', 'commit.gpgsign', 'false')
  writeFileSync(join(dir, 'kgit.yaml'), CLUSTER)
  git('add', '-A')
  git('commit', '-q', '-m', 'cluster')
})

afterEach(() => rmSync(dir, {recursive: true, force: true}))

describe('kgit cordon, uncordon and drain commit kgit.yaml', () => {
  it('cordon commits one line on the node; again is no change; uncordon gives the file back', async () => {
    const r = await scheduleNode({dir, node: 'n2', action: 'cordon'})
    expect(r).toMatchObject({changed: true, message: 'node/n2 cordoned', branch: 'main', file: 'kgit.yaml'})
    expect(git('log', '-1', '--format=%s%n%H')).toBe(`kgit cordon n2\n${r.commit}`)
    expect(readFileSync(join(dir, 'kgit.yaml'), 'utf8')).toBe(`${CLUSTER}      unschedulable: true\n`)
    expect(git('status', '--porcelain')).toBe('')
    expect(await scheduleNode({dir, node: 'n2', action: 'cordon'})).toEqual({changed: false, message: 'node n2 is already cordoned', file: 'kgit.yaml'})
    const d = await scheduleNode({dir, node: 'n2', action: 'drain'})
    expect(d.message).toBe('node/n2 drained')
    expect(readFileSync(join(dir, 'kgit.yaml'), 'utf8')).toBe(`${CLUSTER}      unschedulable: true\n      drain: true\n`)
    expect((await scheduleNode({dir, node: 'n2', action: 'cordon'})).message).toBe('node n2 is already cordoned (and drained: kgit uncordon opens it)')
    expect((await scheduleNode({dir, node: 'n2', action: 'uncordon'})).message).toBe('node/n2 uncordoned')
    expect(readFileSync(join(dir, 'kgit.yaml'), 'utf8')).toBe(CLUSTER)
    expect((await scheduleNode({dir, node: 'n2', action: 'uncordon'})).message).toBe('node n2 is already schedulable')
    expect(git('log', '--format=%s')).toBe('kgit uncordon n2\nkgit drain n2\nkgit cordon n2\ncluster')
  })

  it('--dry-run shows the diff and commits nothing', async () => {
    const r = await scheduleNode({dir, node: 'n1', action: 'drain', dryRun: true})
    expect(r.commit).toBeUndefined()
    expect(r.diff).toContain('+      unschedulable: true\n+      drain: true\n')
    expect(git('log', '--format=%s')).toBe('cluster')
  })

  it('refuses an unknown node, naming the known ones, and a kgit.yaml with uncommitted changes', async () => {
    await expect(scheduleNode({dir, node: 'n9', action: 'cordon'})).rejects.toThrow('node "n9" is not in kgit.yaml (nodes: n1, n2)')
    writeFileSync(join(dir, 'kgit.yaml'), CLUSTER + '# edited\n')
    await expect(scheduleNode({dir, node: 'n1', action: 'cordon'})).rejects.toThrow('kgit.yaml has uncommitted changes: commit or stash them first (kgit cordon commits that file)')
    expect(git('log', '--format=%s')).toBe('cluster')
  })

  it('refuses a detached HEAD', async () => {
    git('switch', '-q', '--detach')
    await expect(scheduleNode({dir, node: 'n1', action: 'cordon'})).rejects.toThrow(/HEAD is detached .*: kgit cordon commits on a branch/)
  })
})

describe('kgit node forget commits kgit.yaml without the node', () => {
  it('removes the node, names the commit, refuses an unknown node', async () => {
    const dry = await forgetNode({dir, node: 'n2', dryRun: true})
    expect(dry.commit).toBeUndefined()
    expect(dry.diff).toContain('-    - name: n2')
    const r = await forgetNode({dir, node: 'n2'})
    expect(r).toMatchObject({changed: true, message: 'node/n2 forgotten', branch: 'main'})
    expect(readFileSync(join(dir, 'kgit.yaml'), 'utf8')).toBe(CLUSTER.replace('    - name: n2\n      address: 127.0.0.2\n', ''))
    expect(git('log', '-1', '--format=%s')).toBe('kgit node forget n2')
    await expect(forgetNode({dir, node: 'n2'})).rejects.toThrow('node "n2" is not in kgit.yaml (nodes: n1)')
    await expect(forgetNode({dir, node: 'n1'})).rejects.toThrow('n1 is the only node')
  })
})
