import chalk from 'chalk'
import type {PlanRun} from '../engine/session.js'
import type {ObservedPod} from '../engine/types.js'
import {isAvailable} from '../engine/controllers/rollout.js'
import {daemonFit} from '../engine/controllers/daemon-set.js'
import {podTemplateHash} from '../engine/controllers/hash.js'
import {age} from './render-pods.js'
import {nodeResources, nodeStatus, shortAmount} from './render-resources.js'
import {table} from './table.js'

export interface Filter {
  namespace?: string
}

function livePods(run: PlanRun): ObservedPod[] {
  return run.observed.nodes.flatMap((n) => (n.reachable ? n.pods : []))
}

function oldest(pods: ObservedPod[]): string {
  return pods.map((p) => p.created).sort()[0] ?? ''
}

export interface ReplicaSetView {
  namespace: string
  name: string
  owner?: string
  desired: number
  current: number
  ready: number
  created: string
}

export interface DeploymentView {
  namespace: string
  name: string
  replicas: number
  ready: number
  updated: number
  available: number
  created: string
  templateHash: string
}

/** Deployments of the revision with what runs of them (kubectl's READY, UP-TO-DATE, AVAILABLE). */
export function deploymentViews(run: PlanRun, f: Filter): DeploymentView[] {
  const pods = livePods(run)
  return run.desired.objects.flatMap((o) => {
    if (o.kind !== 'Deployment' || (f.namespace && o.metadata.namespace !== f.namespace)) return []
    const mine = pods.filter((p) => p.namespace === o.metadata.namespace && p.owner?.kind === 'Deployment' && p.owner.name === o.metadata.name)
    const hash = podTemplateHash(o.spec.template)
    const now = run.observed.at ?? Date.now()
    return [{namespace: o.metadata.namespace, name: o.metadata.name, replicas: o.spec.replicas, ready: mine.filter((p) => p.ready).length, updated: mine.filter((p) => p.templateHash === hash).length, available: mine.filter((p) => isAvailable(p, o.spec.minReadySeconds, now)).length, created: oldest(mine), templateHash: hash}]
  })
}

/** ReplicaSets: those of Deployments (one per template that still has pods, named NAME-HASH) and those in git. */
export function replicaSetViews(run: PlanRun, f: Filter): ReplicaSetView[] {
  const pods = livePods(run).filter((p) => !f.namespace || p.namespace === f.namespace)
  const out: ReplicaSetView[] = []
  for (const d of deploymentViews(run, f)) {
    const mine = pods.filter((p) => p.namespace === d.namespace && p.owner?.kind === 'Deployment' && p.owner.name === d.name)
    const hashes = [...new Set([d.templateHash, ...mine.map((p) => p.templateHash ?? '')])].filter(Boolean)
    for (const h of hashes) {
      const rs = mine.filter((p) => p.templateHash === h)
      out.push({namespace: d.namespace, name: `${d.name}-${h}`, owner: `Deployment/${d.name}`, desired: h === d.templateHash ? d.replicas : 0, current: rs.length, ready: rs.filter((p) => p.ready).length, created: oldest(rs)})
    }
  }
  for (const o of run.desired.objects) {
    if ((o.kind !== 'ReplicaSet' && o.kind !== 'ReplicationController') || (f.namespace && o.metadata.namespace !== f.namespace)) continue
    const rs = pods.filter((p) => p.namespace === o.metadata.namespace && p.owner?.kind === o.kind && p.owner.name === o.metadata.name)
    out.push({namespace: o.metadata.namespace, name: o.metadata.name, desired: o.spec.replicas, current: rs.length, ready: rs.filter((p) => p.ready).length, created: oldest(rs)})
  }
  return out
}

export interface DaemonSetView {
  namespace: string
  name: string
  desired: number
  current: number
  ready: number
  updated: number
  available: number
  nodeSelector: Record<string, string>
  created: string
}

/** DaemonSets of the revision: DESIRED counts the nodes of kgit.yaml that should run the pod, the rest what runs of it (plan's report). */
export function daemonSetViews(run: PlanRun, f: Filter): DaemonSetView[] {
  const pods = livePods(run)
  return run.desired.objects.flatMap((o) => {
    if (o.kind !== 'DaemonSet' || (f.namespace && o.metadata.namespace !== f.namespace)) return []
    const {namespace, name} = o.metadata
    const st = run.plan.rollouts.find((r) => r.kind === 'DaemonSet' && r.name === name && r.namespace === namespace)?.status
    const mine = pods.filter((p) => p.namespace === namespace && p.owner?.kind === 'DaemonSet' && p.owner.name === name)
    const desired = run.desired.cluster.nodes.filter((n) => !daemonFit(n, o.spec.template.spec).run).length
    return [{namespace, name, desired, current: st ? st.updated + st.old : 0, ready: st?.ready ?? 0, updated: st?.updated ?? 0, available: st?.available ?? 0, nodeSelector: o.spec.template.spec.nodeSelector ?? {}, created: oldest(mine)}]
  })
}

export function daemonSetRows(views: DaemonSetView[], all: boolean): string[] {
  const selector = (s: Record<string, string>): string => Object.entries(s).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'
  return table([[...(all ? ['NAMESPACE'] : []), 'NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'], ...views.map((d) => [...(all ? [d.namespace] : []), d.name, String(d.desired), String(d.current), String(d.ready), String(d.updated), String(d.available), selector(d.nodeSelector), d.created ? age(d.created) : '<none>'])])
}

export interface StatefulSetView {
  namespace: string
  name: string
  replicas: number
  ready: number
  current: number
  updated: number
  available: number
  serviceName: string
  created: string
}

/** StatefulSets of the revision with what runs of them (plan's report: kubectl's READY is ready/replicas). */
export function statefulSetViews(run: PlanRun, f: Filter): StatefulSetView[] {
  const pods = livePods(run)
  return run.desired.objects.flatMap((o) => {
    if (o.kind !== 'StatefulSet' || (f.namespace && o.metadata.namespace !== f.namespace)) return []
    const {namespace, name} = o.metadata
    const st = run.plan.rollouts.find((r) => r.kind === 'StatefulSet' && r.name === name && r.namespace === namespace)?.status
    const mine = pods.filter((p) => p.namespace === namespace && p.owner?.kind === 'StatefulSet' && p.owner.name === name)
    return [{namespace, name, replicas: o.spec.replicas, ready: mine.filter((p) => p.ready).length, current: mine.length, updated: st?.updated ?? 0, available: st?.available ?? 0, serviceName: o.spec.serviceName, created: oldest(mine)}]
  })
}

export function statefulSetRows(views: StatefulSetView[], all: boolean): string[] {
  return table([[...(all ? ['NAMESPACE'] : []), 'NAME', 'READY', 'AGE'], ...views.map((s) => [...(all ? [s.namespace] : []), s.name, `${s.ready}/${s.replicas}`, s.created ? age(s.created) : '<none>'])])
}

export function deploymentRows(views: DeploymentView[], all: boolean): string[] {
  return table([[...(all ? ['NAMESPACE'] : []), 'NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'], ...views.map((d) => [...(all ? [d.namespace] : []), d.name, `${d.ready}/${d.replicas}`, String(d.updated), String(d.available), d.created ? age(d.created) : '<none>'])])
}

export function replicaSetRows(views: ReplicaSetView[], all: boolean): string[] {
  return table([[...(all ? ['NAMESPACE'] : []), 'NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'], ...views.map((r) => [...(all ? [r.namespace] : []), r.name, String(r.desired), String(r.current), String(r.ready), r.created ? age(r.created) : '<none>'])])
}

/** Nodes of the cluster file with what kgit sees of them; wide adds what pods request of what is allocatable. */
export function nodeRows(run: PlanRun, wide: boolean): string[] {
  const rows = [['NAME', 'STATUS', 'ADDRESS', 'PODS', 'COMMIT', ...(wide ? ['CPU(REQ/ALLOC)', 'MEMORY(REQ/ALLOC)', 'DATADIR', 'LABELS'] : [])]]
  const observedBy = new Map(run.observed.nodes.map((o) => [o.node, o]))
  for (const n of run.desired.cluster.nodes) {
    const o = observedBy.get(n.name)
    const status = nodeStatus(n, o)
    const labels = Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',') || '<none>'
    const res = wide ? nodeResources(n, o) : undefined
    const share = (r: string): string => `${res?.requested ? shortAmount(r, res.requested[r] ?? 0) : '-'}/${shortAmount(r, res?.allocatable[r])}`
    rows.push([n.name, o && !o.reachable ? chalk.red(status) : status, `${n.address}:${n.port}`, o?.reachable ? String(o.pods.length) : '-', o?.reachable && o.record ? o.record.commit.slice(0, 12) : '<none>', ...(wide ? [share('cpu'), share('memory'), n.dataDir, labels] : [])])
  }
  return table(rows)
}
