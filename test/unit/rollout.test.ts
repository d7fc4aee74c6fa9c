import {describe, expect, it} from 'vitest'
import {isAvailable, resolveRollingLimits, rolloutStep, type RolloutInput} from '../../src/engine/controllers/rollout.js'
import type {ObservedPod} from '../../src/engine/types.js'

const NOW = 1_000_000

function pods(prefix: string, n: number, opts: {ready?: boolean; readySince?: number; unknown?: boolean} = {}): ObservedPod[] {
  return Array.from({length: n}, (_, i) => ({
    node: `n${(i % 3) + 1}`, podmanName: `${prefix}${i}`, namespace: 'default', name: `${prefix}-${i}`, specHash: 'h', labels: {}, status: 'Running',
    created: new Date(NOW - 60_000 + i * 1000).toISOString(), containers: [], ready: opts.ready ?? true, readySince: opts.readySince ?? NOW - 30_000, ...(opts.unknown ? {unknown: true as const} : {}),
  }))
}

function input(current: ObservedPod[], old: ObservedPod[], over: Partial<RolloutInput> = {}): RolloutInput {
  return {replicas: 6, strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}, minReadySeconds: 0, progressDeadlineSeconds: 600, paused: false, current, old, now: NOW, ...over}
}

describe('rolling limits, as Kubernetes rounds them', () => {
  const cases: [number, number | string, number | string, {surge: number; unavailable: number}][] = [
    [6, 1, 1, {surge: 1, unavailable: 1}],
    [10, '25%', '25%', {surge: 3, unavailable: 2}],
    [1, '25%', '25%', {surge: 1, unavailable: 0}],
    [4, 0, 0, {surge: 0, unavailable: 1}],
    [3, '0%', '50%', {surge: 0, unavailable: 1}],
  ]
  for (const [r, s, u, want] of cases) it(`replicas ${r}, maxSurge ${s}, maxUnavailable ${u}`, () => expect(resolveRollingLimits(r, s, u)).toEqual(want))
})

describe('rolloutStep', () => {
  it('starts: one new pod (surge) and one old pod goes (unavailable), never below 5 available nor above 7 pods', () => {
    const s = rolloutStep(input([], pods('old', 6)))
    expect(s.create).toBe(1)
    expect(s.remove.map((r) => r.pod.name)).toEqual(['old-5'])
    expect(s.remove[0]!.reason).toBe('old template (rolling update: maxSurge 1, maxUnavailable 1)')
  })

  it('waits while the new pod is not available: no more old pods go', () => {
    const s = rolloutStep(input(pods('new', 2, {ready: false}), pods('old', 5)))
    expect(s.create).toBe(0)
    expect(s.remove).toEqual([])
    expect(s.status.notAvailable).toEqual(['pod new-0 on n1: not ready', 'pod new-1 on n2: not ready'])
  })

  it('goes on once the new pod is available', () => {
    const s = rolloutStep(input(pods('new', 1), pods('old', 5)))
    expect(s.create).toBe(1)
    expect(s.remove).toHaveLength(1)
  })

  it('removes unavailable old pods first, at no cost to availability', () => {
    const old = [...pods('bad', 1, {ready: false}), ...pods('old', 5)]
    const s = rolloutStep(input(pods('new', 1), old))
    expect(s.remove.map((r) => r.pod.name)).toEqual(['bad-0', 'old-4'])
    expect(s.remove[0]!.reason).toMatch(/^old template, not available/)
  })

  it('counts a pod as available only minReadySeconds after it became ready', () => {
    const fresh = pods('new', 1, {readySince: NOW - 5_000})[0]!
    expect(isAvailable(fresh, 10, NOW)).toBe(false)
    expect(isAvailable(fresh, 5, NOW)).toBe(true)
    expect(rolloutStep(input([fresh], pods('old', 5), {minReadySeconds: 10})).remove).toEqual([])
  })

  it('is complete when every pod runs the template and is available', () => {
    const s = rolloutStep(input(pods('new', 6), []))
    expect(s).toMatchObject({create: 0, remove: [], status: {complete: true, available: 6, updated: 6, old: 0}})
  })

  it('Recreate: all old pods go first, new ones start when none is left', () => {
    const strategy = {type: 'Recreate' as const}
    expect(rolloutStep(input([], pods('old', 6), {strategy}))).toMatchObject({create: 0, remove: expect.arrayContaining([expect.objectContaining({reason: expect.stringMatching(/^old template \(strategy Recreate/)})])})
    expect(rolloutStep(input([], pods('old', 6), {strategy})).remove).toHaveLength(6)
    expect(rolloutStep(input([], [], {strategy})).create).toBe(6)
  })

  it('a paused Deployment is left as it is', () => {
    const s = rolloutStep(input([], pods('old', 6), {paused: true}))
    expect(s).toMatchObject({create: 0, remove: [], status: {paused: true, complete: false}})
  })

  it('reports the progress deadline from the pods alone', () => {
    const stuck = pods('new', 2, {ready: false}).map((p) => ({...p, created: new Date(NOW - 700_000).toISOString(), notReady: 'container web: Readiness probe failed: HTTP probe failed with statuscode: 404'}))
    const s = rolloutStep(input(stuck, pods('old', 5)))
    expect(s.status.deadlineExceeded).toBe(true)
    expect(s.status.notAvailable[0]).toBe('pod new-0 on n1: container web: Readiness probe failed: HTTP probe failed with statuscode: 404')
    expect(rolloutStep(input(stuck, pods('old', 5), {progressDeadlineSeconds: 800})).status.deadlineExceeded).toBe(false)
  })

  it('never removes pods it cannot reach, and counts them as not available', () => {
    const s = rolloutStep(input(pods('new', 6), pods('gone', 2, {unknown: true})))
    expect(s.remove).toEqual([])
    expect(s.status.old).toBe(2)
  })

  it('scales the current template down, not-available pods first', () => {
    const cur = [...pods('new', 6), ...pods('slow', 1, {ready: false})]
    expect(rolloutStep(input(cur, [])).remove.map((r) => [r.pod.name, r.reason])).toEqual([['slow-0', 'surplus replica (replicas: 6)']])
  })
})
