import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {batchFacts} from '../../src/engine/facts/fact.js'
import {observedPods, podmanContainers, podmanPods} from '../../src/engine/facts/podman-pods.js'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')

describe('podman facts', () => {
  it('asks only for what carries kgit’s mark', () => {
    expect(podmanPods.argv).toEqual(['podman', 'pod', 'ps', '--filter', 'label=kgit.dev/managed=true', '--format', 'json'])
    expect(podmanContainers.argv).toEqual(['podman', 'ps', '-a', '--filter', 'label=kgit.dev/managed=true', '--format', 'json'])
  })

  it('joins pods and containers, leaving out infra containers and unnamed pods', () => {
    const pods = observedPods('n1', podmanPods.parse(fixture('podman-pod-ps.json')), podmanContainers.parse(fixture('podman-ps.json')))
    expect(pods).toEqual([
      {
        node: 'n1', podmanName: 'default_web-1', namespace: 'default', name: 'web-1', owner: {kind: 'Deployment', name: 'web'}, templateHash: 'abc', specHash: 'h1', grace: 5,
        labels: {app: 'web'}, status: 'Degraded', created: '2026-11-26T15:31:30.913082724Z',
        containers: [
          {name: 'app', container: 'default_web-1_app', state: 'running', exitCode: 0, startedAt: 1795707091},
          {name: 'log', container: 'default_web-1_log', state: 'exited', exitCode: 3, startedAt: 1795707091},
        ],
      },
    ])
  })

  it('treats empty output as no pods and refuses garbage', () => {
    expect(podmanPods.parse('')).toEqual([])
    expect(podmanPods.parse('null\n')).toEqual([])
    expect(() => podmanPods.parse('Error: something')).toThrow(/cannot parse podman pod ps output as JSON/)
  })

  it('answers several facts in one round trip', () => {
    const b = batchFacts([podmanPods, podmanContainers])
    expect(b.steps).toEqual([['echo', '@@kgit-fact@@0'], podmanPods.argv, ['echo', '@@kgit-fact@@1'], podmanContainers.argv])
    expect(b.split('@@kgit-fact@@0\n[1]\n@@kgit-fact@@1\n[2]\n')).toEqual(['\n[1]\n', '\n[2]\n'])
  })
})
