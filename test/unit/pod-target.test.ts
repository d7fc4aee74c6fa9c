import {describe, expect, it} from 'vitest'
import {chooseContainer, containerHints, findPod, parsePodRef, PodNotFoundError} from '../../src/engine/pod-target.js'
import type {KObject, NodeObservation, ObservedPod} from '../../src/engine/types.js'

function pod(name: string, over: Partial<ObservedPod> = {}): ObservedPod {
  return {
    node: 'n1', podmanName: 'id-' + name, namespace: 'default', name, specHash: 'h', labels: {}, status: 'Running', created: '2026-01-01T00:00:00.000Z',
    containers: [{name: 'app', container: `default_${name}_app`, state: 'running'}, {name: 'side', container: `default_${name}_side`, state: 'running'}],
    ...over,
  }
}

const nodes: NodeObservation[] = [
  {node: 'n1', reachable: true, pods: [pod('solo'), pod('web-abc-2', {owner: {kind: 'Deployment', name: 'web'}, created: '2026-01-02T00:00:00.000Z'})]},
  {node: 'n2', reachable: true, pods: [pod('web-abc-1', {node: 'n2', owner: {kind: 'Deployment', name: 'web'}, created: '2026-01-03T00:00:00.000Z'}), pod('web-abc-0', {node: 'n2', owner: {kind: 'Deployment', name: 'web'}, status: 'Exited'})]},
  {node: 'n3', reachable: false, reason: 'connection refused by 10.0.0.3:22 (is sshd running there?)'},
]

describe('parsePodRef', () => {
  it.each([
    ['web', {kind: 'Pod', name: 'web'}],
    ['pod/web', {kind: 'Pod', name: 'web'}],
    ['po/web', {kind: 'Pod', name: 'web'}],
    ['deployment/web', {kind: 'Deployment', name: 'web'}],
    ['deploy/web', {kind: 'Deployment', name: 'web'}],
    ['deployments.apps/web', {kind: 'Deployment', name: 'web'}],
    ['ds/agent', {kind: 'DaemonSet', name: 'agent'}],
  ])('%s', (arg, ref) => expect(parsePodRef(arg)).toEqual(ref))

  it('names what it accepts', () => {
    expect(() => parsePodRef('service/web')).toThrow('cannot find a pod for "service/web": this kgit version accepts POD, pod/NAME, deployment/NAME, daemonset/NAME or statefulset/NAME')
    expect(() => parsePodRef('pod/')).toThrow('"pod/" is not a valid name: expected pod/NAME')
  })
})

describe('findPod', () => {
  it('finds a pod by name in its namespace only', () => {
    expect(findPod({kind: 'Pod', name: 'solo'}, 'default', nodes).pod.node).toBe('n1')
    expect(() => findPod({kind: 'Pod', name: 'solo'}, 'shop', nodes)).toThrow('pods "solo" not found in namespace "shop"')
  })

  it('says which nodes did not answer when a pod is not found', () => {
    const err = (() => {
      try {
        findPod({kind: 'Pod', name: 'x'}, 'default', nodes)
      } catch (e) {
        return e as PodNotFoundError
      }
    })()
    expect(err).toBeInstanceOf(PodNotFoundError)
    expect(err!.unreachable).toEqual([{node: 'n3', reason: 'connection refused by 10.0.0.3:22 (is sshd running there?)'}])
  })

  it("picks a deployment's running, oldest pod, and says how many there were", () => {
    expect(findPod({kind: 'Deployment', name: 'web'}, 'default', nodes)).toMatchObject({pod: {name: 'web-abc-2'}, note: 'Found 3 pods, using pod/web-abc-2'})
    expect(() => findPod({kind: 'Deployment', name: 'api'}, 'default', nodes)).toThrow('pods of deployments.apps "api" not found in namespace "default"')
    expect(() => findPod({kind: 'DaemonSet', name: 'agent'}, 'default', nodes)).toThrow('pods of daemonsets.apps "agent" not found in namespace "default"')
  })
})

function podObject(containers: string[], annotations: Record<string, string> = {}): KObject {
  return {kind: 'Pod', apiVersion: 'v1', metadata: {name: 'solo', namespace: 'default', labels: {}, annotations}, source: {file: 'm.yaml'}, notes: {unsupported: [], refs: []},
    spec: {restartPolicy: 'Always', terminationGracePeriodSeconds: 30, containers: containers.map((name) => ({name, image: 'i', imagePullPolicy: 'IfNotPresent', env: [], ports: []}))}}
}

describe('chooseContainer', () => {
  const p = pod('solo')

  it('takes the container asked for, or lists the valid ones', () => {
    expect(chooseContainer(p, 'side')).toEqual({container: p.containers[1]})
    expect(() => chooseContainer(p, 'db')).toThrow('container "db" is not valid for pod "solo" in namespace "default": choose one of: app, side')
  })

  it('defaults to the first container of the spec, with kubectl\'s note', () => {
    const hints = containerHints([podObject(['side', 'app'])], p)
    expect(hints).toEqual({order: ['side', 'app'], defaultContainer: undefined})
    expect(chooseContainer(p, undefined, hints)).toEqual({container: p.containers[1], note: 'Defaulted container "side" out of: side, app'})
    expect(chooseContainer(p, undefined)).toEqual({container: p.containers[0], note: 'Defaulted container "app" out of: app, side'})
  })

  it('follows the default-container annotation silently', () => {
    const hints = containerHints([podObject(['app', 'side'], {'kubectl.kubernetes.io/default-container': 'side'})], p)
    expect(chooseContainer(p, undefined, hints)).toEqual({container: p.containers[1]})
  })

  it('ignores a revision whose template has other containers, and notes nothing for one container', () => {
    expect(containerHints([podObject(['app', 'db'])], p)).toBeUndefined()
    const one = pod('one', {containers: [{name: 'app', container: 'default_one_app', state: 'running'}]})
    expect(chooseContainer(one, undefined)).toEqual({container: one.containers[0]})
  })
})
