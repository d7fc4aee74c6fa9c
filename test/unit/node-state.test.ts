import {describe, expect, it} from 'vitest'
import {parseNodeFiles} from '../../src/engine/facts/node-files.js'
import {assessPod} from '../../src/engine/facts/pod-health.js'
import {probeSpec, probesStart} from '../../src/engine/argv/probes.js'
import {nextRecord, staleRecords} from '../../src/engine/plan/records.js'
import {latestRecord} from '../../src/engine/facts/node-record.js'
import {specChanges} from '../../src/engine/plan/spec-diff.js'
import {plan} from '../../src/engine/plan/plan.js'
import type {DesiredPod, NodeRecord, Observed, ObservedPod} from '../../src/engine/types.js'
import {deployment, desired, FakeFleet} from './plan-helpers.js'

const FILES = `1795716000
ids/default_web-1.pod:p1
ids/default_web-1_app.ctr:c1
probes/default_web-1_app.ready.state:fail 1795715990 1795715999 0 p1 Readiness probe failed: HTTP probe failed with statuscode: 500
probes/default_web-1_app.live.state:ok 1795715900 1795715998 2 p1 
@@kgit-record@@
{"commit":"abc","pods":{}}
`

function obsPod(over: Partial<ObservedPod> = {}): ObservedPod {
  return {node: 'n1', podmanName: 'p1', namespace: 'default', name: 'web-1', specHash: 'h', labels: {}, status: 'Running', created: '', containers: [{name: 'app', container: 'default_web-1_app', id: 'c1', state: 'running', startedAt: 1795715950}], ...over}
}

describe('kgit files on a node', () => {
  it('reads IDs, probe states and the record from one answer', () => {
    const f = parseNodeFiles(FILES)
    expect(f.now).toBe(1795716000)
    expect(f.podIds.get('default_web-1')).toBe('p1')
    expect(f.containerIds.get('default_web-1_app')).toBe('c1')
    expect(f.probes.get('default_web-1_app.ready')).toEqual({status: 'fail', since: 1795715990, lastRun: 1795715999, restarts: 0, token: 'p1', message: 'Readiness probe failed: HTTP probe failed with statuscode: 500'})
    expect(f.record?.trim()).toBe('{"commit":"abc","pods":{}}')
  })

  it('a pod whose readiness probe fails is not ready, with the probe message; liveness restarts are counted', () => {
    const p = obsPod()
    assessPod(p, [{c: 'app', k: 'ready', p: 1, t: 1}, {c: 'app', k: 'live', p: 10, t: 1}], parseNodeFiles(FILES), (s) => s * 1000)
    expect(p).toMatchObject({ready: false, notReady: 'container app: Readiness probe failed: HTTP probe failed with statuscode: 500', restarts: 2})
    expect(p.containers[0]!.ready).toBe(false)
    expect(p.drift).toBeUndefined()
  })

  it('drift: a pod or container whose ID is not the one kgit recorded, a probe loop that is gone or stale', () => {
    const f = parseNodeFiles(FILES)
    const foreign = obsPod({podmanName: 'p9'})
    assessPod(foreign, [], f, (s) => s)
    expect(foreign.drift).toBe('pod default_web-1 is not the one kgit created (ID p9, kgit created p1)')
    const swapped = obsPod({containers: [{name: 'app', container: 'default_web-1_app', id: 'c9', state: 'running'}]})
    assessPod(swapped, [], f, (s) => s)
    expect(swapped.drift).toBe('container app was replaced by hand (ID c9, kgit started c1)')
    const noLoop = obsPod()
    assessPod(noLoop, [{c: 'other', k: 'ready', p: 1, t: 1}], f, (s) => s)
    expect(noLoop).toMatchObject({ready: false, drift: 'the readiness probe of container other is not running'})
    const stale = obsPod()
    assessPod(stale, [{c: 'app', k: 'live', p: 1, t: 1}], {...f, now: f.now + 600}, (s) => s)
    expect(stale.drift).toMatch(/^the liveness probe of container app stopped \(last ran 602s ago\)$/)
  })

  it('a container its liveness loop is restarting is marked so, not taken for drift', () => {
    const f = parseNodeFiles(FILES.replace('ok 1795715900 1795715998 2 p1 ', 'fail 1795715998 1795715999 3 p1 Liveness probe failed: exit 1; restarting the container'))
    const p = obsPod({containers: [{name: 'app', container: 'default_web-1_app', id: 'c1', state: 'exited'}]})
    assessPod(p, [{c: 'app', k: 'live', p: 10, t: 1}], f, (s) => s)
    expect(p.containers[0]).toMatchObject({restarting: true, ready: false})
    expect(p.restarts).toBe(3)
    expect(p.drift).toBeUndefined()
  })

  it('ready since the later of container start and readiness success, on this machine’s clock', () => {
    const f = parseNodeFiles(FILES.replace('fail 1795715990', 'ok 1795715990'))
    const p = obsPod()
    assessPod(p, [{c: 'app', k: 'ready', p: 1, t: 1}], f, (s) => 5_000_000 - (f.now - s) * 1000)
    expect(p).toMatchObject({ready: true, readySince: 5_000_000 - 10_000})
  })
})

describe('probe specs', () => {
  const pod: DesiredPod = {namespace: 'default', name: 'web-1', labels: {}, specHash: 'h', source: {file: 'f', line: 1}, spec: {restartPolicy: 'Never', terminationGracePeriodSeconds: 3, containers: []}}
  it('quotes every value for the loop to source', () => {
    const c = {name: 'app', image: 'x', imagePullPolicy: 'Never' as const, env: [], ports: []}
    const spec = probeSpec(pod, c, 'live', {handler: {exec: {command: ['sh', '-c', "test -f '/tmp/ok' && echo $HOME"]}}, initialDelaySeconds: 2, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3})
    expect(spec).toBe(["kind=live", "container=default_web-1_app", "infra=default_web-1_infra", "initial=2", "period=5", "timeout=1", "success=1", "failure=3", "onfail=stop", "grace=3", "mode=exec", `cmd=(sh -c 'test -f '\\''/tmp/ok'\\'' && echo $HOME')`].join('\n') + '\n')
    const http = probeSpec(pod, c, 'ready', {handler: {httpGet: {path: '/healthz', port: 8080, scheme: 'HTTP', headers: [{name: 'X-A', value: 'b c'}]}}, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3})
    expect(http).toContain("mode=http\nhost=127.0.0.1\nport=8080\npath=/healthz\nscheme=HTTP\nhostheader=127.0.0.1:8080\nheaders=('X-A: b c')")
    expect(probesStart(pod, '/d', '#!')).toBeUndefined()
  })
})

describe('records', () => {
  const observed = (down: boolean): Observed => ({
    at: 0,
    nodes: [
      {node: 'n1', reachable: true, pods: [obsPod({owner: {kind: 'Deployment', name: 'web'}, templateHash: 'abc'})]},
      down ? {node: 'n2', reachable: false, reason: 'timeout'} : {node: 'n2', reachable: true, pods: []},
    ],
  })
  const info = {revision: 'c1', author: 'A <a@x>', subject: 'web v1'}

  it('say where each pod runs, keep an unreachable node’s pods and first time, and change appliedAt only with the commit', () => {
    const r1 = nextRecord(undefined, observed(true), info, {now: 'T1', by: 'me@host'})
    expect(r1).toEqual({commit: 'c1', writtenAt: 'T1', appliedAt: 'T1', appliedBy: 'me@host', author: 'A <a@x>', subject: 'web v1', pods: {n1: [{name: 'web-1', namespace: 'default', owner: 'Deployment/web', templateHash: 'abc'}], n2: []}, unreachableSince: {n2: 'T1'}, nodes: ['n1', 'n2']})
    const r2 = nextRecord(r1, observed(true), info, {now: 'T2', by: 'you@there'})
    expect(r2).toMatchObject({appliedAt: 'T1', appliedBy: 'me@host', unreachableSince: {n2: 'T1'}, writtenAt: 'T2'})
    const obs = observed(false)
    obs.nodes[0] = {...obs.nodes[0]!, record: r2} as Observed['nodes'][0]
    expect(staleRecords(obs, r2).map((s) => s.node)).toEqual(['n2'])
  })

  it('each node keeps its own pods and its next two peers\'; any answering predecessor tells what a silent node ran', () => {
    const names = ['n1', 'n2', 'n3', 'n4', 'n5']
    const obs: Observed = {at: 0, nodes: names.map((node) => ({node, reachable: true as const, pods: [obsPod({node, name: `p-${node}`, owner: {kind: 'Deployment', name: 'web'}})]}))}
    const full = nextRecord(undefined, obs, info, {now: 'T1', by: 'me@host'})
    const shards = staleRecords(obs, full)
    expect(shards.map((s) => [s.node, Object.keys(s.record.pods)])).toEqual([
      ['n1', ['n1', 'n2', 'n3']],
      ['n2', ['n2', 'n3', 'n4']],
      ['n3', ['n3', 'n4', 'n5']],
      ['n4', ['n4', 'n5', 'n1']],
      ['n5', ['n5', 'n1', 'n2']],
    ])
    expect(latestRecord(shards.map((s) => s.record))).toEqual(full)
    // n3 is silent, and so is n2: n1 still knows what n3 ran.
    const fromN1 = latestRecord([shards[0]!.record, shards[3]!.record, shards[4]!.record])
    expect(fromN1?.pods.n3?.map((p) => p.name)).toEqual(['p-n3'])
    // Written back, nothing is stale; an older full record (before shards) still reads.
    const written: Observed = {...obs, nodes: obs.nodes.map((n, i) => ({...n, record: shards[i]!.record}) as Observed['nodes'][0])}
    expect(staleRecords(written, full)).toEqual([])
    expect(latestRecord([full, shards[0]!.record])?.pods).toEqual(full.pods)
  })

  it('forget what an older record says of a node that was not in kgit.yaml when the newest was written', () => {
    const three: Observed = {at: 0, nodes: ['n1', 'n2', 'n3'].map((node) => ({node, reachable: true as const, pods: [obsPod({node, name: `p-${node}`})]}))}
    const old = nextRecord(undefined, three, info, {now: 'T1', by: 'me@host'})
    // n3 is forgotten: the next apply knows n1 and n2 only; then n3 is added back.
    const two: Observed = {at: 0, nodes: three.nodes.slice(0, 2)}
    const next = nextRecord(old, two, info, {now: 'T2', by: 'me@host'})
    expect(next.nodes).toEqual(['n1', 'n2'])
    const merged = latestRecord([next, next, old])!
    expect(Object.keys(merged.pods)).toEqual(['n1', 'n2'])
    // A record written before kgit kept the node list still reads as before.
    const {nodes: _, ...legacy} = next
    void _
    expect(Object.keys(latestRecord([legacy, old])!.pods).sort()).toEqual(['n1', 'n2', 'n3'])
  })
})

describe('plan with unreachable nodes', () => {
  const rec = (since: string, pods: NodeRecord['pods']): NodeRecord => ({commit: 'c', writtenAt: since, appliedAt: since, appliedBy: '', author: '', subject: '', pods, unreachableSince: {n3: since}})

  it('counts the replicas of a node that does not answer until the grace period ends, then starts them elsewhere', () => {
    const fleet = new FakeFleet(3)
    const d = desired(3, deployment('web', 3))
    fleet.apply(plan(d, fleet.observed()).actions)
    const onN3 = fleet.pods.get('n3')!.map((p) => ({name: p.name, namespace: p.namespace, owner: 'Deployment/web', templateHash: p.templateHash!}))
    fleet.down.add('n3')
    const at = (secs: number, since: string): Observed => {
      const o = fleet.observed()
      o.at = Date.parse('2026-01-01T00:00:00Z') + secs * 1000
      for (const n of o.nodes) if (n.reachable) n.record = rec(since, {n3: onN3})
      return o
    }
    const early = plan(d, at(60, '2026-01-01T00:00:00Z'))
    expect(early.actions).toEqual([])
    expect(early.held.map((p) => p.node)).toEqual(['n3'])
    const late = plan(d, at(301, '2026-01-01T00:00:00Z'))
    expect(late.actions.map((a) => [a.type, a.node])).toEqual([['create', 'n1']])
    fleet.apply(late.actions)
    // n3 comes back: its replica was started elsewhere, so it goes.
    fleet.down.delete('n3')
    const back = plan(d, at(400, '2026-01-01T00:00:00Z'))
    expect(back.actions.map((a) => [a.type, a.node, a.reason])).toEqual([['delete', 'n3', 'its node n3 did not answer for longer than the grace period; the replica was started elsewhere']])
  })
})

describe('spec changes', () => {
  it('names the fields that differ, containers by name', () => {
    const a = {containers: [{name: 'web', image: 'a:1', env: [{name: 'X', value: '1'}]}], restartPolicy: 'Always'}
    const b = {containers: [{name: 'web', image: 'a:2', env: [{name: 'X', value: '2'}, {name: 'Y', value: 'y'}]}], restartPolicy: 'Always'}
    expect(specChanges(a, b)).toEqual(['containers[web].env[X].value: "1" -> "2"', 'containers[web].env[Y]: (none) -> {"name":"Y","value":"y"}', 'containers[web].image: "a:1" -> "a:2"'])
  })
})
