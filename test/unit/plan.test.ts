import {describe, expect, it} from 'vitest'
import {plan, type Action} from '../../src/engine/plan/plan.js'
import {brief, deployment, desired, FakeFleet, pod} from './plan-helpers.js'

/** Plans and applies step by step (a rollout takes several) until nothing is left; returns every action. */
function converge(fleet: FakeFleet, d: ReturnType<typeof desired>) {
  const all: Action[] = []
  for (let step = 0; step < 50; step++) {
    const p = plan(d, fleet.observed())
    if (p.actions.length === 0) return {...p, actions: all}
    fleet.apply(p.actions)
    all.push(...p.actions)
  }
  throw new Error('did not converge in 50 steps')
}

describe('plan', () => {
  it('creates every pod on an empty fleet, spread across nodes, then plans nothing', () => {
    const fleet = new FakeFleet(3)
    const d = desired(3, deployment('web', 6), deployment('api', 2), pod('solo'))
    const first = converge(fleet, d)
    expect(first.actions).toHaveLength(9)
    expect(first.actions.every((a) => a.type === 'create')).toBe(true)
    expect([fleet.count('n1'), fleet.count('n2'), fleet.count('n3')]).toEqual([3, 3, 3])
    const webPerNode = ['n1', 'n2', 'n3'].map((n) => fleet.pods.get(n)!.filter((p) => p.owner?.name === 'web').length)
    expect(webPerNode).toEqual([2, 2, 2])
    expect(plan(d, fleet.observed()).actions).toEqual([])
  })

  it('names Deployment pods <name>-<pod-template-hash>-<suffix>, stable across runs', () => {
    const d = desired(2, deployment('web', 2))
    const a = plan(d, new FakeFleet(2).observed())
    const b = plan(d, new FakeFleet(2).observed())
    expect(brief(a.actions)).toEqual(brief(b.actions))
    for (const x of a.actions) expect(x.type === 'create' && x.pod.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
  })

  it('follows replicas down and up', () => {
    const fleet = new FakeFleet(3)
    converge(fleet, desired(3, deployment('web', 3)))
    const down = converge(fleet, desired(3, deployment('web', 1)))
    expect(down.actions.map((a) => `${a.type}: ${a.reason}`)).toEqual(['delete: surplus replica (replicas: 1)', 'delete: surplus replica (replicas: 1)'])
    expect(new Set(down.actions.map((a) => a.node)).size).toBe(2)
    const up = converge(fleet, desired(3, deployment('web', 4)))
    expect(up.actions.map((a) => a.type)).toEqual(['create', 'create', 'create'])
    expect(plan(desired(3, deployment('web', 4)), fleet.observed()).actions).toEqual([])
  })

  it('replaces pods of a changed template and prunes removed objects', () => {
    const fleet = new FakeFleet(2)
    converge(fleet, desired(2, deployment('web', 2), pod('solo')))
    const changed = converge(fleet, desired(2, deployment('web', 2, {image: 'busybox:1.36'})))
    expect(changed.actions.filter((a) => a.type === 'delete')).toHaveLength(3)
    expect(changed.actions.filter((a) => a.type === 'delete' && a.old.owner).map((a) => a.reason)[0]).toMatch(/^old template \(rolling update: maxSurge 1, maxUnavailable 0\)$/)
    expect(changed.actions.filter((a) => a.type === 'create')).toHaveLength(2)
    const solo = changed.actions.find((a) => a.type === 'delete' && a.old.name === 'solo')
    expect(solo?.reason).toBe('no longer in git')
    const gone = converge(fleet, desired(2))
    expect(gone.actions.map((a) => a.type === 'delete' && a.reason)).toEqual(['Deployment web is no longer in git', 'Deployment web is no longer in git'])
  })

  it('replaces a bare pod whose spec changed, in place', () => {
    const fleet = new FakeFleet(2)
    converge(fleet, desired(2, pod('solo')))
    const p = plan(desired(2, pod('solo', 'busybox:1.36')), fleet.observed())
    expect(p.actions.map((a) => [a.type, a.reason])).toEqual([['replace', 'spec changed']])
  })

  it('self-heals a pod whose container was removed or stopped by hand', () => {
    const fleet = new FakeFleet(1)
    const d = desired(1, deployment('web', 2))
    converge(fleet, d)
    const [a, b] = fleet.pods.get('n1')!
    a!.containers = []
    b!.containers[0]!.state = 'exited'
    const got = plan(d, fleet.observed()).actions.map((x) => `${x.type}: ${x.reason}`)
    expect(got.sort()).toEqual(['replace: container main is exited', 'replace: drift: container main is missing'])
  })

  it('leaves an unreachable node alone and places new pods elsewhere', () => {
    const fleet = new FakeFleet(3)
    converge(fleet, desired(3, deployment('web', 3)))
    fleet.down.add('n2')
    const p = plan(desired(3, deployment('web', 3), pod('solo')), fleet.observed())
    expect(p.unreachable).toEqual([{node: 'n2', reason: 'down'}])
    expect(p.actions.some((a) => a.node === 'n2')).toBe(false)
    expect(p.actions.filter((a) => a.type === 'create')).toHaveLength(1)
    // A bare Pod is never started twice: it may be running on n2.
    expect(p.unschedulable.map((u) => `${u.pod.name}: ${u.reason}`)).toEqual(['solo: it may still run on unreachable node(s) n2; it is not started elsewhere until they answer'])
  })

  it('keeps the oldest copy when a node comes back with a pod that was started elsewhere', () => {
    const fleet = new FakeFleet(2)
    converge(fleet, desired(2, pod('solo')))
    const original = fleet.pods.get('n1')![0]!
    fleet.pods.get('n2')!.push({...original, node: 'n2', podmanName: 'copy', created: '2027-01-01T00:00:00Z'})
    fleet.pods.get('n1')![0] = {...original, created: '2026-01-01T00:00:00Z'}
    expect(brief(plan(desired(2, pod('solo')), fleet.observed()).actions)).toEqual(['n2 - default/solo'])
    fleet.pods.get('n1')![0] = {...original, created: '2028-01-01T00:00:00Z'}
    expect(brief(plan(desired(2, pod('solo')), fleet.observed()).actions)).toEqual(['n1 - default/solo'])
  })

  it('reports pods that cannot be placed because host ports are taken', () => {
    const p = plan(desired(3, deployment('web', 4, {hostPort: 8080})), new FakeFleet(3).observed())
    expect(p.actions).toHaveLength(3)
    expect(new Set(p.actions.map((a) => a.node)).size).toBe(3)
    expect(p.unschedulable.map((u) => u.reason)).toEqual(["0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports."])
  })

  it('does not move running pods when a node is added', () => {
    const fleet = new FakeFleet(2)
    converge(fleet, desired(2, deployment('web', 4)))
    fleet.pods.set('n3', [])
    expect(plan(desired(3, deployment('web', 4)), fleet.observed()).actions).toEqual([])
  })

  it('removes a second copy of a bare pod', () => {
    const fleet = new FakeFleet(2)
    converge(fleet, desired(2, pod('solo')))
    fleet.pods.get('n2')!.push({...fleet.pods.get('n1')![0]!, node: 'n2'})
    expect(brief(plan(desired(2, pod('solo')), fleet.observed()).actions)).toEqual(['n2 - default/solo'])
  })
})

describe('pods kgit cannot run yet', () => {
  it('are reported, not started, and do not stop the others', () => {
    const withVolume = 'apiVersion: v1\nkind: Pod\nmetadata: {name: vol}\nspec:\n  volumes: [{name: v, nfs: {server: nfs.example, path: /}}]\n  containers: [{name: c, image: "busybox:1.35", volumeMounts: [{name: v, mountPath: /v}]}]\n'
    const p = plan(desired(2, withVolume, pod('ok')), new FakeFleet(2).observed())
    expect(brief(p.actions)).toEqual(['n1 + default/ok'])
    expect(p.unschedulable.map((u) => `${u.pod.name}: ${u.reason}`)).toEqual(['vol: it uses volumes[0].nfs, which this version of kgit cannot run yet'])
  })
})
