import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {deploymentYaml} from '../support/manifests.js'
import {commit, kgit, lab, podsOn} from './helpers.js'

const repo = inject('labRepo')
let state: LabState

const NAMESPACE = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n'
const quota = (pods: number): string => `apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: pods, namespace: team-a}\nspec:\n  hard: {pods: "${pods}"}\n`

function sleeper(name: string, replicas: number, seconds = 3600): string {
  return deploymentYaml(name, replicas, {ns: 'team-a', image: 'localhost/busybox:1.35', command: ['sleep', String(seconds)], grace: 1})
}

/** Every kgit pod of the lab, with its podman name: a refused apply must leave it as it was. */
async function allPods(): Promise<string[]> {
  return (await Promise.all(state.nodes.map(async (n) => (await podsOn(state, n.name)).map((p) => `${n.name}/${p.name}`)))).flat().sort()
}

beforeAll(async () => {
  state = await lab(inject('labName'))
})

afterAll(async () => {
  await commit(repo, {manifests: null, 'manifests/.gitkeep': ''}, 'e2e: clean up')
  await kgit(repo, 'apply')
})

describe('ResourceQuota on a real lab', () => {
  it('quota exceeded: the whole apply is refused before any node is touched, naming namespace, resource, used, requested and hard', async () => {
    await commit(repo, {'manifests/ns.yaml': NAMESPACE, 'manifests/quota.yaml': quota(3), 'manifests/web.yaml': sleeper('web', 2)})
    const first = await kgit(repo, 'apply')
    expect(first.exitCode, first.stderr + first.stdout).toBe(0)
    const before = await allPods()
    expect(before).toHaveLength(2)

    // The revision alone needs 4 pods: refused as it is read, by validate, plan and apply alike.
    await commit(repo, {'manifests/api.yaml': sleeper('api', 2)})
    const tooMany = 'error: ResourceQuota team-a/pods (manifests/quota.yaml:1): exceeded quota in namespace team-a: pods requested 4 by this revision, hard 3'
    for (const cmd of ['validate', 'plan', 'apply']) {
      const r = await kgit(repo, cmd)
      expect(r.exitCode, `${cmd}: ${r.stdout}`).toBe(1)
      expect(r.stderr).toContain(tooMany)
    }
    expect(await allPods()).toEqual(before)

    // The end state fits (2 pods) but the rollout's first step, one more pod beside the 2 that run, does not.
    await commit(repo, {'manifests/api.yaml': null, 'manifests/quota.yaml': quota(2), 'manifests/web.yaml': sleeper('web', 2, 7200)})
    const step = await kgit(repo, 'apply')
    expect(step.exitCode, step.stdout).toBe(1)
    expect(step.stderr).toContain('error: ResourceQuota team-a/pods (manifests/quota.yaml:1): exceeded quota in namespace team-a: pods requested 1, used 2, hard 2')
    expect(step.stdout).not.toContain('created')
    expect(await allPods()).toEqual(before)
    expect((await kgit(repo, 'validate')).exitCode).toBe(0)

    // Room for the surge: the rollout goes through, and a second apply has nothing to do.
    await commit(repo, {'manifests/quota.yaml': quota(3)})
    const ok = await kgit(repo, 'apply')
    expect(ok.exitCode, ok.stderr + ok.stdout).toBe(0)
    expect(await allPods()).toHaveLength(2)
    expect(await allPods()).not.toEqual(before)
    const again = await kgit(repo, 'apply')
    expect(again.stdout).toMatch(/^No changes/m)
    const ns = await kgit(repo, 'describe', 'ns', 'team-a')
    expect(ns.stdout).toMatch(/^ {2}pods\s+2\s+3$/m)
  })
})
