import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {deploymentYaml} from '../support/manifests.js'
import {commit, kgit, lab, podCounts} from './helpers.js'

const repo = inject('labRepo')
let state: LabState
let scratch: string
/** Long enough for the failed apply, the pod count and the plan that must still see the grace period running, on a loaded machine (a kgit run can take seconds there). */
const GRACE = 20

beforeAll(async () => {
  state = await lab(inject('labName'))
  scratch = await mkdtemp(join(tmpdir(), 'kgit-e2e-unreachable-'))
})

afterAll(async () => {
  await commit(repo, {manifests: null, 'manifests/.gitkeep': ''}, 'e2e: clean up')
  await kgit(repo, 'apply')
  await rm(scratch, {recursive: true, force: true})
})

describe('a node that stops answering', () => {
  it('keeps its replicas counted for the grace period, starts them elsewhere after it, removes the old copies when the node answers again', async () => {
    const cluster = (await readFile(join(repo, 'kgit.yaml'), 'utf8')).replace(/\n {2}nodes:\n/, `\n  unreachableGracePeriodSeconds: ${GRACE}\n  nodes:\n`)
    const n3 = state.nodes[2]!
    // n3 "goes down": its sshd is asked for on a port where nothing listens.
    const down = cluster.replace(`address: ${n3.address}\n`, `address: ${n3.address}\n      port: 2222\n`)
    const up = join(scratch, 'up.yaml')
    const gone = join(scratch, 'down.yaml')
    await writeFile(up, cluster)
    await writeFile(gone, down)
    await commit(repo, {'manifests/spread.yaml': deploymentYaml('spread', 3, {image: 'localhost/busybox:1.35', command: ['sleep', '3600'], grace: 1})}, 'spread')
    expect((await kgit(repo, 'apply', '--cluster', up)).exitCode).toBe(0)
    expect(await podCounts(state, 'Deployment/spread')).toEqual([1, 1, 1])

    const first = await kgit(repo, 'apply', '--cluster', gone)
    expect(first.exitCode).toBe(1)
    expect(first.stderr).toContain('error: node n3 is unreachable')
    expect(await podCounts(state, 'Deployment/spread')).toEqual([1, 1, 1])
    const held = await kgit(repo, 'plan', '--cluster', gone)
    expect(held.stdout).toMatch(/\? pod default\/spread-\w+-\w+ on unreachable node n3: counted as running until the grace period ends/)
    expect(held.stdout).toMatch(/node n3: unreachable since \d{4}-\d\d-\d\dT/)

    await new Promise((r) => setTimeout(r, (GRACE + 1) * 1000))
    const after = await kgit(repo, 'apply', '--cluster', gone)
    expect(after.exitCode).toBe(1)
    expect(after.stdout).toContain('1 created')
    const counts = await podCounts(state, 'Deployment/spread')
    expect(counts[0]! + counts[1]!).toBe(3)
    expect(counts[2]).toBe(1)

    const back = await kgit(repo, 'apply', '--cluster', up)
    expect(back.exitCode, back.stderr + back.stdout).toBe(0)
    expect(back.stdout).toMatch(/- pod default\/spread-\w+-\w+ \(Deployment\/spread\): its node n3 did not answer for longer than the grace period; the replica was started elsewhere/)
    const final = await podCounts(state, 'Deployment/spread')
    expect(final[2]).toBe(0)
    expect(final.reduce((a, b) => a + b)).toBe(3)
    expect((await kgit(repo, 'apply', '--cluster', up)).stdout).toMatch(/^No changes/m)
  })
})
