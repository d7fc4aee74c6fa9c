import {describe, expect, it} from 'vitest'
import {loadDesired} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import {plan, type Plan} from '../../src/engine/plan/plan.js'
import {nodesToFind} from '../../src/engine/scheduler/scheduler.js'
import {nextRecord} from '../../src/engine/plan/records.js'
import {tolerates} from '../../src/engine/scheduler/predicates.js'
import type {Desired, Observed, Resources} from '../../src/engine/types.js'
import {deploymentYaml} from '../support/manifests.js'
import {FakeFleet} from './plan-helpers.js'

/** A cluster from node lines (`{name: n1, ...}` flow maps), and manifests. */
function revision(nodes: string[], ...docs: string[]): Desired {
  const enc = new TextEncoder()
  const cluster = `apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  nodes:\n${nodes.map((n, i) => `    - {address: 10.0.0.${i + 1}, ${n.slice(1)}`).join('\n')}\n`
  const r = loadDesired({revision: 'rev1', clusterFile: {path: 'kgit.yaml', content: enc.encode(cluster)}, files: [{path: 'manifests/all.yaml', content: enc.encode(docs.join('---\n'))}], schema})
  if (!r.desired) throw new Error(r.errors.map((e) => e.message).join('\n'))
  return r.desired
}

/** A Deployment whose pod spec gets `extra` (YAML lines at pod-spec level) and container `resources`. */
function deploy(name: string, replicas: number, opts: {extra?: string; resources?: string} = {}): string {
  return deploymentYaml(name, replicas, {...(opts.extra ? {podSpec: opts.extra} : {}), ...(opts.resources ? {container: `          resources: ${opts.resources}\n`} : {})})
}

function podDoc(name: string, extra = ''): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, labels: {app: ${name}}}\nspec:\n${extra}  containers: [{name: main, image: "busybox:1.35"}]\n`
}

class Fleet extends FakeFleet {
  constructor(
    nodes: number,
    private readonly capacity: Resources = {cpu: 2000, memory: 4 * 2 ** 30},
  ) {
    super(nodes)
  }
  override observed(): Observed {
    const o = super.observed()
    return {...o, nodes: o.nodes.map((n) => (n.reachable ? {...n, capacity: this.capacity} : n))}
  }
  where(owner: string): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [node, pods] of this.pods) for (const p of pods) if ((p.owner?.name ?? p.name) === owner) out[node] = (out[node] ?? 0) + 1
    return out
  }
}

function run(d: Desired, fleet: Fleet): Plan {
  const p = plan(d, fleet.observed())
  fleet.apply(p.actions)
  return p
}

const GI = 2 ** 30

describe('scheduler filters', () => {
  it('NodeResourcesFit: places by requests and reports the resources that do not fit', () => {
    const fleet = new Fleet(2, {cpu: 1000, memory: GI})
    const p = run(revision(['{name: n1}', '{name: n2}'], deploy('big', 3, {resources: '{requests: {cpu: 600m, memory: 100Mi}}'})), fleet)
    expect(fleet.where('big')).toEqual({n1: 1, n2: 1})
    expect(p.unschedulable.map((u) => u.reason)).toEqual(['0/2 nodes are available: 2 Insufficient cpu.'])
    // A limit without a request requests the limit.
    const q = plan(revision(['{name: n1}'], deploy('lim', 1, {resources: '{limits: {memory: 2Gi}}'})), new Fleet(1, {cpu: 1000, memory: GI}).observed())
    expect(q.unschedulable[0]?.reason).toBe('0/1 nodes are available: 1 Insufficient memory.')
  })

  it('counts kgit.yaml capacity, reserved and allocatable over what the node reports, and max pods', () => {
    const nodes = ['{name: n1, capacity: {cpu: "4"}, reserved: {cpu: 3500m}}', '{name: n2, allocatable: {pods: 1}}']
    const fleet = new Fleet(2, {cpu: 8000, memory: GI})
    const p = run(revision(nodes, deploy('a', 3, {resources: '{requests: {cpu: 400m}}'})), fleet)
    expect(fleet.where('a')).toEqual({n1: 1, n2: 1})
    expect(p.unschedulable[0]?.reason).toBe('0/2 nodes are available: 1 Insufficient cpu, 1 Too many pods.')
  })

  it('nodeSelector and required node affinity (In, NotIn, Gt, matchFields)', () => {
    const nodes = ['{name: n1, labels: {disk: ssd, cores: "8"}}', '{name: n2, labels: {disk: hdd, cores: "16"}}', '{name: n3}']
    const fleet = new Fleet(3)
    run(
      revision(
        nodes,
        deploy('ssd', 2, {extra: '      nodeSelector: {disk: ssd}\n'}),
        deploy('big', 2, {extra: '      affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: cores, operator: Gt, values: ["10"]}]}]}}}\n'}),
        deploy('nothdd', 4, {extra: '      affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: disk, operator: NotIn, values: [hdd]}]}]}}}\n'}),
        deploy('named', 1, {extra: '      affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [n3]}]}]}}}\n'}),
      ),
      fleet,
    )
    expect(fleet.where('ssd')).toEqual({n1: 2})
    expect(fleet.where('big')).toEqual({n2: 2})
    expect(fleet.where('nothdd')).toEqual({n1: 2, n3: 2})
    expect(fleet.where('named')).toEqual({n3: 1})
    const p = plan(revision(nodes, deploy('nvme', 1, {extra: '      nodeSelector: {disk: nvme}\n'})), new Fleet(3).observed())
    expect(p.unschedulable[0]?.reason).toBe("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.")
  })

  it('taints: only tolerating pods go to a NoSchedule node, and the message names the taint', () => {
    const nodes = ['{name: n1, taints: [{key: dedicated, value: db, effect: NoSchedule}]}', '{name: n2}', '{name: n3}']
    const fleet = new Fleet(3)
    run(revision(nodes, deploy('web', 6), deploy('db', 2, {extra: '      tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoSchedule}]\n      nodeSelector: {kubernetes.io/hostname: n1}\n'})), fleet)
    expect(fleet.where('web')).toEqual({n2: 3, n3: 3})
    expect(fleet.where('db')).toEqual({n1: 2})
    const five = ['{name: n1, taints: [{key: dedicated, value: db, effect: NoSchedule}]}', '{name: n2, taints: [{key: dedicated, value: db, effect: NoExecute}]}', '{name: n3}', '{name: n4}', '{name: n5}']
    const p = plan(revision(five, deploy('fat', 1, {resources: '{requests: {memory: 8Gi}}'})), new Fleet(5).observed())
    expect(p.unschedulable[0]?.reason).toBe('0/5 nodes are available: 3 Insufficient memory, 2 node(s) had untolerated taint {dedicated: db}.')
  })

  it('ephemeral-storage a node does not report is unknown, not zero; an extended resource it does not list is zero', () => {
    const fleet = new Fleet(1)
    const p = run(revision(['{name: n1}'], deploy('scratch', 1, {resources: '{requests: {ephemeral-storage: 1Gi}}'}), deploy('gpu', 1, {resources: '{limits: {example.com/gpu: 1}}'})), fleet)
    expect(fleet.where('scratch')).toEqual({n1: 1})
    expect(p.unschedulable.map((u) => u.reason)).toEqual(['0/1 nodes are available: 1 Insufficient example.com/gpu.'])
    const q = plan(revision(['{name: n1, capacity: {example.com/gpu: 2}}'], deploy('gpu', 1, {resources: '{limits: {example.com/gpu: 1}}'})), new Fleet(1).observed())
    expect(q.unschedulable).toEqual([])
  })

  it('a cordoned node takes pods that tolerate node.kubernetes.io/unschedulable, value and all', () => {
    const cordoned = ['{name: n1, unschedulable: true}']
    const ok = plan(revision(cordoned, deploy('a', 1, {extra: '      tolerations: [{key: node.kubernetes.io/unschedulable, operator: Exists, effect: NoSchedule}]\n'})), new Fleet(1).observed())
    expect(ok.unschedulable).toEqual([])
    const wrong = plan(revision(cordoned, deploy('a', 1, {extra: '      tolerations: [{key: node.kubernetes.io/unschedulable, operator: Equal, value: x}]\n'})), new Fleet(1).observed())
    expect(wrong.unschedulable[0]?.reason).toBe('0/1 nodes are available: 1 node(s) were unschedulable.')
  })

  it('tolerations match as Kubernetes matches them', () => {
    const t = {key: 'k', value: 'v', effect: 'NoSchedule' as const}
    expect(tolerates({operator: 'Exists'}, t)).toBe(true)
    expect(tolerates({key: 'k', operator: 'Exists'}, t)).toBe(true)
    expect(tolerates({key: 'k', operator: 'Equal', value: 'v'}, t)).toBe(true)
    expect(tolerates({key: 'k', operator: 'Equal', value: 'w'}, t)).toBe(false)
    expect(tolerates({key: 'k', operator: 'Exists', effect: 'NoExecute'}, t)).toBe(false)
  })

  it('PreferNoSchedule: avoided while other nodes have room', () => {
    const fleet = new Fleet(2)
    run(revision(['{name: n1, taints: [{key: spot, effect: PreferNoSchedule}]}', '{name: n2}'], deploy('a', 1)), fleet)
    expect(fleet.where('a')).toEqual({n2: 1})
  })

  it('NoExecute evicts running pods that do not tolerate it; they start elsewhere', () => {
    const fleet = new Fleet(3)
    const docs = [deploy('web', 3), deploy('agent', 1, {extra: '      tolerations: [{operator: Exists}]\n      nodeSelector: {kubernetes.io/hostname: n1}\n'})]
    run(revision(['{name: n1}', '{name: n2}', '{name: n3}'], ...docs), fleet)
    expect(fleet.where('web')).toEqual({n1: 1, n2: 1, n3: 1})
    const p = run(revision(['{name: n1, taints: [{key: maintenance, effect: NoExecute}]}', '{name: n2}', '{name: n3}'], ...docs), fleet)
    expect(p.actions.filter((a) => a.type === 'delete').map((a) => a.reason)).toEqual(['evicted: node n1 has taint {maintenance: } with effect NoExecute, which the pod does not tolerate'])
    expect(fleet.where('web')).toEqual({n2: 2, n3: 1})
    expect(fleet.where('agent')).toEqual({n1: 1})
  })

  it('tolerationSeconds count from when kgit first applied with the NoExecute taint (the nodes\' records)', () => {
    const fleet = new Fleet(2)
    const web = deploy('web', 1, {extra: '      tolerations: [{key: maintenance, operator: Exists, effect: NoExecute, tolerationSeconds: 60}]\n      nodeSelector: {kubernetes.io/hostname: n1}\n'})
    run(revision(['{name: n1}', '{name: n2}'], web), fleet)
    const tainted = revision(['{name: n1, taints: [{key: maintenance, effect: NoExecute}]}', '{name: n2}'], web)
    const at = Date.parse('2026-11-26T12:00:00Z')
    const withRecord = (since?: string): Observed => {
      const o = fleet.observed()
      const record = nextRecord(undefined, o, {revision: 'rev0', author: 'a', subject: 's'}, {now: since ?? new Date(at).toISOString(), by: 'me', nodes: since ? tainted.cluster.nodes : []})
      return {at, nodes: o.nodes.map((n) => (n.reachable ? {...n, record} : n))}
    }
    const deletes = (o: Observed): string[] => plan(tainted, o).actions.filter((a) => a.type === 'delete').map((a) => a.reason)
    expect(deletes(withRecord())).toEqual([])
    expect(deletes(withRecord('2026-11-26T11:59:30Z'))).toEqual([])
    expect(deletes(withRecord('2026-11-26T11:58:00Z'))).toEqual(['evicted: node n1 has taint {maintenance: } with effect NoExecute, tolerated for 60s since 2026-11-26T11:58:00.000Z'])
    // The record keeps the first time: a later apply does not restart the count.
    const r1 = nextRecord(undefined, fleet.observed(), {revision: 'r', author: 'a', subject: 's'}, {now: 'T1', by: 'me', nodes: tainted.cluster.nodes})
    expect(nextRecord(r1, fleet.observed(), {revision: 'r', author: 'a', subject: 's'}, {now: 'T2', by: 'me', nodes: tainted.cluster.nodes}).taintedSince).toEqual({n1: {'maintenance=:NoExecute': 'T1'}})
  })

  it('a cordoned node gets no new pods and keeps its own; drain moves them', () => {
    const fleet = new Fleet(2)
    run(revision(['{name: n1}', '{name: n2}'], deploy('a', 2)), fleet)
    expect(fleet.where('a')).toEqual({n1: 1, n2: 1})
    const cordoned = revision(['{name: n1, unschedulable: true}', '{name: n2}'], deploy('a', 4))
    const p = run(cordoned, fleet)
    expect(p.actions.map((a) => `${a.type} ${a.node}`)).toEqual(['create n2', 'create n2'])
    expect(fleet.where('a')).toEqual({n1: 1, n2: 3})
    const drained = run(revision(['{name: n1, drain: true}', '{name: n2}'], deploy('a', 4)), fleet)
    expect(drained.actions.map((a) => `${a.type} ${a.node}: ${a.reason}`)).toEqual(['delete n1: evicted: node n1 is drained', 'create n2: new replica'])
    expect(fleet.where('a')).toEqual({n2: 4})
    const only = plan(revision(['{name: n1, unschedulable: true}'], podDoc('p')), new Fleet(1).observed())
    expect(only.unschedulable[0]?.reason).toBe('0/1 nodes are available: 1 node(s) were unschedulable.')
  })

  it('pod anti-affinity by hostname and by zone; existing pods anti-affinity is respected', () => {
    const anti = (key: string): string => `      affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: one}}, topologyKey: ${key}}]}}\n`
    const fleet = new Fleet(2)
    const p = run(revision(['{name: n1}', '{name: n2}'], deploy('one', 3, {extra: anti('kubernetes.io/hostname')})), fleet)
    expect(fleet.where('one')).toEqual({n1: 1, n2: 1})
    expect(p.unschedulable.map((u) => u.reason)).toEqual(["0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules."])
    const zoned = ['{name: n1, labels: {topology.kubernetes.io/zone: a}}', '{name: n2, labels: {topology.kubernetes.io/zone: a}}', '{name: n3, labels: {topology.kubernetes.io/zone: b}}']
    const z = new Fleet(3)
    run(revision(zoned, deploy('one', 2, {extra: anti('topology.kubernetes.io/zone')})), z)
    const where = z.where('one')
    expect(Object.keys(where).some((n) => n === 'n3') && Object.keys(where).length === 2).toBe(true)
    // A pod labelled app=one, with no rule of its own, still keeps away from pods that refuse it.
    const lone = new Fleet(1)
    run(revision(['{name: n1}'], deploy('one', 1, {extra: anti('kubernetes.io/hostname')})), lone)
    const q = plan(revision(['{name: n1}'], deploy('one', 1, {extra: anti('kubernetes.io/hostname')}), podDoc('x').replace('app: x', 'app: one')), lone.observed())
    expect(q.unschedulable.map((u) => u.reason)).toEqual(["0/1 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules."])
  })

  it('pod affinity: follows the pods it names; the first of a self-affine group goes anywhere', () => {
    const fleet = new Fleet(3)
    run(revision(['{name: n1}', '{name: n2}', '{name: n3}'], podDoc('cache', '  nodeSelector: {kubernetes.io/hostname: n2}\n')), fleet)
    const with_ = (app: string): string => `      affinity: {podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: ${app}}}, topologyKey: kubernetes.io/hostname}]}}\n`
    run(revision(['{name: n1}', '{name: n2}', '{name: n3}'], podDoc('cache', '  nodeSelector: {kubernetes.io/hostname: n2}\n'), deploy('web', 3, {extra: with_('cache')}), deploy('pack', 3, {extra: with_('pack')})), fleet)
    expect(fleet.where('web')).toEqual({n2: 3})
    expect(Object.values(fleet.where('pack'))).toEqual([3])
    const p = plan(revision(['{name: n1}'], deploy('lonely', 1, {extra: with_('nobody')})), new Fleet(1).observed())
    expect(p.unschedulable[0]?.reason).toBe("0/1 nodes are available: 1 node(s) didn't match pod affinity rules.")
  })

  it('a Pod whose new nodeSelector rules out its node moves; others stay put', () => {
    const fleet = new Fleet(2)
    run(revision(['{name: n1, labels: {disk: ssd}}', '{name: n2}'], podDoc('p', '  nodeSelector: {disk: ssd}\n')), fleet)
    expect(fleet.where('p')).toEqual({n1: 1})
    const p = run(revision(['{name: n1, labels: {disk: ssd}}', '{name: n2, labels: {disk: hdd}}'], podDoc('p', '  nodeSelector: {disk: hdd}\n')), fleet)
    expect(p.actions.map((a) => `${a.type} ${a.node}`)).toEqual(['delete n1', 'create n2'])
    expect(fleet.where('p')).toEqual({n2: 1})
  })
})

describe('scheduler scores', () => {
  it('least requested: the emptier node wins', () => {
    const fleet = new Fleet(2, {cpu: 4000, memory: 8 * GI})
    run(revision(['{name: n1}', '{name: n2}'], podDoc('hog', '  nodeSelector: {kubernetes.io/hostname: n1}\n').replace('image: "busybox:1.35"}', 'image: "busybox:1.35", resources: {requests: {cpu: "3", memory: 6Gi}}}')), fleet)
    run(revision(['{name: n1}', '{name: n2}'], podDoc('hog', '  nodeSelector: {kubernetes.io/hostname: n1}\n').replace('image: "busybox:1.35"}', 'image: "busybox:1.35", resources: {requests: {cpu: "3", memory: 6Gi}}}'), deploy('small', 1, {resources: '{requests: {cpu: 100m, memory: 100Mi}}'})), fleet)
    expect(fleet.where('small')).toEqual({n2: 1})
  })

  it('balanced allocation: a cpu-heavy pod goes where memory is the scarcer', () => {
    const fleet = new Fleet(2, {cpu: 4000, memory: 4 * GI})
    const base = [podDoc('memhog', '  nodeSelector: {kubernetes.io/hostname: n1}\n').replace('image: "busybox:1.35"}', 'image: "busybox:1.35", resources: {requests: {cpu: 100m, memory: 2Gi}}}'), podDoc('cpuhog', '  nodeSelector: {kubernetes.io/hostname: n2}\n').replace('image: "busybox:1.35"}', 'image: "busybox:1.35", resources: {requests: {cpu: "2", memory: 100Mi}}}')]
    run(revision(['{name: n1}', '{name: n2}'], ...base), fleet)
    run(revision(['{name: n1}', '{name: n2}'], ...base, deploy('crunch', 1, {resources: '{requests: {cpu: "1", memory: 64Mi}}'})), fleet)
    expect(fleet.where('crunch')).toEqual({n1: 1})
  })

  it('spreads an owner over nodes and zones, and prefers preferred nodes', () => {
    // n1 and n2 in zone a, n3 and n4 in b: the second replica goes to the other zone.
    const zoned = ['{name: n1, labels: {topology.kubernetes.io/zone: a}}', '{name: n2, labels: {topology.kubernetes.io/zone: a}}', '{name: n3, labels: {topology.kubernetes.io/zone: b}}', '{name: n4, labels: {topology.kubernetes.io/zone: b}}']
    const fleet = new Fleet(4)
    const first = plan(revision(zoned, deploy('web', 2)), fleet.observed())
    expect(first.actions.map((a) => a.node)).toEqual(['n1', 'n3'])
    run(revision(zoned, deploy('web', 4)), fleet)
    expect(fleet.where('web')).toEqual({n1: 1, n2: 1, n3: 1, n4: 1})
    const pref = new Fleet(3)
    run(revision(['{name: n1}', '{name: n2, labels: {gpu: "yes"}}', '{name: n3}'], deploy('ml', 1, {extra: '      affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 50, preference: {matchExpressions: [{key: gpu, operator: Exists}]}}]}}\n'})), pref)
    expect(pref.where('ml')).toEqual({n2: 1})
  })

  it('is deterministic and stable: the same input places the same way; a new node moves nothing', () => {
    const d = revision(['{name: n1}', '{name: n2}', '{name: n3}'], deploy('a', 5, {resources: '{requests: {cpu: 300m}}'}), deploy('b', 4), podDoc('c'))
    const one = plan(d, new Fleet(3).observed()).actions.map((a) => `${a.node} ${a.type === 'create' ? a.pod.name : ''}`)
    const two = plan(d, new Fleet(3).observed()).actions.map((a) => `${a.node} ${a.type === 'create' ? a.pod.name : ''}`)
    expect(one).toEqual(two)
    const fleet = new Fleet(3)
    run(d, fleet)
    fleet.pods.set('n4', [])
    const more = revision(['{name: n1}', '{name: n2}', '{name: n3}', '{name: n4}'], deploy('a', 5, {resources: '{requests: {cpu: 300m}}'}), deploy('b', 4), podDoc('c'))
    expect(plan(more, fleet.observed()).actions).toEqual([])
  })

  it('searches as many nodes as Kubernetes does', () => {
    expect([nodesToFind(3), nodesToFind(99), nodesToFind(100), nodesToFind(1000), nodesToFind(5000), nodesToFind(6000)]).toEqual([3, 99, 100, 420, 500, 300])
  })
})
