import {describe, expect, it} from 'vitest'
import {describeNode} from '../../src/cli/render-describe.js'
import {nodesJson, shortAmount, withPercent} from '../../src/cli/render-resources.js'
import {nodeRows} from '../../src/cli/render-workloads.js'
import type {PlanRun} from '../../src/engine/session.js'
import type {ContainerSpec, NodeObservation, NodeSpec, ObservedPod, Resources} from '../../src/engine/types.js'

const Gi = 2 ** 30
const Mi = 2 ** 20

function node(name: string, over: Partial<NodeSpec> = {}): NodeSpec {
  return {name, address: `192.0.2.${name.slice(1)}`, port: 22, labels: {}, taints: [], dataDir: '/var/lib/kgit', unschedulable: false, drain: false, ...over}
}

function ctr(requests: Resources, limits: Resources = {}): ContainerSpec {
  return {name: 'app', image: 'busybox', imagePullPolicy: 'IfNotPresent', env: [], ports: [], resources: {requests, limits}}
}

function pod(name: string, c: ContainerSpec): ObservedPod {
  return {node: 'n1', podmanName: name, namespace: 'shop', name, specHash: 'h', labels: {}, status: 'Running', created: new Date().toISOString(), containers: [{name: 'app', container: 'x', state: 'running'}], spec: {containers: [c], restartPolicy: 'Always', terminationGracePeriodSeconds: 30}}
}

function run(nodes: NodeSpec[], observed: NodeObservation[]): PlanRun {
  return {desired: {cluster: {nodes}}, observed: {nodes: observed}} as unknown as PlanRun
}

const pods = [pod('web-1', ctr({cpu: 500, memory: 512 * Mi}, {cpu: 1000, memory: 512 * Mi})), pod('web-2', ctr({cpu: 250, memory: 128 * Mi}))]
const fleet = run(
  [node('n1'), node('n2', {unschedulable: true, capacity: {cpu: 4000, memory: 8 * Gi}, reserved: {memory: Gi}}), node('n3', {unschedulable: true, drain: true})],
  [{node: 'n1', reachable: true, pods, capacity: {cpu: 2000, memory: 3984588 * 1024}}, {node: 'n2', reachable: true, pods: [], capacity: {cpu: 2000, memory: 4 * Gi}}, {node: 'n3', reachable: false, reason: 'timed out'}],
)

describe('kgit get nodes', () => {
  it('-o wide: what pods request of what is allocatable; cordoned nodes are SchedulingDisabled', () => {
    const rows = nodeRows(fleet, true).map((l) => l.split(/\s{3,}/))
    expect(rows[0]).toEqual(['NAME', 'STATUS', 'ADDRESS', 'PODS', 'COMMIT', 'CPU(REQ/ALLOC)', 'MEMORY(REQ/ALLOC)', 'DATADIR', 'LABELS'])
    expect(rows[1]).toEqual(['n1', 'Ready', '192.0.2.1:22', '2', '<none>', '750m/2', '640Mi/3.8Gi', '/var/lib/kgit', '<none>'])
    expect(rows[2]).toEqual(['n2', 'Ready,SchedulingDisabled', '192.0.2.2:22', '0', '<none>', '0/4', '0/7Gi', '/var/lib/kgit', '<none>'])
    expect(rows[3]).toEqual(['n3', 'Unreachable,SchedulingDisabled', '192.0.2.3:22', '-', '<none>', '-/?', '-/?', '/var/lib/kgit', '<none>'])
    expect(nodeRows(fleet, false)[0]).toBe('NAME   STATUS                           ADDRESS        PODS   COMMIT')
  })

  it('-o json: capacity, allocatable, requested and limits per node', () => {
    const [n1, n2, n3] = nodesJson(fleet) as Record<string, unknown>[]
    expect(n1).toMatchObject({name: 'n1', observed: true, status: 'Ready', capacity: {cpu: 2000, memory: 3984588 * 1024, pods: 110}, allocatable: {cpu: 2000, pods: 110}, requested: {cpu: 750, memory: 640 * Mi, pods: 2}, limits: {cpu: 1000, memory: 512 * Mi}})
    expect(n2).toMatchObject({unschedulable: true, status: 'Ready,SchedulingDisabled', allocatable: {cpu: 4000, memory: 7 * Gi, pods: 110}, requested: {pods: 0}})
    expect(n3).toMatchObject({observed: false, drain: true, allocatable: {pods: 110}})
    expect(n3).not.toHaveProperty('requested')
  })

  it('amounts: short for columns, with a truncated percentage for describe', () => {
    expect(shortAmount('memory', 3.8 * Gi)).toBe('3.8Gi')
    expect(shortAmount('memory', 24683620 * 1024)).toBe('24Gi')
    expect(shortAmount('memory', 100)).toBe('100')
    expect(shortAmount('cpu', 1500)).toBe('1500m')
    expect(withPercent('cpu', 750, 2000)).toBe('750m (37%)')
    expect(withPercent('memory', 0, 4 * Gi)).toBe('0 (0%)')
  })
})

describe('kgit describe node', () => {
  it('shows Unschedulable, Capacity, Allocatable, the pods with their requests and limits, and the totals', () => {
    const text = describeNode(fleet, 'n1').join('\n')
    expect(text).toMatch(/^Unschedulable:\s+false$/m)
    expect(text).toContain('Capacity:\n  cpu:     2\n  memory:  3984588Ki\n  pods:    110\nAllocatable:\n  cpu:     2\n')
    expect(text).toMatch(/^Non-terminated Pods:\s+\(2 in total\)$/m)
    expect(text).toMatch(/^ {2}Namespace\s+Name\s+CPU Requests\s+CPU Limits\s+Memory Requests\s+Memory Limits\s+Age$/m)
    expect(text).toMatch(/^ {2}shop\s+web-1\s+500m \(25%\)\s+1 \(50%\)\s+512Mi \(13%\)\s+512Mi \(13%\)\s+\d+s$/m)
    expect(text).toMatch(/^ {2}shop\s+web-2\s+250m \(12%\)\s+0 \(0%\)\s+128Mi \(3%\)\s+0 \(0%\)/m)
    expect(text).toContain('Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n')
    expect(text).toMatch(/^ {2}cpu\s+750m \(37%\)\s+1 \(50%\)$/m)
    expect(text).toMatch(/^ {2}memory\s+640Mi \(16%\)\s+512Mi \(13%\)$/m)
  })

  it('a drained node, and one that does not answer', () => {
    const text = describeNode(fleet, 'n3').join('\n')
    expect(text).toMatch(/^Unschedulable:\s+true \(drained: its pods move to other nodes\)$/m)
    expect(text).toContain('Capacity:\n  pods:  110\n')
    expect(text).toContain('Non-terminated Pods:  <unknown: the node does not answer>')
    expect(text).not.toContain('Allocated resources')
    expect(describeNode(fleet, 'n2').join('\n')).toContain('Allocatable:\n  cpu:     4\n  memory:  7Gi\n  pods:    110\nNon-terminated Pods:  (0 in total)\nAllocated resources:')
  })
})
