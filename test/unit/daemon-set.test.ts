import {describe, expect, it} from 'vitest'
import {describeDaemonSet} from '../../src/cli/render-describe.js'
import {rolloutMessage} from '../../src/cli/render-rollout-status.js'
import {parseRolloutStatusArg} from '../../src/engine/controllers/rollout-history.js'
import {daemonSetRows, daemonSetViews} from '../../src/cli/render-workloads.js'
import {daemonPodName, maxUnavailable} from '../../src/engine/controllers/daemon-set.js'
import {plan} from '../../src/engine/plan/plan.js'
import type {PlanRun} from '../../src/engine/session.js'
import type {DaemonSetObject, Desired} from '../../src/engine/types.js'
import {brief, FakeFleet, loadOn, revisionOn} from './plan-helpers.js'

function ds(name: string, opts: {image?: string; podSpec?: string; strategy?: string; apiVersion?: string; selector?: string} = {}): string {
  return [
    `apiVersion: ${opts.apiVersion ?? 'apps/v1'}`,
    'kind: DaemonSet',
    `metadata: {name: ${name}}`,
    'spec:',
    opts.selector ?? `  selector: {matchLabels: {app: ${name}}}`,
    ...(opts.strategy ? [opts.strategy] : []),
    '  template:',
    `    metadata: {labels: {app: ${name}}}`,
    '    spec:',
    ...(opts.podSpec ? [opts.podSpec] : []),
    `      containers: [{name: main, image: "${opts.image ?? 'busybox:1.35'}"}]`,
    '',
  ].join('\n')
}

const revision = (nodes: string[], ...docs: string[]): Desired => revisionOn(nodes, docs)
const load = (nodes: string[], docs: string[]): ReturnType<typeof loadOn> => loadOn(nodes, docs)

const three = ['{name: n1}', '{name: n2}', '{name: n3}']

function converge(d: Desired, fleet: FakeFleet): void {
  for (let i = 0; i < 10; i++) {
    const p = plan(d, fleet.observed())
    if (p.actions.length === 0) return
    fleet.apply(p.actions)
  }
  throw new Error('no convergence')
}

describe('DaemonSet', () => {
  it('runs one pod, named after its node, on every node', () => {
    const p = plan(revision(three, ds('agent')), new FakeFleet(3).observed())
    expect(brief(p.actions)).toEqual(['n1 + default/' + daemonPodName('agent', 'n1'), 'n2 + default/' + daemonPodName('agent', 'n2'), 'n3 + default/' + daemonPodName('agent', 'n3')])
    expect(daemonPodName('agent', 'n1')).toMatch(/^agent-[a-z0-9]{5}$/)
    expect(new Set(p.actions.map((a) => (a.type === 'create' ? a.pod.name : ''))).size).toBe(3)
    expect(p.actions.every((a) => a.type === 'create' && a.reason === 'daemon pod')).toBe(true)
  })

  it('follows the nodeSelector and keeps away from NoSchedule taints it does not tolerate', () => {
    const nodes = ['{name: n1, labels: {disk: ssd}}', '{name: n2, labels: {disk: ssd}, taints: [{key: dedicated, value: db, effect: NoSchedule}]}', '{name: n3}']
    const p = plan(revision(nodes, ds('agent', {podSpec: '      nodeSelector: {disk: ssd}'})), new FakeFleet(3).observed())
    expect(p.actions.map((a) => a.node)).toEqual(['n1'])
    const tolerating = plan(revision(nodes, ds('agent', {podSpec: '      tolerations: [{key: dedicated, operator: Exists}]'})), new FakeFleet(3).observed())
    expect(tolerating.actions.map((a) => a.node)).toEqual(['n1', 'n2', 'n3'])
  })

  it('runs only on the node its template names in nodeName', () => {
    const p = plan(revision(three, ds('agent', {podSpec: '      nodeName: n2'})), new FakeFleet(3).observed())
    expect(p.actions.map((a) => a.node)).toEqual(['n2'])
  })

  it('runs on cordoned and drained nodes (it tolerates node.kubernetes.io/unschedulable)', () => {
    const fleet = new FakeFleet(3)
    const d = revision(['{name: n1, unschedulable: true}', '{name: n2, drain: true}', '{name: n3}'], ds('agent'))
    converge(d, fleet)
    expect([fleet.count('n1'), fleet.count('n2'), fleet.count('n3')]).toEqual([1, 1, 1])
    expect(plan(d, fleet.observed()).actions).toEqual([])
  })

  it('gives a node added to kgit.yaml its pod, and does not move the pod of a node removed from it', () => {
    const fleet = new FakeFleet(3)
    converge(revision(['{name: n1}', '{name: n2}'], ds('agent')), fleet)
    expect([fleet.count('n1'), fleet.count('n2'), fleet.count('n3')]).toEqual([1, 1, 0])
    const p = plan(revision(three, ds('agent')), fleet.observed())
    expect(brief(p.actions)).toEqual([`n3 + default/${daemonPodName('agent', 'n3')}`])
    fleet.apply(p.actions)
    // n3 leaves kgit.yaml: kgit no longer sees it, and starts nothing elsewhere.
    fleet.pods.delete('n3')
    expect(plan(revision(['{name: n1}', '{name: n2}'], ds('agent')), fleet.observed()).actions).toEqual([])
  })

  it('starts nothing elsewhere for a node that does not answer', () => {
    const fleet = new FakeFleet(3)
    const d = revision(three, ds('agent'))
    converge(d, fleet)
    fleet.down.add('n2')
    expect(plan(d, fleet.observed()).actions).toEqual([])
    fleet.pods.set('n2', [])
    fleet.down.delete('n2')
    expect(brief(plan(d, fleet.observed()).actions)).toEqual([`n2 + default/${daemonPodName('agent', 'n2')}`])
  })

  it('keeps the pod of a node that comes back after the grace period (nothing replaced it)', () => {
    const fleet = new FakeFleet(3)
    const d = revision(three, ds('agent'))
    converge(d, fleet)
    const record = {commit: 'rev0', writtenAt: '2026-01-01T00:00:00Z', appliedAt: '', appliedBy: '', author: '', subject: '', pods: {}, unreachableSince: {n2: '2026-01-01T00:00:00Z'}}
    const o = fleet.observed()
    const back = {...o, at: Date.parse('2026-01-01T01:00:00Z'), nodes: o.nodes.map((n) => (n.reachable ? {...n, record} : n))}
    expect(plan(d, back).actions).toEqual([])
  })

  it('removes its pod from a node with a NoExecute taint, keeps it on one with a new NoSchedule taint', () => {
    const fleet = new FakeFleet(3)
    converge(revision(three, ds('agent')), fleet)
    const noSchedule = plan(revision(['{name: n1}', '{name: n2}', '{name: n3, taints: [{key: k, effect: NoSchedule}]}'], ds('agent')), fleet.observed())
    expect(noSchedule.actions).toEqual([])
    const noExecute = plan(revision(['{name: n1}', '{name: n2}', '{name: n3, taints: [{key: k, effect: NoExecute}]}'], ds('agent')), fleet.observed())
    expect(brief(noExecute.actions)).toEqual([`n3 - default/${daemonPodName('agent', 'n3')}`])
    expect(noExecute.actions[0]!.reason).toMatch(/NoExecute/)
  })

  it('removes its pod from a node that no longer matches the nodeSelector', () => {
    const fleet = new FakeFleet(2)
    converge(revision(['{name: n1, labels: {a: b}}', '{name: n2, labels: {a: b}}'], ds('agent', {podSpec: '      nodeSelector: {a: b}'})), fleet)
    const p = plan(revision(['{name: n1, labels: {a: b}}', '{name: n2}'], ds('agent', {podSpec: '      nodeSelector: {a: b}'})), fleet.observed())
    expect(brief(p.actions)).toEqual([`n2 - default/${daemonPodName('agent', 'n2')}`])
  })

  it('rolls a new template out at most maxUnavailable pods at a time, waiting for readiness', () => {
    const fleet = new FakeFleet(3)
    converge(revision(three, ds('agent')), fleet)
    const d = revision(three, ds('agent', {image: 'busybox:1.36'}))
    const first = plan(d, fleet.observed())
    expect(first.actions.map((a) => `${a.node} ${a.type}`)).toEqual(['n1 replace'])
    fleet.apply(first.actions)
    // The new pod is not ready yet: nothing more, and apply waits.
    for (const p of fleet.pods.get('n1')!) p.ready = false
    const waiting = plan(d, fleet.observed())
    expect(waiting.actions).toEqual([])
    expect(waiting.waiting.map((w) => `${w.kind}/${w.name} ${w.status.updated}/${w.status.replicas}`)).toEqual(['DaemonSet/agent 1/3'])
    for (const p of fleet.pods.get('n1')!) p.ready = true
    expect(plan(d, fleet.observed()).actions.map((a) => `${a.node} ${a.type}`)).toEqual(['n2 replace'])
    converge(d, fleet)
    const done = plan(d, fleet.observed())
    expect(done.rollouts[0]!.status.complete).toBe(true)
    expect(done.waiting).toEqual([])
  })

  it('replaces maxUnavailable (a percentage, rounded up) pods at once', () => {
    const fleet = new FakeFleet(3)
    const strategy = '  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: "50%"}}'
    converge(revision(three, ds('agent', {strategy})), fleet)
    const p = plan(revision(three, ds('agent', {strategy, image: 'busybox:1.36'})), fleet.observed())
    expect(p.actions.map((a) => `${a.node} ${a.type}`)).toEqual(['n1 replace', 'n2 replace'])
    expect([maxUnavailable('10%', 3), maxUnavailable(2, 3), maxUnavailable('0%', 0)]).toEqual([1, 2, 1])
  })

  it('replaces old pods that are not available first, without waiting', () => {
    const fleet = new FakeFleet(3)
    converge(revision(three, ds('agent')), fleet)
    for (const p of [...fleet.pods.get('n2')!, ...fleet.pods.get('n3')!]) p.ready = false
    const p = plan(revision(three, ds('agent', {image: 'busybox:1.36'})), fleet.observed())
    expect(p.actions.map((a) => `${a.node} ${a.type}`)).toEqual(['n2 replace', 'n3 replace'])
  })

  it('OnDelete keeps the old pods; a new node, or a pod removed by hand, gets the new template', () => {
    const fleet = new FakeFleet(3)
    const strategy = '  updateStrategy: {type: OnDelete}'
    converge(revision(['{name: n1}', '{name: n2}'], ds('agent', {strategy})), fleet)
    const d = revision(three, ds('agent', {strategy, image: 'busybox:1.36'}))
    const p = plan(d, fleet.observed())
    expect(brief(p.actions)).toEqual([`n3 + default/${daemonPodName('agent', 'n3')}`])
    fleet.apply(p.actions)
    fleet.pods.set('n1', [])
    const again = plan(d, fleet.observed())
    expect(again.actions.map((a) => `${a.node} ${a.type} ${a.type === 'create' ? a.pod.spec.containers[0]!.image : ''}`)).toEqual(['n1 create busybox:1.36'])
    fleet.apply(again.actions)
    // Hours later the old pod on n2 still waits for a person: no deadline passes.
    const later = plan(d, {...fleet.observed(), at: Date.parse('2026-01-02T00:00:00Z')})
    expect(later.rollouts[0]!.status).toMatchObject({old: 1, updated: 2, deadlineExceeded: false})
  })

  it('counts its pods on their nodes for the scheduler', () => {
    const nodes = ['{name: n1, allocatable: {pods: 1}}', '{name: n2, allocatable: {pods: 2}}']
    const p = plan(revision(nodes, ds('agent'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: main, image: "busybox:1.35"}]\n'), new FakeFleet(2).observed())
    expect(brief(p.actions)).toContain('n2 + default/web')
  })

  it('removes its pods when it leaves git', () => {
    const fleet = new FakeFleet(2)
    converge(revision(['{name: n1}', '{name: n2}'], ds('agent')), fleet)
    const p = plan(revision(['{name: n1}', '{name: n2}']), fleet.observed())
    expect(p.actions.map((a) => a.reason)).toEqual(['DaemonSet agent is no longer in git', 'DaemonSet agent is no longer in git'])
  })
})

describe('kgit get ds, kgit describe ds', () => {
  it('counts the nodes that should run it and what runs, and says why a node does not', () => {
    const fleet = new FakeFleet(3)
    const d = revision(['{name: n1, labels: {a: b}}', '{name: n2, labels: {a: b}}', '{name: n3}'], ds('agent', {podSpec: '      nodeSelector: {a: b}'}))
    converge(d, fleet)
    for (const p of fleet.pods.get('n2')!) p.ready = false
    const observed = fleet.observed()
    const run = {desired: d, observed, plan: plan(d, observed)} as unknown as PlanRun
    const rows = daemonSetRows(daemonSetViews(run, {namespace: 'default'}), false).map((l) => l.split(/\s{2,}/))
    expect(rows[0]).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'])
    expect(rows[1]!.slice(0, 7)).toEqual(['agent', '2', '2', '1', '2', '1', 'a=b'])
    const text = describeDaemonSet(run, d.objects.find((o): o is DaemonSetObject => o.kind === 'DaemonSet')!).join('\n')
    expect(text).toMatch(/^Desired Number of Nodes Scheduled: +2$/m)
    expect(text).toMatch(/^UpdateStrategy: +RollingUpdate \(1 max unavailable\)$/m)
    expect(text).toMatch(/^Nodes Not Running It: +node n3 does not match the pod's node selector or affinity$/m)
  })
})

describe('kgit rollout status ds/NAME', () => {
  it('reads daemonset/NAME and ds NAME; deployment/NAME as before', () => {
    expect(parseRolloutStatusArg('ds/agent')).toEqual({kind: 'DaemonSet', name: 'agent'})
    expect(parseRolloutStatusArg('daemonset', 'agent')).toEqual({kind: 'DaemonSet', name: 'agent'})
    expect(parseRolloutStatusArg('deploy/web')).toEqual({kind: 'Deployment', name: 'web'})
    expect(() => parseRolloutStatusArg('ds/')).toThrow('name the daemon set as daemonset/NAME')
  })

  it("says what kubectl says, step by step", () => {
    const fleet = new FakeFleet(3)
    converge(revision(three, ds('agent')), fleet)
    const d = revision(three, ds('agent', {image: 'busybox:1.36'}))
    const text = (): string => rolloutMessage(plan(d, fleet.observed()).rollouts[0]!).text
    expect(text()).toBe('Waiting for daemon set "agent" rollout to finish: 0 out of 3 new pods have been updated...')
    fleet.apply(plan(d, fleet.observed()).actions)
    expect(text()).toBe('Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...')
    converge(d, fleet)
    expect(text()).toBe('daemon set "agent" successfully rolled out')
  })
})

describe('DaemonSet manifests', () => {
  const errors = (doc: string): string[] => load(['{name: n1}'], [doc]).errors.map((e) => e.message)

  it('requires a selector that matches the template labels (apps/v1)', () => {
    expect(errors(ds('agent', {selector: '  selector: {matchLabels: {app: other}}'}))).toEqual(['manifests/all.yaml:7 spec.template.metadata.labels: `selector` does not match template `labels`'])
    expect(errors(ds('agent', {selector: ''})).join('\n')).toMatch(/^manifests\/all\.yaml:\d+ spec\.selector: /)
  })

  it('rejects an unknown updateStrategy and a zero maxUnavailable', () => {
    expect(errors(ds('agent', {strategy: '  updateStrategy: {type: Always}'})).join('\n')).toMatch(/manifests\/all\.yaml:6 spec\.updateStrategy\.type: .*"Always"/)
    expect(errors(ds('agent', {strategy: '  updateStrategy: {rollingUpdate: {maxUnavailable: 0}}'})).join('\n')).toMatch(/manifests\/all\.yaml:6 spec\.updateStrategy\.rollingUpdate\.maxUnavailable: Invalid value: 0/)
    expect(errors(ds('agent', {strategy: '  updateStrategy: {rollingUpdate: {maxUnavailable: "1"}}'})).join('\n')).toMatch(/percent string/)
  })

  it('reads defaults: RollingUpdate with maxUnavailable 1 (OnDelete and the labels as selector in extensions/v1beta1)', () => {
    const o = revision(['{name: n1}'], ds('agent')).objects.find((x) => x.kind === 'DaemonSet')
    expect(o?.kind === 'DaemonSet' && o.spec).toMatchObject({updateStrategy: {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: 1}}, revisionHistoryLimit: 10, minReadySeconds: 0})
    const legacy = revision(['{name: n1}'], ds('agent', {apiVersion: 'extensions/v1beta1', selector: ''})).objects.find((x) => x.kind === 'DaemonSet')
    expect(legacy?.kind === 'DaemonSet' && legacy.spec).toMatchObject({updateStrategy: {type: 'OnDelete'}, selector: {matchLabels: {app: 'agent'}}})
  })
})
