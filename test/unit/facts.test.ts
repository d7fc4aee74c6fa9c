import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {batchFacts} from '../../src/engine/facts/fact.js'
import {observedPods, podmanContainers} from '../../src/engine/facts/podman-pods.js'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')

describe('podman facts', () => {
  it('asks only for what carries kgit’s mark', () => {
    expect(podmanContainers.argv).toEqual(['podman', 'ps', '--all', '--filter', 'label=kgit.dev/managed=true', '--format', 'json'])
  })

  it('groups containers into pods by their infra container, which carries the pod labels', () => {
    const pods = observedPods('n1', podmanContainers.parse(fixture('podman-ps.json')))
    expect(pods).toEqual([
      {
        node: 'n1', podmanName: '21b6', namespace: 'default', name: 'web-1', owner: {kind: 'Deployment', name: 'web'}, templateHash: 'abc', specHash: 'h1', grace: 5,
        labels: {app: 'web'}, status: 'Degraded', created: '2026-11-26T15:31:30.000Z', ready: false, notReady: 'not all containers run',
        containers: [
          {name: 'app', container: 'default_web-1_app', id: '9c51', state: 'running', exitCode: 0, startedAt: 1795707091},
          {name: 'log', container: 'default_web-1_log', id: '9c52', state: 'exited', exitCode: 3, startedAt: 1795707091},
        ],
      },
    ])
  })

  it('treats empty output as no pods and refuses garbage', () => {
    expect(podmanContainers.parse('')).toEqual([])
    expect(podmanContainers.parse('null\n')).toEqual([])
    expect(() => podmanContainers.parse('Error: something')).toThrow(/cannot parse podman ps output as JSON/)
  })

  it('answers several facts in one round trip', () => {
    const b = batchFacts([podmanContainers, podmanContainers])
    expect(b.steps).toEqual([['echo', '@@kgit-fact@@0'], podmanContainers.argv, ['echo', '@@kgit-fact@@1'], podmanContainers.argv])
    expect(b.split('@@kgit-fact@@0\n[1]\n@@kgit-fact@@1\n[2]\n')).toEqual(['\n[1]\n', '\n[2]\n'])
    // Only whole marker lines count; what comes before the first is nobody's.
    expect(b.split('motd\n@@kgit-fact@@0\na @@kgit-fact@@1\n@@kgit-fact@@x\n@@kgit-fact@@1')).toEqual(['\na @@kgit-fact@@1\n@@kgit-fact@@x\n', ''])
  })
})
