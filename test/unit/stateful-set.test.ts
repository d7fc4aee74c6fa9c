import {describe, expect, it} from 'vitest'
import {ordinalOf, statefulPod, statefulGroup} from '../../src/engine/controllers/stateful-set.js'
import {plan} from '../../src/engine/plan/plan.js'
import type {ClaimMark, Desired, NodeRecord, Observed, StatefulSetObject} from '../../src/engine/types.js'
import {brief, FakeFleet, loadOn, revisionOn} from './plan-helpers.js'

function sts(opts: {replicas?: number; image?: string; policy?: string; strategy?: string; extra?: string; podSpec?: string} = {}): string {
  return [
    'apiVersion: apps/v1',
    'kind: StatefulSet',
    'metadata: {name: db}',
    'spec:',
    `  replicas: ${opts.replicas ?? 3}`,
    '  serviceName: db',
    '  selector: {matchLabels: {app: db}}',
    ...(opts.policy ? [`  podManagementPolicy: ${opts.policy}`] : []),
    ...(opts.strategy ? [opts.strategy] : []),
    ...(opts.extra ? [opts.extra] : []),
    '  template:',
    '    metadata: {labels: {app: db}}',
    '    spec:',
    ...(opts.podSpec ? [opts.podSpec] : []),
    `      containers: [{name: main, image: "${opts.image ?? 'busybox:1.35'}"}]`,
    '',
  ].join('\n')
}

const revision = (nodes: string[], ...docs: string[]): Desired => revisionOn(nodes, docs, 'manifests/db.yaml')
const load = (nodes: string[], docs: string[]): ReturnType<typeof loadOn> => loadOn(nodes, docs, 'manifests/db.yaml')

const three = ['{name: n1}', '{name: n2}', '{name: n3}']

/** Plans and applies until nothing is left (pods become ready at once in the fake fleet). */
function converge(d: Desired, fleet: FakeFleet, obs: () => Observed = () => fleet.observed()): string[][] {
  const steps: string[][] = []
  for (let i = 0; i < 20; i++) {
    const p = plan(d, obs())
    if (p.actions.length === 0) return steps
    steps.push(brief(p.actions).map((b) => b.slice(3)))
    fleet.apply(p.actions)
  }
  throw new Error('no convergence')
}

function setReady(fleet: FakeFleet, name: string, ready: boolean): void {
  for (const list of fleet.pods.values()) for (const p of list) if (p.name === name) p.ready = ready
}

function names(fleet: FakeFleet): string[] {
  return [...fleet.pods.values()].flat().map((p) => p.name).sort()
}

function nodeOf(fleet: FakeFleet, name: string): string | undefined {
  for (const [n, list] of fleet.pods) if (list.some((p) => p.name === name)) return n
  return undefined
}

describe('StatefulSet manifests', () => {
  it('reads the defaults Kubernetes gives', () => {
    const d = revision(three, sts())
    const o = d.objects.find((x) => x.kind === 'StatefulSet') as StatefulSetObject
    expect(o.spec).toMatchObject({replicas: 3, serviceName: 'db', podManagementPolicy: 'OrderedReady', updateStrategy: {type: 'RollingUpdate', partition: 0}, minReadySeconds: 0, ordinalStart: 0, retention: {whenDeleted: 'Retain', whenScaled: 'Retain'}})
  })

  it('refuses what Kubernetes refuses, naming file, line and field', () => {
    const r = load(three, [
      sts({podSpec: '      restartPolicy: Never', policy: 'Sometimes'}),
      sts({extra: '  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec: {accessModes: [ReadWriteOnce]}'}).replace('name: db}', 'name: db2}'),
      sts({strategy: '  updateStrategy: {type: OnDelete, rollingUpdate: {partition: 1}}'}).replace('name: db}', 'name: db3}'),
    ])
    const text = r.errors.map((e) => e.message).join('\n')
    expect(text).toMatch(/manifests\/db\.yaml:\d+ spec\.template\.spec\.restartPolicy: .*restartPolicy Always/)
    expect(text).toMatch(/manifests\/db\.yaml:\d+ spec\.podManagementPolicy: /)
    expect(text).toMatch(/manifests\/db\.yaml:\d+ spec\.volumeClaimTemplates\[0\]\.spec\.resources\.requests\.storage: Required value/)
    expect(text).toMatch(/manifests\/db\.yaml:\d+ spec\.updateStrategy\.rollingUpdate: .*only allowed for updateStrategy 'RollingUpdate'/)
  })

  it('lets containers mount a volumeClaimTemplate', () => {
    const r = load(three, [sts({extra: '  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}', podSpec: '      containers: [{name: main, image: busybox:1.35, volumeMounts: [{name: data, mountPath: /data}]}]'}).replace(/\n {6}containers: \[\{name: main, image: "busybox:1.35"\}\]/, '')])
    expect(r.errors.map((e) => e.message)).toEqual([])
    const o = r.desired!.objects.find((x) => x.kind === 'StatefulSet') as StatefulSetObject
    expect(o.spec.volumeClaimTemplates[0]).toMatchObject({name: 'data', accessModes: ['ReadWriteOnce'], storage: 1024 ** 3})
  })

  it('names pods NAME-ORDINAL with the labels Kubernetes sets', () => {
    const d = revision(three, sts())
    const g = statefulGroup(d.objects.find((x) => x.kind === 'StatefulSet') as StatefulSetObject)
    const p = statefulPod(g, 2)
    expect(p.name).toBe('db-2')
    expect(p.labels).toMatchObject({app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-2', 'apps.kubernetes.io/pod-index': '2', 'controller-revision-hash': `db-${g.templateHash}`})
    expect(ordinalOf('db', 'db-12')).toBe(12)
    expect(ordinalOf('db', 'db-01')).toBeUndefined()
    expect(ordinalOf('db', 'dbx-1')).toBeUndefined()
  })
})

describe('StatefulSet planning', () => {
  it('OrderedReady: starts 0, 1, 2 in order, each once the one before is ready', () => {
    const d = revision(three, sts())
    const fleet = new FakeFleet(3)
    let p = plan(d, fleet.observed())
    expect(brief(p.actions).map((b) => b.slice(3))).toEqual(['+ default/db-0'])
    fleet.apply(p.actions)
    setReady(fleet, 'db-0', false)
    p = plan(d, fleet.observed())
    expect(p.actions).toEqual([])
    expect(p.waiting.map((w) => `${w.kind}/${w.name}`)).toEqual(['StatefulSet/db'])
    setReady(fleet, 'db-0', true)
    p = plan(d, fleet.observed())
    expect(brief(p.actions).map((b) => b.slice(3))).toEqual(['+ default/db-1'])
    fleet.apply(p.actions)
    expect(converge(d, fleet)).toEqual([['+ default/db-2']])
    expect(names(fleet)).toEqual(['db-0', 'db-1', 'db-2'])
    // Spread over the nodes like any owner's pods.
    expect(new Set(['db-0', 'db-1', 'db-2'].map((n) => nodeOf(fleet, n))).size).toBe(3)
    expect(plan(d, fleet.observed()).rollouts[0]!.status.complete).toBe(true)
  })

  it('Parallel: starts every ordinal at once; scale-down removes all surplus at once', () => {
    const fleet = new FakeFleet(3)
    expect(converge(revision(three, sts({policy: 'Parallel'})), fleet)).toEqual([['+ default/db-0', '+ default/db-1', '+ default/db-2']])
    const steps = converge(revision(three, sts({policy: 'Parallel', replicas: 1})), fleet)
    expect(steps.map((s) => s.sort())).toEqual([['- default/db-1', '- default/db-2']])
  })

  it('OrderedReady scale-down removes the highest ordinal first, one at a time, only while the others are ready', () => {
    const fleet = new FakeFleet(3)
    converge(revision(three, sts()), fleet)
    const down = revision(three, sts({replicas: 1}))
    setReady(fleet, 'db-0', false)
    expect(plan(down, fleet.observed()).actions).toEqual([])
    setReady(fleet, 'db-0', true)
    expect(converge(down, fleet)).toEqual([['- default/db-2'], ['- default/db-1']])
  })

  it('RollingUpdate replaces in place from the highest ordinal down, one at a time; partition holds the lower ones', () => {
    const fleet = new FakeFleet(3)
    converge(revision(three, sts()), fleet)
    const where = ['db-0', 'db-1', 'db-2'].map((n) => nodeOf(fleet, n))
    const v2 = revision(three, sts({image: 'busybox:1.36'}))
    let p = plan(v2, fleet.observed())
    expect(p.actions.map((a) => `${a.type} ${a.type === 'delete' ? a.old.name : a.pod.name}`)).toEqual(['replace db-2'])
    fleet.apply(p.actions)
    setReady(fleet, 'db-2', false)
    p = plan(v2, fleet.observed())
    expect(p.actions).toEqual([])
    expect(p.waiting).toHaveLength(1)
    setReady(fleet, 'db-2', true)
    expect(converge(v2, fleet)).toEqual([['~ default/db-1'], ['~ default/db-0']])
    expect(['db-0', 'db-1', 'db-2'].map((n) => nodeOf(fleet, n))).toEqual(where)
    const v3 = revision(three, sts({image: 'busybox:1.37', strategy: '  updateStrategy: {rollingUpdate: {partition: 2}}'}))
    expect(converge(v3, fleet)).toEqual([['~ default/db-2']])
    const r = plan(v3, fleet.observed()).rollouts[0]!
    expect(r.status.complete).toBe(true)
    expect(r.status.updated).toBe(3)
  })

  it('OnDelete leaves old pods alone; a pod removed by hand comes back at the new template', () => {
    const fleet = new FakeFleet(3)
    converge(revision(three, sts()), fleet)
    const v2 = revision(three, sts({image: 'busybox:1.36', strategy: '  updateStrategy: {type: OnDelete}'}))
    expect(plan(v2, fleet.observed()).actions).toEqual([])
    const n = nodeOf(fleet, 'db-1')!
    fleet.pods.set(n, fleet.pods.get(n)!.filter((p) => p.name !== 'db-1'))
    const p = plan(v2, fleet.observed())
    expect(brief(p.actions).map((b) => b.slice(3))).toEqual(['+ default/db-1'])
    expect(p.actions[0]!.type === 'create' && p.actions[0]!.pod.spec.containers[0]!.image).toBe('busybox:1.36')
  })

  it('never starts an ordinal elsewhere while its node does not answer, until the node is forgotten', () => {
    const fleet = new FakeFleet(3)
    const d = revision(three, sts())
    converge(d, fleet)
    const node = nodeOf(fleet, 'db-1')!
    const record: NodeRecord = {commit: 'rev1', writtenAt: '2026-01-01T00:00:00Z', appliedAt: '', appliedBy: '', author: '', subject: '', pods: Object.fromEntries([...fleet.pods].map(([n, list]) => [n, list.map((p) => ({name: p.name, namespace: p.namespace, owner: 'StatefulSet/db'}))])), unreachableSince: {[node]: '2026-01-01T00:00:00Z'}}
    fleet.down.add(node)
    const obs = (): Observed => {
      const o = fleet.observed()
      return {at: Date.parse('2026-01-02T00:00:00Z'), nodes: o.nodes.map((n) => (n.reachable ? {...n, record} : n))}
    }
    // A day later: far past any grace period, db-1 is still not started elsewhere.
    const p = plan(d, obs())
    expect(p.actions).toEqual([])
    expect(p.unschedulable.map((u) => `${u.pod.name}: ${u.reason}`)).toEqual([`db-1: it may still run on node(s) ${node}, which do not answer: a StatefulSet never runs two copies of one ordinal; it starts elsewhere once they answer or after \`kgit node forget NODE\``])
    // Forgotten: the node left kgit.yaml, so kgit no longer looks there.
    const rest = three.filter((n) => !n.includes(node))
    const forgotten = revision(rest, sts())
    fleet.pods.delete(node)
    const q = plan(forgotten, obs())
    expect(brief(q.actions).map((b) => b.slice(3))).toEqual(['+ default/db-1'])
  })

  it('with no record of a node that does not answer, no missing ordinal starts', () => {
    const fleet = new FakeFleet(3)
    fleet.down.add('n3')
    const p = plan(revision(three, sts({policy: 'Parallel'})), fleet.observed())
    expect(p.actions).toEqual([])
    expect(p.unschedulable.map((u) => u.pod.name)).toEqual(['db-0', 'db-1', 'db-2'])
  })

  it('of two copies of one ordinal the one the records place stays', () => {
    const fleet = new FakeFleet(3)
    const d = revision(three, sts({replicas: 1}))
    converge(d, fleet)
    const at = nodeOf(fleet, 'db-0')!
    const other = at === 'n1' ? 'n2' : 'n1'
    const copy = {...fleet.pods.get(at)![0]!, node: other, created: '2025-01-01T00:00:00Z'}
    fleet.pods.get(other)!.push(copy)
    const record: NodeRecord = {commit: 'rev1', writtenAt: '2026-01-01T00:00:00Z', appliedAt: '', appliedBy: '', author: '', subject: '', pods: {n1: [], n2: [], n3: [], [at]: [{name: 'db-0', namespace: 'default', owner: 'StatefulSet/db'}]}, unreachableSince: {}}
    const o = fleet.observed()
    const p = plan(d, {nodes: o.nodes.map((n) => (n.reachable ? {...n, record} : n))})
    expect(brief(p.actions)).toEqual([`${other} - default/db-0`])
    expect(p.actions[0]!.reason).toMatch(/second copy of db-0 \(the one on n\d stays\)/)
  })

  it('a drained node: the pod goes first, its ordinal starts on another node in the next step', () => {
    const fleet = new FakeFleet(3)
    converge(revision(three, sts()), fleet)
    const node = nodeOf(fleet, 'db-1')!
    const drained = revision(three.map((n) => (n.includes(node) ? `{name: ${node}, unschedulable: true, drain: true}` : n)), sts())
    const steps = converge(drained, fleet)
    expect(steps[0]).toEqual(['- default/db-1'])
    expect(steps[1]).toEqual(['+ default/db-1'])
    expect(nodeOf(fleet, 'db-1')).not.toBe(node)
  })
})

describe('StatefulSet claims (volumeClaimTemplates)', () => {
  const LOCAL = 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: local, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}\nprovisioner: kgit.dev/local-path\nreclaimPolicy: Delete\nvolumeBindingMode: WaitForFirstConsumer\n'
  const withClaims = (replicas: number, retention = ''): string =>
    sts({replicas, policy: 'Parallel', extra: `  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}${retention}`, podSpec: '      containers: [{name: main, image: busybox:1.35, volumeMounts: [{name: data, mountPath: /data}]}]'}).replace(/\n {6}containers: \[\{name: main, image: "busybox:1.35"\}\]/, '')
  const mark = (claim: string, over: Partial<ClaimMark> = {}): ClaimMark => ({namespace: 'default', claim, pv: `pvc-default-${claim}`, provisioned: true, storageClass: 'local', capacity: 1048576, accessModes: ['ReadWriteOnce'], reclaimPolicy: 'Delete', owner: 'StatefulSet/db', retain: true, ...over})
  const withMarks = (o: Observed, marks: Record<string, ClaimMark[]>): Observed => ({...o, nodes: o.nodes.map((n) => (n.reachable && marks[n.node] ? {...n, claims: marks[n.node]} : n))})

  it('each ordinal mounts its own claim TEMPLATE-NAME-N, made and marked with its owner', () => {
    const p = plan(revision(three, LOCAL, withClaims(2)), new FakeFleet(3).observed())
    const pods = p.actions.flatMap((a) => (a.type === 'create' ? [a.pod] : []))
    expect(pods.map((x) => x.name)).toEqual(['db-0', 'db-1'])
    expect(pods.map((x) => x.spec.volumes)).toEqual([[{name: 'data', persistentVolumeClaim: {claimName: 'data-db-0', readOnly: false}}], [{name: 'data', persistentVolumeClaim: {claimName: 'data-db-1', readOnly: false}}]])
    expect(pods[0]!.claims?.data?.mark).toMatchObject({claim: 'data-db-0', provisioned: true, owner: 'StatefulSet/db', retain: true})
  })

  it("an ordinal goes back to the node that holds its claim's data", () => {
    const fleet = new FakeFleet(3)
    const d = revision(three, LOCAL, withClaims(2))
    const p = plan(d, withMarks(fleet.observed(), {n3: [mark('data-db-0')], n2: [mark('data-db-1')]}))
    expect(p.actions.map((a) => `${a.node} ${a.type === 'create' ? a.pod.name : ''}`).sort()).toEqual(['n2 db-1', 'n3 db-0'])
  })

  it('scale-down keeps the claims of the ordinals that go (whenScaled: Retain), and they come back with them', () => {
    const fleet = new FakeFleet(3)
    const o = withMarks(fleet.observed(), {n1: [mark('data-db-0')], n2: [mark('data-db-1')], n3: [mark('data-db-2')]})
    expect(plan(revision(three, LOCAL, withClaims(1)), o).actions.filter((a) => a.type === 'remove-volume')).toEqual([])
    const p = plan(revision(three, LOCAL, withClaims(1, '\n  persistentVolumeClaimRetentionPolicy: {whenScaled: Delete}')), o)
    expect(p.actions.filter((a) => a.type === 'remove-volume').map((a) => `${a.node} ${a.type === 'remove-volume' ? a.mark.claim : ''}`)).toEqual(['n2 data-db-1', 'n3 data-db-2'])
  })

  it('the claims outlive a StatefulSet removed from git, unless it said whenDeleted: Delete', () => {
    const o = withMarks(new FakeFleet(3).observed(), {n1: [mark('data-db-0')], n2: [mark('data-db-1', {retain: false})]})
    const p = plan(revision(three, LOCAL), o)
    expect(p.actions.filter((a) => a.type === 'remove-volume').map((a) => (a.type === 'remove-volume' ? a.mark.claim : ''))).toEqual(['data-db-1'])
  })
})
