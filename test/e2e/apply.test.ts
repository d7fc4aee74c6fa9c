import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {deploymentYaml} from '../support/manifests.js'
import {hostname} from 'node:os'
import {lock} from '../../src/engine/argv/lock.js'
import {labTransport} from '../../src/engine/exec/lab/index.js'
import {commit, kgit, lab, podCounts, podman, podsOn} from './helpers.js'

const repo = inject('labRepo')
let state: LabState

const HELLO = new URL('../../manifests/examples/hello/', import.meta.url).pathname

function sleeper(name: string, replicas: number): string {
  return deploymentYaml(name, replicas, {image: 'localhost/busybox:1.35', command: ['sleep', '3600'], grace: 1})
}

beforeAll(async () => {
  state = await lab(inject('labName'))
})

afterAll(async () => {
  // Leave the shared lab empty for the next file.
  await commit(repo, {manifests: null, 'manifests/.gitkeep': ''}, 'e2e: clean up')
  await kgit(repo, 'apply')
})

describe('kgit apply on a real lab', () => {
  it('applies the hello example: one pod per node, reachable over HTTP', async () => {
    await commit(repo, {
      'manifests/hello/namespace.yaml': await readFile(join(HELLO, 'namespace.yaml'), 'utf8'),
      'manifests/hello/deployment.yaml': await readFile(join(HELLO, 'deployment.yaml'), 'utf8'),
    })
    const plan = await kgit(repo, 'plan', '--detailed-exitcode')
    expect(plan.exitCode, plan.stderr).toBe(2)
    expect(plan.stdout).toContain('Plan: 3 to create, 0 to replace, 0 to remove')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(r.stdout).toContain('Apply complete: 3 created, 0 replaced, 0 removed')
    expect(await podCounts(state, 'Deployment/hello')).toEqual([1, 1, 1])
    for (const n of state.nodes) {
      const res = await fetch(`http://${n.address}:8080/`)
      expect(await res.text()).toMatch(/^hello from hello-[a-z0-9]+-[a-z0-9]+ \(kgit demo\)/)
    }
  })

  it('a second apply changes nothing and says so', async () => {
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^No changes: the reachable nodes already run [0-9a-f]{12}/m)
    const plan = await kgit(repo, 'plan', '--detailed-exitcode')
    expect(plan.exitCode).toBe(0)
  })

  it('get pods shows live pods with their node', async () => {
    const wide = await kgit(repo, 'get', 'pods', '-n', 'demo', '-o', 'wide')
    expect(wide.exitCode, wide.stderr).toBe(0)
    const lines = wide.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+NODE\s+OWNER$/)
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(1, 3).join(' '))).toEqual(['1/1 Running', '1/1 Running', '1/1 Running'])
    expect(lines.slice(1).map((l) => l.split(/\s+/)[5]).sort()).toEqual(['n1', 'n2', 'n3'])
    const json = JSON.parse((await kgit(repo, 'get', 'pods', '-A', '-o', 'json')).stdout) as {items: {metadata: {namespace: string}; spec: {nodeName: string}}[]}
    expect(json.items.map((i) => i.metadata.namespace)).toEqual(['demo', 'demo', 'demo'])
  })

  it('puts back a container removed by hand', async () => {
    const [victim] = await podsOn(state, 'n2')
    await podman(state, 'n2', 'rm', '--force', '--time', '0', `${victim!.name}_web`)
    const plan = await kgit(repo, 'plan', '--detailed-exitcode')
    expect(plan.exitCode).toBe(2)
    expect(plan.stdout).toContain(`~ pod demo/${victim!.name.split('_')[1]} (Deployment/hello): drift: container web is missing`)
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toContain('0 created, 1 replaced, 0 removed')
    const after = await podsOn(state, 'n2')
    expect(after.map((p) => p.status)).toEqual(['Running'])
    expect((await kgit(repo, 'plan', '--detailed-exitcode')).exitCode).toBe(0)
  })

  it('follows replicas when they are edited and committed', async () => {
    await commit(repo, {'manifests/sleeper.yaml': sleeper('sleeper', 2)})
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    expect((await podCounts(state, 'Deployment/sleeper')).reduce((a, b) => a + b)).toBe(2)
    await commit(repo, {'manifests/sleeper.yaml': sleeper('sleeper', 5)})
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    expect((await podCounts(state, 'Deployment/sleeper')).sort()).toEqual([1, 2, 2])
    await commit(repo, {'manifests/sleeper.yaml': sleeper('sleeper', 1)})
    const r = await kgit(repo, 'apply')
    expect(r.stdout).toContain('0 created, 0 replaced, 4 removed')
    expect((await podCounts(state, 'Deployment/sleeper')).reduce((a, b) => a + b)).toBe(1)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('removes the pods of a manifest deleted from git', async () => {
    await commit(repo, {'manifests/sleeper.yaml': null})
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toContain('0 created, 0 replaced, 1 removed')
    expect(await podCounts(state, 'Deployment/sleeper')).toEqual([0, 0, 0])
    expect(await podCounts(state, 'Deployment/hello')).toEqual([1, 1, 1])
  })

  it('applies only what is committed, and says what is not', async () => {
    const {writeFile} = await import('node:fs/promises')
    await writeFile(join(repo, 'manifests/uncommitted.yaml'), sleeper('uncommitted', 1))
    const r = await kgit(repo, 'apply')
    expect(r.stdout).toMatch(/^No changes/m)
    expect(r.stderr).toContain('uncommitted changes are not applied')
    expect(r.stderr).toContain('manifests/uncommitted.yaml')
    await commit(repo, {'manifests/uncommitted.yaml': null})
  })

  it('lets one of two concurrent applies run and refuses the other clearly; never a mix', async () => {
    await commit(repo, {'manifests/race.yaml': sleeper('race', 3)})
    const [a, b] = await Promise.all([kgit(repo, 'apply', '-q'), kgit(repo, 'apply', '-q')])
    const outcomes = [a, b].map((r) => (r.exitCode === 0 && r.stdout.includes('3 created') ? 'applied' : r.exitCode === 1 && r.stderr.includes('the cluster is locked by') ? 'locked' : `other: ${r.exitCode} ${r.stdout} ${r.stderr}`))
    expect(outcomes.sort()).toEqual(['applied', 'locked'])
    expect([a, b].find((r) => r.exitCode === 1)!.stderr).toMatch(/locked by \S+@\S+ pid \d+ \(kgit apply of [0-9a-f]{12}, since .*\) on node\(s\) .*kgit unlock/)
    expect((await podCounts(state, 'Deployment/race')).reduce((x, y) => x + y)).toBe(3)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('breaks a lock whose holder on this machine died, and kgit unlock breaks any other', async () => {
    const n1 = state.nodes[0]!
    const dead = JSON.stringify({user: 'root', host: hostname(), pid: 2 ** 22 + 12345, command: 'kgit apply', revision: '0'.repeat(40), since: 'then'})
    await labTransport(state, n1.name).exec([lock.acquire(`${n1.dir}/data`, 'stale', dead)])
    // A run with nothing to do takes no lock: the lock matters once there is work.
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
    await commit(repo, {'manifests/race.yaml': sleeper('race', 2)})
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stderr).toContain(`breaking a lock left by root@${hostname()} pid ${2 ** 22 + 12345}`)
    const foreign = JSON.stringify({user: 'ci', host: 'elsewhere', pid: 7, command: 'kgit apply', revision: '1'.repeat(40), since: 'now'})
    await labTransport(state, n1.name).exec([lock.acquire(`${n1.dir}/data`, 'other', foreign)])
    await commit(repo, {'manifests/race.yaml': sleeper('race', 1)})
    const refused = await kgit(repo, 'apply')
    expect(refused.exitCode).toBe(1)
    expect(refused.stderr).toContain('error: the cluster is locked by ci@elsewhere pid 7 (kgit apply of 111111111111, since now) on node(s) n1;')
    // Refused before acting: the two replicas of the previous revision are still there.
    expect((await podCounts(state, 'Deployment/race')).reduce((x, y) => x + y)).toBe(2)
    const unlock = await kgit(repo, 'unlock')
    expect(unlock.stdout).toContain('node n1: removed the lock held by ci@elsewhere pid 7')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    expect((await podCounts(state, 'Deployment/race')).reduce((x, y) => x + y)).toBe(1)
    await commit(repo, {'manifests/race.yaml': null})
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
  })

  it('refuses an invalid revision before touching any node', async () => {
    await commit(repo, {'manifests/bad.yaml': sleeper('bad', 1).replace('replicas: 1', 'replicas: lots')})
    const r = await kgit(repo, 'apply')
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain('manifests/bad.yaml:5 spec.replicas: must be an integer, got string "lots"')
    expect(await podCounts(state, 'Deployment/bad')).toEqual([0, 0, 0])
    await commit(repo, {'manifests/bad.yaml': null})
  })
})
