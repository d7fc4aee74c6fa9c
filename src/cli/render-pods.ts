import {table} from './table.js'
import type {ObservedPod} from '../engine/types.js'

/** kubectl's STATUS column, from podman's pod and container states. */
export function podPhase(p: ObservedPod): {status: string; ready: number; total: number} {
  const total = p.containers.length
  const ready = p.containers.filter((c) => c.ready ?? c.state === 'running').length
  let status = p.status
  if (total > 0 && ready === total) status = 'Running'
  else if (total > 0 && p.containers.every((c) => c.state === 'exited')) status = p.containers.every((c) => c.exitCode === 0) ? 'Completed' : 'Error'
  else if (p.containers.some((c) => c.state === 'created' || c.state === 'configured')) status = 'ContainerCreating'
  else if (total === 0) status = 'NoContainers'
  return {status, ready, total}
}

export function age(created: string, now = Date.now()): string {
  const t = Date.parse(created)
  if (Number.isNaN(t)) return '<unknown>'
  const s = Math.max(0, Math.floor((now - t) / 1000))
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.floor(s / 60)}m`
  if (s < 172800) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86400)}d`
}

export function podRows(pods: ObservedPod[], opts: {allNamespaces: boolean; wide: boolean}): string[] {
  const head = [...(opts.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(opts.wide ? ['NODE', 'OWNER'] : [])]
  const rows = pods.map((p) => {
    const ph = podPhase(p)
    return [...(opts.allNamespaces ? [p.namespace] : []), p.name, `${ph.ready}/${ph.total}`, ph.status, String((p.restarts ?? 0) + p.containers.reduce((n, c) => n + (c.restarts ?? 0), 0)), age(p.created), ...(opts.wide ? [p.node, p.owner ? `${p.owner.kind}/${p.owner.name}` : '<none>'] : [])]
  })
  return table([head, ...rows])
}

/** A kubectl-shaped `kind: List` of Pods. */
export function podsJson(pods: ObservedPod[]): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: pods.map((p) => {
      const ph = podPhase(p)
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {name: p.name, namespace: p.namespace, labels: p.labels, creationTimestamp: p.created, ...(p.owner ? {ownerReferences: [{kind: p.owner.kind, name: p.owner.name}]} : {})},
        spec: {nodeName: p.node},
        status: {
          phase: ph.status === 'Running' ? 'Running' : ph.status === 'Completed' ? 'Succeeded' : ph.status === 'Error' ? 'Failed' : 'Pending',
          containerStatuses: p.containers.map((c) => ({name: c.name, ready: c.state === 'running', state: c.state, ...(c.exitCode !== undefined ? {exitCode: c.exitCode} : {})})),
        },
      }
    }),
  }
}
