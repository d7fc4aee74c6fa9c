import {daemonSetStep, type DaemonGroup} from '../controllers/daemon-set.js'
import {statefulSetStep, type StatefulGroup} from '../controllers/stateful-set.js'
import {safeEncode, fnv32a} from '../controllers/hash.js'
import {expandWorkloads} from '../controllers/workloads.js'
import {jobStep, type JobGroup, type JobStatus} from '../controllers/job.js'
import {rolloutStep, type RolloutStatus} from '../controllers/rollout.js'
import {latestRecord} from '../facts/node-record.js'
import {isTerminated, nodeAllocatable} from '../facts/node-resources.js'
import {nodeLabels, taintText, tolerates, untoleratedTaint} from '../scheduler/predicates.js'
import {taintKey} from './records.js'
import {ownerKey, schedule, staticReason, type ExistingPod, type SchedNode} from '../scheduler/scheduler.js'
import {attachClaims, attachPod, claimsInUse, claimUsers, orphanRemovals, revisionStorage, schedulerView, settlePlacements} from './claims.js'
import type {PodFiles, ClaimMark, CronJobObject, CronMark, Desired, DesiredPod, JobMark, NodeRecord, NodeSpec, Observed, ObservedPod, PodGroup, StrayContainer} from '../types.js'
import {byText} from '../order.js'
import {specChanges} from './spec-diff.js'
import {isJobAction} from './jobs.js'
import {childRuns, cronPlan, cronTemplateHash, knownChildren, type ChildRun, type CronReport} from './cron-jobs.js'
import {CRON_JOB_LABEL} from '../marks.js'
import {assignPodIPs, clusterSlices, onPodNetwork, type NetworkSyncAction} from './network.js'
import {networkLayers} from './services.js'
import type {ServiceState} from '../controllers/services.js'
import {filesHashLine, podFilesResolver} from './pod-files.js'
import {holdSuspended} from './suspend.js'

export type Action =
  | {type: 'create'; node: string; pod: DesiredPod; reason: string; drift?: boolean}
  | {type: 'replace'; node: string; pod: DesiredPod; old: ObservedPod; reason: string; drift?: boolean; changes?: string[]}
  | {type: 'delete'; node: string; old: ObservedPod; reason: string; drift?: boolean}
  | {type: 'remove-stray'; node: string; stray: StrayContainer; reason: string; drift: true}
  | {type: 'remove-volume'; node: string; mark: ClaimMark; data: boolean; reason: string; drift?: boolean}
  | NetworkSyncAction
  /** New content for a running pod's configMap and secret volumes, swapped in place (no restart). */
  | {type: 'update-files'; node: string; pod: DesiredPod; old: ObservedPod; reason: string; drift?: boolean}

export interface Unschedulable {
  pod: DesiredPod
  reason: string
}

/** Where one Deployment's rollout stands, and what changes in its template. */
export interface RolloutReport {
  namespace: string
  name: string
  kind: string
  templateHash: string
  status: RolloutStatus
  /** Fields of the pod template that change against the pods that run (`path: old -> new`). */
  changes: string[]
}

export interface Plan {
  revision: string
  actions: Action[]
  unschedulable: Unschedulable[]
  unreachable: {node: string; reason: string; since?: string}[]
  /** Pods that stay as they are, with their node: for reports. */
  unchanged: {node: string; pod: DesiredPod}[]
  rollouts: RolloutReport[]
  /** Rollouts that are not complete and wait for pods to become available. */
  waiting: RolloutReport[]
  /** Pods kept although their object left git (`kgit.dev/prune: disabled`). */
  kept: ObservedPod[]
  /** Pods on unreachable nodes, counted as running until the grace period ends. */
  held: ObservedPod[]
  /** Where each Job of the revision stands (ADR 0010), CronJobs' children included. */
  jobs: JobReport[]
  /** Where each CronJob stands, and what the records keep of it (ADR 0012). */
  cronJobs: CronReport[]
  /** The pod network (ADR 0017): each node's slice of podCIDR, and the nodes whose network state must be written (done before `actions`). */
  network: {slices: Record<string, string>; errors: string[]; syncs: NetworkSyncAction[]; services: ServiceState}
  /** What suspend holds back (spec.suspend, annotation kgit.dev/suspend): reported, not done. */
  suspended?: Action[]
}

export interface JobReport {
  namespace: string
  name: string
  /** The run's hash (template and completions). */
  hash: string
  status: JobStatus
  /** The CronJob that made it. */
  cronJob?: string
}

export interface PlanOptions {
  /** Seconds a node may stay unreachable before its replicas are started elsewhere. */
  unreachableGraceSeconds?: number
}

/**
 * Compares what git wants with what the nodes run and lists the next actions that
 * converge them (a rollout goes step by step: apply plans again after each step).
 * Pure and deterministic: the same input gives the same plan.
 */
export function plan(desired: Desired, observed: Observed, opts: PlanOptions = {}): Plan {
  const now = observed.at ?? 0
  const nodes = desired.cluster.nodes
  const grace = (opts.unreachableGraceSeconds ?? desired.cluster.unreachableGracePeriodSeconds ?? 300) * 1000
  const reachable = new Set(observed.nodes.filter((n) => n.reachable).map((n) => n.node))
  const record = latestRecord(observed.nodes.map((n) => (n.reachable ? n.record : undefined)))
  const lost = lostNodes(record, reachable, now, grace)
  const order = new Map(nodes.map((n, i) => [n.name, i]))
  const live = observed.nodes.flatMap((n) => (n.reachable ? n.pods : [])).filter((p) => reachable.has(p.node))
  live.sort((a, b) => (order.get(a.node) ?? 1e9) - (order.get(b.node) ?? 1e9) || byText(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`) || byText(a.podmanName, b.podmanName))
  const held = heldPods(record, observed, now, grace)

  const {pods, groups, daemons, stateful, jobs, crons} = expandWorkloads(desired)
  const ctx: Ctx = {kept: new Map(), pending: [], why: new Map(), drift: new Set(), reports: [], lost, jobs: [], crons: []}
  const unschedulable: Unschedulable[] = []
  const down = observed.nodes.filter((n) => !n.reachable).map((n) => n.node)
  const specOf = new Map(nodes.map((n) => [n.name, n]))
  // NoExecute taints and drained nodes send pods away: their owners start them elsewhere.
  const claimable = live.filter((o) => {
    const why = evictionReason(specOf.get(o.node), o, record, now)
    if (why) ctx.why.set(o, why)
    return !why
  })
  const storage = revisionStorage(desired, observed, stateful)
  const claimants = claimUsers(claimable)
  attachClaims({pods, groups, daemons, stateful, jobs, crons}, storage, claimants)
  const inUse = claimsInUse(claimants)
  claimBarePods(pods, claimable, ctx, down, unschedulable)
  const byOwner = podsByOwner([...claimable, ...held])
  for (const g of groups) claimGroup(g, byOwner.get(ownerKeyOf(g.namespace, g.owner)) ?? [], ctx, now)
  // Daemon pods have their node: they skip the scheduler, which counts them as placed.
  const daemonCreates = daemons.flatMap((d) => claimDaemonSet(d, byOwner.get(ownerKeyOf(d.namespace, d.owner)) ?? [], ctx, {nodes, reachable, now}))
  // A StatefulSet's pod that leaves its node (drained, NoExecute) is started again only once it is gone.
  const leaving = podsByOwner(live.filter((o) => ctx.why.get(o)))
  for (const s of stateful) {
    const key = ownerKeyOf(s.namespace, s.owner)
    unschedulable.push(...claimStatefulSet(s, byOwner.get(key) ?? [], ctx, {nodes, reachable, record, leaving: new Set((leaving.get(key) ?? []).map((o) => o.name)), now, attach: (p) => attachPod(p, storage, inUse)}))
  }
  for (const j of jobs) claimJob(j, byOwner.get(ownerKeyOf(j.namespace, j.owner)) ?? [], ctx, {reachable, now, marks: record?.jobs ?? {}})
  const labelled = crons.length > 0 ? cronLabelled([...claimable, ...held]) : new Map<string, ObservedPod[]>()
  for (const c of crons) claimCronJob(c, ctx, {byOwner, labelled, reachable, now, marks: record?.jobs ?? {}, cronMarks: record?.cronJobs ?? {}, attach: (p) => attachPod(p, storage, inUse)})

  const observedBy = new Map(observed.nodes.map((o) => [o.node, o]))
  const schedNodes: SchedNode[] = nodes.map((n: NodeSpec) => {
    const o = observedBy.get(n.name)
    return {spec: n, allocatable: nodeAllocatable(n, o), ...(reachable.has(n.name) ? {} : {unreachable: true})}
  })
  movePodsThatNoLongerFit(ctx, schedNodes)
  const actions: Action[] = []
  const runnable = ctx.pending.filter((p) => {
    if (!p.unsupported && !p.blocked) return true
    unschedulable.push({pod: p, reason: p.unsupported ? cannotRun(p.unsupported) : p.blocked!})
    return false
  })
  const placedDaemons: ExistingPod[] = []
  for (const c of daemonCreates) {
    if (c.pod.unsupported || c.pod.blocked) unschedulable.push({pod: c.pod, reason: c.pod.unsupported ? cannotRun(c.pod.unsupported) : c.pod.blocked!})
    else {
      actions.push({type: 'create', node: c.node, pod: c.pod, reason: 'daemon pod'})
      placedDaemons.push({node: c.node, namespace: c.pod.namespace, labels: c.pod.labels, owner: ownerKey(c.pod), spec: c.pod.spec})
    }
  }
  const views = new Map(runnable.map((p) => [schedulerView(p), p]))
  const placements = settlePlacements(schedule({nodes: schedNodes, existing: [...staying(live, ctx), ...placedDaemons], pending: [...views.keys()], namespaceLabels: namespaceLabels(desired)}), views, claimants)
  for (const p of placements) {
    if (p.node === undefined) unschedulable.push({pod: p.pod, reason: p.reason})
    else actions.push({type: 'create', node: p.node, pod: p.pod, reason: p.pod.owner ? 'new replica' : 'missing'})
  }
  const unchanged: Plan['unchanged'] = []
  const kept: ObservedPod[] = []
  const net = clusterSlices(desired, observed, record)
  const netOf = new Map(observed.nodes.map((n) => [n.node, n.reachable ? n.net : undefined]))
  const filesOf = podFilesResolver(desired.objects, desired.cluster.name)
  for (const obs of live) {
    const want = ctx.kept.get(obs)
    if (!want) {
      const why = ctx.why.get(obs)
      if (why === undefined && obs.keep) {
        kept.push(obs)
        continue
      }
      if (why !== null) actions.push({type: 'delete', node: obs.node, old: obs, reason: why ?? deleteReason(obs, desired), ...(ctx.drift.has(obs) ? {drift: true} : {})})
      continue
    }
    const files = filesOf(want)
    // Once its node has kgit's pod network, a pod started on another network is replaced.
    const replace = replaceReason(obs, want) ?? (netOf.get(obs.node)?.state && !onPodNetwork(obs, net.slices.get(obs.node)) ? {reason: 'not on the pod network', drift: false} : undefined) ?? envFilesReason(obs, files)
    if (replace && (want.unsupported || want.blocked)) unschedulable.push({pod: want, reason: want.unsupported ? cannotRun(want.unsupported) : want.blocked!})
    else if (replace) actions.push({type: 'replace', node: obs.node, pod: files ? {...want, files} : want, old: obs, reason: replace.reason, ...(replace.drift ? {drift: true} : {}), ...changesOf(obs, want)})
    else {
      unchanged.push({node: obs.node, pod: want})
      const why = files && filesReason(obs, files)
      if (why) actions.push({type: 'update-files', node: obs.node, pod: {...want, files: files!}, old: obs, reason: why})
    }
  }
  for (const a of actions) {
    const files = a.type === 'create' ? filesOf(a.pod) : undefined
    if (a.type === 'create' && files) a.pod = {...a.pod, files}
  }
  const users = claimUsers(live.filter((o) => ctx.kept.has(o) || kept.includes(o) || ctx.why.get(o) === null))
  for (const r of orphanRemovals(storage, users)) actions.push({type: 'remove-volume', ...r})
  for (const n of observed.nodes) if (n.reachable) for (const s of n.strays ?? []) actions.push({type: 'remove-stray', node: n.node, stray: s, reason: `drift: ${s.reason}`, drift: true})
  placeOnNetwork(actions, live, net.slices, unschedulable)
  const stopping = new Set(actions.flatMap((a) => (a.type === 'delete' || a.type === 'replace' ? [a.old] : [])))
  const starts = actions.flatMap((a) => (a.type === 'create' || a.type === 'replace' ? [a.pod] : []))
  const {syncs, services} = networkLayers(desired, observed, {live, leaving: stopping, slices: net.slices, starts, record})
  // The nodes already ran this very commit: whatever differs now was changed on the nodes.
  // (Not the network: endpoints follow pods' readiness, which changes without a commit.)
  if (record?.commit === desired.revision) for (const a of actions) if (!(a.type === 'delete' && lost.has(a.old.node)) && !isJobAction(a)) markActionDrift(a)
  const unreachable = observed.nodes.flatMap((n) => (n.reachable ? [] : [{node: n.node, reason: n.reason, ...(record?.unreachableSince[n.node] ? {since: record.unreachableSince[n.node]} : {})}]))
  // Waiting makes sense only for pods that can still become available: not for a node that is down.
  const waiting = ctx.reports.filter((r) => !r.status.complete && !r.status.paused && !r.status.deadlineExceeded && r.status.pending > 0)
  return holdSuspended(desired, {revision: desired.revision, actions: sortActions(actions, order), unschedulable, unreachable, unchanged, rollouts: ctx.reports, waiting, kept, held, jobs: ctx.jobs, cronJobs: ctx.crons, network: {slices: Object.fromEntries(net.slices), errors: [...net.errors, ...services.errors.map((e) => e.message)], services, syncs: syncs.sort((a, b) => (order.get(a.node) ?? 1e9) - (order.get(b.node) ?? 1e9))}})
}

/** Gives the pods a plan starts their addresses; a pod that gets none does not start. */
function placeOnNetwork(actions: Action[], live: ObservedPod[], slices: ReadonlyMap<string, string>, unschedulable: Unschedulable[]): void {
  const starts = actions.flatMap((a) => (a.type === 'create' || a.type === 'replace' ? [a] : []))
  const failed = assignPodIPs(starts, live, slices)
  for (const f of failed) {
    const i = actions.findIndex((a) => (a.type === 'create' || a.type === 'replace') && a.pod === f.pod)
    const [a] = actions.splice(i, 1)
    if (a && (a.type === 'create' || a.type === 'replace')) unschedulable.push({pod: a.pod, reason: f.reason})
  }
}

function markActionDrift(a: Action): void {
  if (a.drift) return
  a.drift = true
  a.reason = a.type === 'create' ? 'drift: missing (removed from the node)' : `drift: ${a.reason}`
}

function changesOf(obs: ObservedPod, want: DesiredPod): {changes?: string[]} {
  if (!obs.spec) return {}
  const changes = specChanges(obs.spec, want.spec)
  return changes.length > 0 ? {changes} : {}
}

function cannotRun(features: string[]): string {
  return `it uses ${features.join(', ')}, which this version of kgit cannot run yet`
}

/**
 * Why a running pod must leave its node: the node is drained, or has a NoExecute taint the
 * pod does not tolerate, or tolerates for `tolerationSeconds` counted from when kgit first
 * applied with the taint (the nodes' records; a taint not recorded yet starts now).
 */
function evictionReason(node: NodeSpec | undefined, o: ObservedPod, record: NodeRecord | undefined, now: number): string | undefined {
  // A pod that ran to completion holds nothing: it stays, and its Job keeps counting it.
  if (!node || o.unknown || isTerminated(o)) return undefined
  // kubectl drain leaves DaemonSet pods alone (their controller would put them back at once).
  if (node.drain && o.owner?.kind !== 'DaemonSet') return `evicted: node ${node.name} is drained`
  const t = untoleratedTaint(node.taints, o.spec?.tolerations, ['NoExecute'])
  if (t) return `evicted: node ${node.name} has taint ${taintText(t)} with effect NoExecute, which the pod does not tolerate`
  for (const taint of node.taints) {
    if (taint.effect !== 'NoExecute') continue
    const matching = (o.spec?.tolerations ?? []).filter((x) => tolerates(x, taint))
    // The longest toleration that matches wins; one without tolerationSeconds tolerates for good.
    if (matching.length === 0 || matching.some((x) => x.tolerationSeconds === undefined)) continue
    const seconds = Math.max(...matching.map((x) => x.tolerationSeconds!))
    const since = Date.parse(record?.taintedSince?.[node.name]?.[taintKey(taint)] ?? '') || now
    if (now - since >= seconds * 1000) return `evicted: node ${node.name} has taint ${taintText(taint)} with effect NoExecute, tolerated for ${seconds}s since ${new Date(since).toISOString()}`
  }
  return undefined
}

/** A Pod whose new spec no longer fits its node (nodeSelector, affinity, taints) is started on another. */
function movePodsThatNoLongerFit(ctx: Ctx, nodes: SchedNode[]): void {
  const byName = new Map(nodes.map((n) => [n.spec.name, n]))
  for (const [obs, want] of ctx.kept) {
    if (want.owner || obs.specHash === want.specHash) continue
    const node = byName.get(obs.node)
    const why = node ? staticReason(node, nodeLabels(node.spec), want.spec) : undefined
    if (!why) continue
    ctx.kept.delete(obs)
    ctx.why.set(obs, `its new spec does not fit node ${obs.node}: ${why.replace('node(s)', 'the node')}`)
    ctx.pending.push(want)
  }
}

/** Pods that stay where they run, as the scheduler counts them: kept, old replicas still in a rollout, pods kept by annotation. */
function staying(live: ObservedPod[], ctx: Ctx): ExistingPod[] {
  const out: ExistingPod[] = []
  for (const o of live) {
    const want = ctx.kept.get(o)
    const why = ctx.why.get(o)
    if ((!want && why !== null && !(why === undefined && o.keep)) || isTerminated(o)) continue
    const spec = want?.spec ?? o.spec
    out.push({node: o.node, namespace: o.namespace, labels: want?.labels ?? o.labels, owner: want ? ownerKey(want) : o.owner ? ownerKeyOf(o.namespace, o.owner) : `${o.namespace}/Pod/${o.name}`, ...(spec ? {spec} : {})})
  }
  return out
}

function namespaceLabels(desired: Desired): Map<string, Record<string, string>> {
  return new Map(desired.objects.filter((o) => o.kind === 'Namespace').map((o) => [o.metadata.name, o.metadata.labels]))
}

/** Nodes that were unreachable past the grace period and answer again: their replicas were replaced. */
function lostNodes(record: NodeRecord | undefined, reachable: Set<string>, now: number, grace: number): Set<string> {
  const out = new Set<string>()
  for (const [node, since] of Object.entries(record?.unreachableSince ?? {})) if (reachable.has(node) && now - Date.parse(since) >= grace) out.add(node)
  return out
}

/** Replicas on nodes that do not answer, from the records, while the grace period lasts. */
function heldPods(record: NodeRecord | undefined, observed: Observed, now: number, grace: number): ObservedPod[] {
  if (!record) return []
  const out: ObservedPod[] = []
  for (const n of observed.nodes) {
    if (n.reachable) continue
    const since = record.unreachableSince[n.node]
    if (since && now - Date.parse(since) >= grace) continue
    for (const p of record.pods[n.node] ?? []) {
      if (!p.owner) continue
      const i = p.owner.indexOf('/')
      const o: ObservedPod = {node: n.node, podmanName: '', namespace: p.namespace, name: p.name, specHash: '', labels: {}, status: 'Unknown', created: '', containers: [], unknown: true, ready: false, notReady: `node ${n.node} does not answer`, owner: {kind: p.owner.slice(0, i), name: p.owner.slice(i + 1)}}
      if (p.templateHash) o.templateHash = p.templateHash
      out.push(o)
    }
  }
  return out
}

/** Running pods never move: of several copies, the oldest stays. */
function oldestFirst(a: ObservedPod, b: ObservedPod): number {
  return byText(a.created, b.created) || byText(a.node, b.node)
}

interface Ctx {
  kept: Map<ObservedPod, DesiredPod>
  pending: DesiredPod[]
  /** Why a pod goes; null: it stays untouched (a pod of an old template during a rollout). */
  why: Map<ObservedPod, string | null>
  drift: Set<ObservedPod>
  reports: RolloutReport[]
  lost: Set<string>
  jobs: JobReport[]
  crons: CronReport[]
}

// Indexes by namespace and name (never a scan of every live pod per pod): plans of
// 10,000 pods stay linear. '/' occurs in no namespace, name or kind.
function claimBarePods(pods: DesiredPod[], live: ObservedPod[], ctx: Ctx, unreachable: string[], unschedulable: Unschedulable[]): void {
  const wanted = new Set(pods.map((w) => `${w.namespace}/${w.name}`))
  const bare = new Map<string, ObservedPod[]>()
  for (const o of live) if (!o.owner) push(bare, `${o.namespace}/${o.name}`, o)
  for (const p of live) if (!p.owner && p.drift?.includes('not created by kgit') && !wanted.has(`${p.namespace}/${p.name}`)) markDrift(ctx, p)
  for (const want of pods) {
    const found = [...(bare.get(`${want.namespace}/${want.name}`) ?? [])].sort(oldestFirst)[0]
    if (found) ctx.kept.set(found, want)
    // A Pod is never started twice: it may still run on a node that does not answer.
    else if (unreachable.length > 0) unschedulable.push({pod: want, reason: `it may still run on unreachable node(s) ${unreachable.join(', ')}; it is not started elsewhere until they answer`})
    else ctx.pending.push(want)
  }
}

function markDrift(ctx: Ctx, p: ObservedPod): void {
  ctx.why.set(p, `drift: ${p.drift}`)
  ctx.drift.add(p)
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k)
  if (list) list.push(v)
  else m.set(k, [v])
}

function ownerKeyOf(namespace: string, owner: {kind: string; name: string}): string {
  return `${namespace}/${owner.kind}/${owner.name}`
}

/** Owned pods by namespace/kind/name of their owner, in the order given. */
function podsByOwner(pods: ObservedPod[]): Map<string, ObservedPod[]> {
  const out = new Map<string, ObservedPod[]>()
  for (const o of pods) if (o.owner) push(out, ownerKeyOf(o.namespace, o.owner), o)
  return out
}

/** Claims a group's pods; `candidates` are the pods its owner's name and kind point to. */
function claimGroup(g: PodGroup, candidates: ObservedPod[], ctx: Ctx, now: number): void {
  const owned = candidates.filter((o) => !ctx.kept.has(o))
  const names = new Set(owned.map((o) => o.name))
  const members = claimMembers(owned, ctx)
  if (g.rollout) {
    const current = members.filter((o) => o.templateHash === g.templateHash)
    const old = members.filter((o) => o.templateHash !== g.templateHash)
    const step = rolloutStep({...g.rollout, replicas: g.replicas, current, old, now})
    const removed = new Set(step.remove.map((r) => r.pod))
    for (const r of step.remove) ctx.why.set(r.pod, r.reason)
    for (const o of old) if (!removed.has(o)) ctx.why.set(o, null)
    for (const o of current) if (!removed.has(o)) ctx.kept.set(o, {...g.template, name: o.name})
    const sample = current.find((o) => o.spec) ?? old.find((o) => o.spec)
    const changes = old.length > 0 && sample?.spec ? specChanges(sample.spec, g.template.spec) : []
    ctx.reports.push({namespace: g.namespace, name: g.owner.name, kind: g.owner.kind, templateHash: g.templateHash, status: step.status, changes})
    addPending(g, names, step.create, ctx)
    return
  }
  // A ReplicaSet keeps its pods whatever template they were made from, as Kubernetes does.
  const perNode = new Map<string, number>()
  for (const o of members) perNode.set(o.node, (perNode.get(o.node) ?? 0) + 1)
  const keep = [...members].sort((a, b) => Number(b.ready ?? false) - Number(a.ready ?? false) || perNode.get(a.node)! - perNode.get(b.node)! || oldestFirst(a, b) || byText(a.name, b.name)).slice(0, g.replicas)
  for (const o of keep) ctx.kept.set(o, o.templateHash === g.templateHash || !o.spec ? {...g.template, name: o.name} : {...g.template, name: o.name, spec: o.spec, specHash: o.specHash, templateHash: o.templateHash!, labels: o.labels})
  const keepSet = new Set(keep)
  for (const o of members) if (!keepSet.has(o)) ctx.why.set(o, `surplus replica (replicas: ${g.replicas})`)
  addPending(g, names, g.replicas - keep.length, ctx)
  void now
}

/** Owned pods that the group may keep: not drift, nor (replicas) on a node that was lost and replaced. */
function claimMembers(owned: ObservedPod[], ctx: Ctx, replaced = true): ObservedPod[] {
  const members: ObservedPod[] = []
  for (const o of owned) {
    if (replaced && ctx.lost.has(o.node)) ctx.why.set(o, `its node ${o.node} did not answer for longer than the grace period; the replica was started elsewhere`)
    else if (o.drift?.includes('not created by kgit') || o.drift?.includes('is not the one kgit created')) markDrift(ctx, o)
    else members.push(o)
  }
  return members
}

/** Claims a DaemonSet's pods on nodes that answer (the others keep theirs) and returns the pods to create. */
function claimDaemonSet(d: DaemonGroup, candidates: ObservedPod[], ctx: Ctx, at: {nodes: NodeSpec[]; reachable: Set<string>; now: number}): {node: string; pod: DesiredPod}[] {
  // Nothing replaced a daemon pod while its node was away: it stays when the node is back.
  const pods = claimMembers(candidates.filter((o) => !ctx.kept.has(o) && !o.unknown && at.reachable.has(o.node)), ctx, false)
  const step = daemonSetStep({ds: d, nodes: at.nodes, reachable: at.reachable, pods, now: at.now})
  for (const r of step.remove) ctx.why.set(r.pod, r.reason)
  for (const k of step.keep) ctx.kept.set(k.pod, k.want)
  const sample = pods.find((o) => o.spec && o.templateHash !== d.templateHash)
  const changes = sample?.spec ? specChanges(sample.spec, d.template.spec) : []
  ctx.reports.push({namespace: d.namespace, name: d.owner.name, kind: d.owner.kind, templateHash: d.templateHash, status: step.status, changes})
  return step.create
}

/**
 * Claims a StatefulSet's pods on nodes that answer and queues the ordinals to start
 * (they go through the scheduler). Returns the ordinals that wait for nodes that do not
 * answer: the records say (or cannot rule out) that they run there.
 */
function claimStatefulSet(s: StatefulGroup, candidates: ObservedPod[], ctx: Ctx, at: {nodes: NodeSpec[]; reachable: Set<string>; record: NodeRecord | undefined; leaving: Set<string>; now: number; attach: (p: DesiredPod) => void}): Unschedulable[] {
  const pods = claimMembers(candidates.filter((o) => !ctx.kept.has(o) && !o.unknown && at.reachable.has(o.node)), ctx, false)
  const owner = `${s.owner.kind}/${s.owner.name}`
  const away = new Map<string, string>()
  const recorded = new Map<string, string>()
  const unknown: string[] = []
  for (const n of at.nodes) {
    const list = at.record?.pods[n.name]
    if (!at.reachable.has(n.name) && !list) unknown.push(n.name)
    for (const p of list ?? []) {
      if (p.namespace !== s.namespace || p.owner !== owner) continue
      recorded.set(p.name, n.name)
      if (!at.reachable.has(n.name)) away.set(p.name, n.name)
    }
  }
  const step = statefulSetStep({set: s, pods, away, unknown, recorded, leaving: at.leaving, now: at.now})
  for (const r of step.remove) ctx.why.set(r.pod, r.reason)
  // Each ordinal mounts its own claims: bound (or blocked) pod by pod.
  for (const k of step.keep) {
    at.attach(k.want)
    ctx.kept.set(k.pod, k.want)
  }
  for (const p of step.create) at.attach(p)
  ctx.pending.push(...step.create)
  const sample = pods.find((o) => o.spec && o.templateHash !== s.templateHash)
  const changes = sample?.spec ? specChanges(sample.spec, s.template.spec) : []
  ctx.reports.push({namespace: s.namespace, name: s.owner.name, kind: s.owner.kind, templateHash: s.templateHash, status: step.status, changes})
  return step.blocked
}

/** Claims a Job's pods (nodes that do not answer keep theirs, counted as running) and queues the pods its step starts. */
function claimJob(j: JobGroup, candidates: ObservedPod[], ctx: Ctx, at: {reachable: Set<string>; now: number; marks: Record<string, JobMark>}): void {
  const pods = claimMembers(candidates.filter((o) => !ctx.kept.has(o) && (o.unknown || at.reachable.has(o.node))), ctx, false)
  const step = jobStep({job: j, pods, mark: at.marks[`${j.namespace}/${j.owner.name}`], now: at.now})
  for (const r of step.remove) ctx.why.set(r.pod, r.reason)
  for (const k of step.keep) ctx.kept.set(k.pod, k.want)
  ctx.pending.push(...step.create)
  ctx.jobs.push({namespace: j.namespace, name: j.owner.name, hash: j.hash, status: step.status})
}

/** Job pods labelled with a CronJob, by namespace/CronJob. */
function cronLabelled(pods: ObservedPod[]): Map<string, ObservedPod[]> {
  const out = new Map<string, ObservedPod[]>()
  for (const o of pods) if (o.owner?.kind === 'Job' && o.labels[CRON_JOB_LABEL]) push(out, `${o.namespace}/${o.labels[CRON_JOB_LABEL]}`, o)
  return out
}

/**
 * Claims a CronJob's children (their Job steps, as claimJob does), removes those its step
 * lets go (history limits, Replace) and queues the pods of the child its schedule makes now.
 */
function claimCronJob(c: CronJobObject, ctx: Ctx, at: {byOwner: Map<string, ObservedPod[]>; labelled: Map<string, ObservedPod[]>; reachable: Set<string>; now: number; marks: Record<string, JobMark>; cronMarks: Record<string, CronMark>; attach: (p: DesiredPod) => void}): void {
  const {namespace, name} = c.metadata
  const mark = at.cronMarks[`${namespace}/${name}`]
  const hash = cronTemplateHash(c)
  const members = new Map<string, ObservedPod[]>()
  const podsOf = (child: string): ObservedPod[] => {
    if (!members.has(child)) members.set(child, claimMembers((at.byOwner.get(ownerKeyOf(namespace, {kind: 'Job', name: child})) ?? []).filter((o) => !ctx.kept.has(o) && (o.unknown || at.reachable.has(o.node))), ctx, false))
    return members.get(child)!
  }
  const runs = childRuns(c, knownChildren(c, mark, at.labelled.get(`${namespace}/${name}`) ?? []), {hash, pods: podsOf, marks: at.marks, now: at.now})
  const {cron, start} = cronPlan(c, runs, {mark, hash, now: at.now})
  const gone = new Map(cron.remove.map((r) => [r.child.name, r.reason]))
  for (const r of [...runs, ...(start ? [start] : [])]) {
    const why = gone.get(r.child.name)
    if (why === undefined) commitChild(r, name, ctx, at.attach)
    else for (const p of podsOf(r.child.name)) if (!p.unknown) ctx.why.set(p, why)
  }
  ctx.crons.push({namespace, name, step: cron})
}

function commitChild(r: ChildRun, cronJob: string, ctx: Ctx, attach: (p: DesiredPod) => void): void {
  for (const x of r.step.remove) ctx.why.set(x.pod, x.reason)
  for (const k of r.step.keep) {
    if (!r.stale) attach(k.want)
    ctx.kept.set(k.pod, k.want)
  }
  for (const p of r.step.create) attach(p)
  ctx.pending.push(...r.step.create)
  ctx.jobs.push({namespace: r.group.namespace, name: r.group.owner.name, hash: r.group.hash, status: r.step.status, cronJob})
}

function addPending(g: PodGroup, names: Set<string>, count: number, ctx: Ctx): void {
  for (let ordinal = 0, missing = count; missing > 0; ordinal++) {
    const name = `${g.prefix}-${safeEncode(String(fnv32a(`${g.prefix}/${ordinal}`))).slice(0, 5)}`
    if (names.has(name)) continue
    names.add(name)
    ctx.pending.push({...g.template, name})
    missing--
  }
}

function replaceReason(obs: ObservedPod, want: DesiredPod): {reason: string; drift?: boolean} | undefined {
  if (obs.unknown) return undefined
  if (obs.drift) return {reason: `drift: ${obs.drift}`, drift: true}
  if (obs.specHash !== want.specHash) return {reason: 'spec changed'}
  for (const c of want.spec.containers) {
    const oc = obs.containers.find((x) => x.name === c.name)
    if (!oc) return {reason: `drift: container ${c.name} is missing`, drift: true}
    // A container its liveness probe is restarting is not drift.
    if (want.spec.restartPolicy === 'Always' && oc.state !== 'running' && !oc.restarting) return {reason: `container ${c.name} is ${oc.state}${oc.exitCode !== undefined && oc.state === 'exited' ? ` (exit code ${oc.exitCode})` : ''}`, drift: oc.state !== 'exited'}
  }
  const extra = obs.containers.find((x) => !want.spec.containers.some((c) => c.name === x.name))
  if (extra) return {reason: `drift: unexpected container ${extra.name}`, drift: true}
  return undefined
}

/** Secret env files changed: a running process's environment cannot, so the pod is replaced. */
function envFilesReason(obs: ObservedPod, files: PodFiles | undefined): {reason: string; drift?: boolean} | undefined {
  if (!files || files.envHash === '-' || obs.unknown) return undefined
  const old = obs.filesHash?.split(' ')[1]
  return old !== undefined && old !== files.envHash ? {reason: `a Secret its env reads changed (env ${old} -> ${files.envHash})`} : undefined
}

/** The node's files of a running pod differ from the revision's (or are missing): written again, in place. */
function filesReason(obs: ObservedPod, files: PodFiles): string | undefined {
  if (obs.unknown || obs.filesHash === filesHashLine(files)) return undefined
  const old = obs.filesHash?.split(' ')[0]
  const names = files.volumes.map((v) => v.name).join(', ')
  return old ? `files of volume(s) ${names} changed (${old} -> ${files.hash}), updated in place` : `files of volume(s) ${names} are missing on the node, written again`
}

function deleteReason(obs: ObservedPod, desired: Desired): string {
  if (!obs.owner) return desired.objects.some((o) => o.kind === 'Pod' && o.metadata.name === obs.name && o.metadata.namespace === obs.namespace) ? 'duplicate copy' : 'no longer in git'
  return `${obs.owner.kind} ${obs.owner.name} is no longer in git`
}

const TYPE_ORDER = {'sync-network': -1, 'remove-stray': 0, delete: 1, replace: 2, 'update-files': 3, create: 4, 'remove-volume': 5} as const

export function actionPodName(a: Action): string {
  if (a.type === 'sync-network') return 'network'
  if (a.type === 'remove-stray') return a.stray.name
  if (a.type === 'remove-volume') return `${a.mark.namespace}/${a.mark.claim}`
  return a.type === 'delete' ? `${a.old.namespace}/${a.old.name}` : `${a.pod.namespace}/${a.pod.name}`
}

function sortActions(actions: Action[], order: Map<string, number>): Action[] {
  return actions.sort((a, b) => (order.get(a.node) ?? 1e9) - (order.get(b.node) ?? 1e9) || TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || byText(actionPodName(a), actionPodName(b)))
}

/** Everything a plan does, network syncs (done first) included. */
export function planActions(p: Pick<Plan, 'actions' | 'network'>): Action[] {
  return [...(p.network?.syncs ?? []), ...p.actions]
}

export function planSummary(p: Pick<Plan, 'actions'>): {create: number; replace: number; delete: number} {
  const s = {create: 0, replace: 0, delete: 0}
  for (const a of p.actions) if (a.type !== 'sync-network') s[a.type === 'remove-stray' || a.type === 'remove-volume' ? 'delete' : a.type === 'update-files' ? 'replace' : a.type]++
  return s
}
