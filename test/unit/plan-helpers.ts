import {deploymentYaml} from '../support/manifests.js'
import {parseCluster} from '../../src/engine/manifest/cluster.js'
import {loadDesired} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import type {Action} from '../../src/engine/plan/plan.js'
import {podmanPodName} from '../../src/engine/marks.js'
import type {Desired, Observed, ObservedPod} from '../../src/engine/types.js'

export function cluster(nodes: number): string {
  return `apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  nodes:\n${Array.from({length: nodes}, (_, i) => `    - {name: n${i + 1}, address: 10.0.0.${i + 1}}`).join('\n')}\n`
}

export function deployment(name: string, replicas: number, opts: {image?: string; hostPort?: number; ns?: string} = {}): string {
  return deploymentYaml(name, replicas, opts)
}

export function pod(name: string, image = 'busybox:1.35'): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers: [{name: main, image: "${image}"}]\n`
}

export function desired(nodes: number, ...docs: string[]): Desired {
  const enc = new TextEncoder()
  const r = loadDesired({revision: 'rev1', clusterFile: {path: 'kgit.yaml', content: enc.encode(cluster(nodes))}, files: [{path: 'manifests/all.yaml', content: enc.encode(docs.join('---\n'))}], schema})
  if (!r.desired) throw new Error(r.errors.map((e) => e.message).join('\n'))
  if (!parseCluster('kgit.yaml', cluster(nodes)).cluster) throw new Error('bad cluster')
  return r.desired
}

/** A fleet in memory: carries out actions the way podman would. */
export class FakeFleet {
  pods = new Map<string, ObservedPod[]>()
  down = new Set<string>()

  constructor(nodes: number) {
    for (let i = 1; i <= nodes; i++) this.pods.set(`n${i}`, [])
  }

  observed(): Observed {
    return {nodes: [...this.pods].map(([node, pods]) => (this.down.has(node) ? {node, reachable: false as const, reason: 'down'} : {node, reachable: true as const, pods: pods.map((p) => ({...p}))}))}
  }

  apply(actions: Action[]): void {
    for (const a of actions) {
      const list = this.pods.get(a.node)!
      if (a.type !== 'create') list.splice(list.findIndex((p) => p.podmanName === a.old.podmanName), 1)
      if (a.type !== 'delete') {
        const p = a.pod
        const o: ObservedPod = {node: a.node, podmanName: podmanPodName(p.namespace, p.name), namespace: p.namespace, name: p.name, specHash: p.specHash, labels: p.labels, status: 'Running', created: '2026-01-01T00:00:00Z', ready: true, readySince: 0, containers: p.spec.containers.map((c) => ({name: c.name, container: c.name, state: 'running'})), spec: p.spec}
        if (p.owner) o.owner = p.owner
        if (p.templateHash) o.templateHash = p.templateHash
        list.push(o)
      }
    }
  }

  count(node: string): number {
    return this.pods.get(node)!.length
  }
}

export function brief(actions: Action[]): string[] {
  return actions.map((a) => `${a.node} ${a.type === 'create' ? '+' : a.type === 'replace' ? '~' : '-'} ${a.type === 'delete' ? a.old.namespace + '/' + a.old.name : a.pod.namespace + '/' + a.pod.name}`)
}

/** A revision on nodes given as flow maps (`{name: n1, labels: {...}}`), its manifests in one file. */
export function loadOn(nodes: string[], docs: string[], file = 'manifests/all.yaml'): ReturnType<typeof loadDesired> {
  const enc = new TextEncoder()
  const cluster = `apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  nodes:\n${nodes.map((n, i) => `    - {address: 10.0.0.${i + 1}, ${n.slice(1)}`).join('\n')}\n`
  return loadDesired({revision: 'rev1', clusterFile: {path: 'kgit.yaml', content: enc.encode(cluster)}, files: [{path: file, content: enc.encode(docs.join('---\n'))}], schema})
}

/** loadOn, which must succeed. */
export function revisionOn(nodes: string[], docs: string[], file?: string): Desired {
  const r = loadOn(nodes, docs, file)
  if (!r.desired) throw new Error(r.errors.map((e) => e.message).join('\n'))
  return r.desired
}
