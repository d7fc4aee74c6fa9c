import {execa} from 'execa'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {deploymentYaml} from '../support/manifests.js'
import {commit, kgit} from './helpers.js'

const repo = inject('labRepo')
const ROOT = new URL('../..', import.meta.url).pathname
let cache: string
let original: string

/** kgit with its cache (and so the keeper's socket) in this test's own folder. */
async function run(...args: string[]): Promise<{stdout: string; stderr: string; exitCode: number}> {
  const r = await execa('node', [join(ROOT, 'bin/run.js'), ...args], {cwd: repo, reject: false, env: {NO_COLOR: '1', KGIT_CACHE_DIR: cache}})
  return {stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1}
}

async function keepers(): Promise<number> {
  const r = await execa('sh', ['-c', `pgrep -fc '[m]ux-server.js ${cache}/' || true`])
  return Number(r.stdout.trim())
}

beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), 'kgit-e2e-persist-'))
  original = await readFile(join(repo, 'kgit.yaml'), 'utf8')
})

afterAll(async () => {
  await execa('pkill', ['-f', `mux-server.js ${cache}/`], {reject: false})
  await commit(repo, {'kgit.yaml': original, manifests: null, 'manifests/.gitkeep': ''}, 'e2e: clean up')
  await kgit(repo, 'apply')
  await rm(cache, {recursive: true, force: true})
})

describe('spec.ssh.controlPersist', () => {
  it('keeps the SSH connections between runs in a keeper process that later runs use, and that ends when idle', async () => {
    const persist = original.replace(/^( {4}knownHostsFile: .*)$/m, '$1\n    controlPersist: 8')
    await commit(repo, {'kgit.yaml': persist, 'manifests/p.yaml': deploymentYaml('p', 2, {image: 'localhost/busybox:1.35', command: ['sleep', '3600'], grace: 1})}, 'persist')
    const first = await run('apply')
    expect(first.exitCode, first.stderr + first.stdout).toBe(0)
    expect(await keepers()).toBe(1)
    const sockets = await execa('sh', ['-c', `stat -c '%a %F' ${cache}/mux/*.sock`])
    expect(sockets.stdout.trim()).toBe('600 socket')
    // Through the keeper: the same answers as direct connections.
    const viaKeeper = await run('plan', '-o', 'json')
    const direct = await kgit(repo, 'plan', '-o', 'json')
    expect(JSON.parse(viaKeeper.stdout)).toEqual(JSON.parse(direct.stdout))
    expect((await run('apply')).stdout).toMatch(/^No changes/m)
    expect(await keepers()).toBe(1)
    // Idle for longer than controlPersist: it closes its connections and exits.
    await new Promise((r) => setTimeout(r, 10_000))
    expect(await keepers()).toBe(0)
    const again = await run('get', 'pods')
    expect(again.exitCode, again.stderr).toBe(0)
    expect(again.stdout.split('\n').filter((l) => l.startsWith('p-'))).toHaveLength(2)
  })
})
