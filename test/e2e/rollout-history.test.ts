import {execa} from 'execa'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {commit, kgit, lab, podsOn} from './helpers.js'

const repo = inject('labRepo')
const FILE = 'manifests/roll/deployment.yaml'
const OWNER = 'Deployment/roll'
let state: LabState

/** The Deployment at version `v`: only the env var V changes its pod template. */
function roll(v: number): string {
  return `# rollout e2e: a Deployment whose template changes with V
apiVersion: apps/v1
kind: Deployment
metadata:
  name: roll   # the name rollout takes
spec:
  replicas: 2
  selector: {matchLabels: {app: roll}}
  template:
    metadata: {labels: {app: roll}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: localhost/busybox:1.35
          command: [sleep, "3600"]
          env: [{name: V, value: "${v}"}]
`
}

async function git(...args: string[]): Promise<string> {
  return (await execa('git', args, {cwd: repo})).stdout
}

interface HistoryJson {
  currentRevision: number
  revisions: {revision: number; podTemplateHash: string; changeCause: string; commit: {hash: string; subject: string}}[]
}

async function history(): Promise<HistoryJson> {
  const r = await kgit(repo, 'rollout', 'history', 'deployment/roll', '-o', 'json')
  expect(r.exitCode, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as HistoryJson
}

/** The pod-template-hash of every pod of the Deployment, on all nodes. */
async function liveHashes(): Promise<string[]> {
  const pods = (await Promise.all(state.nodes.map((n) => podsOn(state, n.name)))).flat().filter((p) => p.labels['kgit.dev/owner'] === OWNER)
  return pods.map((p) => p.labels['kgit.dev/template-hash']!)
}

beforeAll(async () => {
  state = await lab(inject('labName'))
})

afterAll(async () => {
  await execa('git', ['checkout', '-q', 'main'], {cwd: repo, reject: false})
  await commit(repo, {manifests: null, 'manifests/.gitkeep': ''}, 'e2e: clean up')
  await kgit(repo, 'apply')
})

describe('kgit rollout history and undo on a real lab', () => {
  const hashes: Record<number, string> = {}

  it('numbers the revisions of three applied versions, with their commit subjects', async () => {
    for (const v of [1, 2, 3]) {
      await commit(repo, {[FILE]: roll(v)}, `roll v${v}`)
      const r = await kgit(repo, 'apply')
      expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    }
    const table = await kgit(repo, 'rollout', 'history', 'deployment/roll')
    expect(table.exitCode, table.stderr).toBe(0)
    const lines = table.stdout.trim().split('\n')
    expect(lines[0]).toBe('deployment.apps/roll')
    expect(lines[1]).toMatch(/^REVISION\s+CHANGE-CAUSE$/)
    expect(lines.slice(2).map((l) => l.match(/^(\d+)\s+(roll v\d) \([0-9a-f]{7}, e2e, \d{4}-\d\d-\d\d\)$/)?.slice(1))).toEqual([['1', 'roll v1'], ['2', 'roll v2'], ['3', 'roll v3']])
    const h = await history()
    for (const r of h.revisions) hashes[r.revision] = r.podTemplateHash
    expect(new Set(await liveHashes())).toEqual(new Set([hashes[3]]))
    const two = await kgit(repo, 'rollout', 'history', 'deploy/roll', '--revision', '2')
    expect(two.stdout).toContain('deployment.apps/roll with revision #2')
    expect(two.stdout).toContain(`Pod-Template-Hash:  ${hashes[2]}`)
    expect(two.stdout).toMatch(/name: V\n\s+value: "2"/)
  })

  it('refuses bad inputs with clear errors', async () => {
    const head = await git('rev-parse', 'HEAD')
    const cases: [string[], string][] = [
      [['rollout', 'history', 'deployment/nope'], `deployment "nope" is not in namespace default at revision ${head.slice(0, 12)}`],
      [['rollout', 'history', 'deployment/roll', '-n', 'shop'], 'deployment "roll" is not in namespace shop'],
      [['rollout', 'history', 'deployment/roll', '--revision', '9'], 'revision 9 is not in the history of deployment/roll in namespace default (revisions: 1, 2, 3)'],
      [['rollout', 'history', 'pod/roll'], '"pod/roll": rollout works on deployments'],
      [['rollout', 'undo', 'deployment/roll', '--to-revision', '3'], 'deployment/roll is already at revision 3: nothing to undo'],
      [['rollout', 'undo', 'deployment/roll', '--to-revision', '7'], '(revisions: 1, 2, 3)'],
    ]
    for (const [args, message] of cases) {
      const r = await kgit(repo, ...args)
      expect(r.exitCode, args.join(' ')).toBe(1)
      expect(r.stderr).toContain(message)
    }
    await writeFile(join(repo, FILE), roll(3) + '# an edit not committed\n')
    const dirty = await kgit(repo, 'rollout', 'undo', 'deployment/roll')
    expect(dirty.stderr).toContain(`${FILE} has uncommitted changes: commit or stash them first`)
    await git('checkout', '--', FILE)
    await git('checkout', '-q', '--detach')
    const detached = await kgit(repo, 'rollout', 'undo', 'deployment/roll')
    expect(detached.stderr).toContain('HEAD is detached')
    await git('checkout', '-q', 'main')
    const home = await mkdtemp(join(tmpdir(), 'kgit-e2e-home-'))
    try {
      const env = {NO_COLOR: '1', HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: '1'}
      const anon = await execa('node', [new URL('../../bin/run.js', import.meta.url).pathname, 'rollout', 'undo', 'deployment/roll'], {cwd: repo, reject: false, env})
      expect(anon.exitCode).toBe(1)
      expect(anon.stderr).toContain('git does not know who you are (user.name and user.email not set)')
      expect(anon.stderr).toContain('git config --global user.name')
    } finally {
      await rm(home, {recursive: true, force: true})
    }
    expect(await git('rev-parse', 'HEAD')).toBe(head)
    expect(await git('status', '--porcelain', '--', 'manifests')).toBe('')
  })

  it('--dry-run prints the diff and changes nothing', async () => {
    const head = await git('rev-parse', 'HEAD')
    const r = await kgit(repo, 'rollout', 'undo', 'deployment/roll', '--dry-run')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toContain(`--- a/${FILE}`)
    expect(r.stdout).toContain('-          env: [{name: V, value: "3"}]\n+          env: [{name: V, value: "2"}]')
    expect(await git('rev-parse', 'HEAD')).toBe(head)
    expect(await readFile(join(repo, FILE), 'utf8')).toBe(roll(3))
  })

  it('undo commits the previous template, applies it, and history renumbers it', async () => {
    const v2commit = (await history()).revisions.find((r) => r.revision === 2)!.commit.hash
    const r = await kgit(repo, 'rollout', 'undo', 'deployment/roll')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    const message = `kgit rollout undo deployment/roll to revision 2 (template of ${v2commit.slice(0, 7)})`
    expect(await git('log', '-1', '--format=%s')).toBe(message)
    expect(await git('show', '--name-only', '--format=', 'HEAD')).toBe(FILE)
    // Only spec.template changed, and v2's template lines came back as they were written.
    expect(await git('show', `HEAD:${FILE}`)).toBe(roll(2).trimEnd())
    expect(await readFile(join(repo, FILE), 'utf8')).toBe(roll(2))
    expect(r.stdout).toMatch(/Apply complete: \d+ created, \d+ replaced, \d+ removed/)
    expect(new Set(await liveHashes())).toEqual(new Set([hashes[2]]))
    const h = await history()
    expect(h.revisions.map((x) => x.revision)).toEqual([1, 3, 4])
    expect(h.revisions.at(-1)).toMatchObject({podTemplateHash: hashes[2], changeCause: expect.stringContaining(message)})
  })

  it('--to-revision goes back to any retained revision', async () => {
    const r = await kgit(repo, 'rollout', 'undo', 'deploy/roll', '--to-revision', '1')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(await readFile(join(repo, FILE), 'utf8')).toBe(roll(1))
    expect(new Set(await liveHashes())).toEqual(new Set([hashes[1]]))
    expect((await history()).revisions.map((x) => [x.revision, x.podTemplateHash])).toEqual([[3, hashes[3]], [4, hashes[2]], [5, hashes[1]]])
  })

  it('--no-apply only commits; the next apply converges, and the one after does nothing', async () => {
    const r = await kgit(repo, 'rollout', 'undo', 'deployment/roll', '--no-apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toContain('Not applied (--no-apply)')
    expect(new Set(await liveHashes())).toEqual(new Set([hashes[1]]))
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    expect(new Set(await liveHashes())).toEqual(new Set([hashes[2]]))
    const again = await kgit(repo, 'apply')
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/^No changes: the reachable nodes already run [0-9a-f]{12}/m)
  })
})
