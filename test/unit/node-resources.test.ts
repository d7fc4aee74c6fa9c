import {describe, expect, it} from 'vitest'
import {allocated, isTerminated, nodeAllocatable, nodeCapacity, podLimits, podRequests, qosClass, sum} from '../../src/engine/facts/node-resources.js'
import {nodeState, parseCapacity} from '../../src/engine/facts/node-state.js'
import type {ContainerSpec, NodeObservation, NodeSpec, ObservedPod, PodSpec, Resources} from '../../src/engine/types.js'

const Gi = 2 ** 30
const Mi = 2 ** 20

function node(over: Partial<NodeSpec> = {}): NodeSpec {
  return {name: 'n1', address: '192.0.2.1', port: 22, labels: {}, taints: [], dataDir: '/var/lib/kgit', unschedulable: false, drain: false, ...over}
}

function seen(capacity?: Resources): NodeObservation {
  return capacity ? {node: 'n1', reachable: true, pods: [], capacity} : {node: 'n1', reachable: true, pods: []}
}

function ctr(name: string, requests?: Resources, limits?: Resources): ContainerSpec {
  const c: ContainerSpec = {name, image: 'busybox', imagePullPolicy: 'IfNotPresent', env: [], ports: []}
  if (requests || limits) c.resources = {requests: requests ?? {}, limits: limits ?? {}}
  return c
}

function pod(containers: ContainerSpec[], restartPolicy: PodSpec['restartPolicy'] = 'Always'): PodSpec {
  return {containers, restartPolicy, terminationGracePeriodSeconds: 30}
}

function observed(spec: PodSpec | undefined, states: {state: string; exitCode?: number}[] = [{state: 'running'}]): ObservedPod {
  const p: ObservedPod = {node: 'n1', podmanName: 'x', namespace: 'default', name: 'p', specHash: 'h', labels: {}, status: 'Running', created: '', containers: states.map((s, i) => ({name: `c${i}`, container: `c${i}`, ...s}))}
  if (spec) p.spec = spec
  return p
}

describe('the capacity line of the node state script', () => {
  it('parses cpu and memory, leaving out zero or malformed amounts', () => {
    expect(parseCapacity('cpu=2000 memory=4102344704')).toEqual({cpu: 2000, memory: 4102344704})
    expect(parseCapacity('cpu=0 memory=4102344704\n')).toEqual({memory: 4102344704})
    expect(parseCapacity('cpu=0 memory=0')).toBeUndefined()
    expect(parseCapacity('cpu=1.5 memory=-3 junk')).toBeUndefined()
  })

  it('is taken out of the answer before kgit files are read', () => {
    const s = nodeState('/var/lib/kgit', 'label=x').parse('1795716000\n@@kgit-capacity@@ cpu=4000 memory=8589934592\nids/default_web-1.pod:p1\n@@kgit-ps@@\n[]\n')
    expect(s.capacity).toEqual({cpu: 4000, memory: 8 * Gi})
    expect(s.files.now).toBe(1795716000)
    expect([...s.files.podIds]).toEqual([['default_web-1', 'p1']])
    const old = nodeState('/var/lib/kgit', 'label=x').parse('1795716000\nids/default_web-1.pod:p1\n@@kgit-ps@@\n[]\n')
    expect(old.capacity).toBeUndefined()
    expect(old.files.podIds.size).toBe(1)
  })
})

describe('node capacity and allocatable', () => {
  it('capacity is what the node reports, kgit.yaml overriding per resource, pods 110 by default', () => {
    expect(nodeCapacity(node(), seen({cpu: 4000, memory: 8 * Gi}))).toEqual({pods: 110, cpu: 4000, memory: 8 * Gi})
    expect(nodeCapacity(node({capacity: {cpu: 2000, pods: 20}}), seen({cpu: 4000, memory: 8 * Gi}))).toEqual({pods: 20, cpu: 2000, memory: 8 * Gi})
    expect(nodeCapacity(node({capacity: {memory: Gi}}))).toEqual({pods: 110, memory: Gi})
    expect(nodeCapacity(node(), {node: 'n1', reachable: false, reason: 'down'})).toEqual({pods: 110})
  })

  it('allocatable is capacity minus reserved, floored at 0, with kgit.yaml allocatable winning per resource', () => {
    const obs = seen({cpu: 4000, memory: 8 * Gi})
    expect(nodeAllocatable(node(), obs)).toEqual({pods: 110, cpu: 4000, memory: 8 * Gi})
    expect(nodeAllocatable(node({reserved: {cpu: 500, memory: 512 * Mi, 'example.com/gpu': 1}}), obs)).toEqual({pods: 110, cpu: 3500, memory: 8 * Gi - 512 * Mi})
    expect(nodeAllocatable(node({reserved: {cpu: 6000}}), obs).cpu).toBe(0)
    expect(nodeAllocatable(node({reserved: {cpu: 500}, allocatable: {memory: 6 * Gi, pods: 30}}), obs)).toEqual({pods: 30, cpu: 3500, memory: 6 * Gi})
    expect(nodeAllocatable(node({allocatable: {'example.com/gpu': 2}}))).toEqual({pods: 110, 'example.com/gpu': 2})
  })
})

describe('pod requests, limits and QoS class', () => {
  it('sums requests and limits over the containers', () => {
    const spec = pod([ctr('a', {cpu: 250, memory: 64 * Mi}, {cpu: 500, memory: 128 * Mi}), ctr('b', {cpu: 100}), ctr('c')])
    expect(podRequests(spec)).toEqual({cpu: 350, memory: 64 * Mi})
    expect(podLimits(spec)).toEqual({cpu: 500, memory: 128 * Mi})
    expect(podRequests(pod([ctr('a')]))).toEqual({})
    expect(sum([{cpu: 1}, {cpu: 2, memory: 3}, {}])).toEqual({cpu: 3, memory: 3})
  })

  it.each([
    ['BestEffort', [ctr('a'), ctr('b')]],
    ['BestEffort', [ctr('a', {'example.com/gpu': 1}, {'example.com/gpu': 1})]],
    ['Guaranteed', [ctr('a', {cpu: 500, memory: Gi}, {cpu: 500, memory: Gi})]],
    ['Guaranteed', [ctr('a', {}, {cpu: 500, memory: Gi}), ctr('b', {cpu: 100, memory: Mi}, {cpu: 100, memory: Mi})]],
    ['Burstable', [ctr('a', {cpu: 250, memory: Gi}, {cpu: 500, memory: Gi})]],
    ['Burstable', [ctr('a', {cpu: 500}, {cpu: 500})]],
    ['Burstable', [ctr('a', {cpu: 500, memory: Gi}, {cpu: 500, memory: Gi}), ctr('b')]],
    ['Burstable', [ctr('a', {memory: Mi})]],
  ] as const)('%s: %j', (qos, containers) => {
    expect(qosClass(pod([...containers]))).toBe(qos)
  })
})

describe('what kgit pods hold on a node', () => {
  it('sums the requests of the pods observed, counting them as pods; finished pods hold nothing', () => {
    const web = pod([ctr('app', {cpu: 250, memory: 64 * Mi})])
    const job = pod([ctr('run', {cpu: 1000})], 'Never')
    const pods = [observed(web), observed(web), observed(undefined), observed(job, [{state: 'exited', exitCode: 1}])]
    expect(allocated(pods)).toEqual({cpu: 500, memory: 128 * Mi, pods: 3})
    expect(allocated([])).toEqual({pods: 0})
  })

  it('a pod is terminated as Kubernetes says: restartPolicy Never, or OnFailure with every container succeeded', () => {
    const spec = (r: PodSpec['restartPolicy']): PodSpec => pod([ctr('a')], r)
    expect(isTerminated(observed(spec('Always'), [{state: 'exited', exitCode: 0}]))).toBe(false)
    expect(isTerminated(observed(spec('Never'), [{state: 'exited', exitCode: 2}]))).toBe(true)
    expect(isTerminated(observed(spec('OnFailure'), [{state: 'exited', exitCode: 0}]))).toBe(true)
    expect(isTerminated(observed(spec('OnFailure'), [{state: 'exited', exitCode: 1}]))).toBe(false)
    expect(isTerminated(observed(spec('Never'), [{state: 'exited', exitCode: 0}, {state: 'running'}]))).toBe(false)
  })
})
