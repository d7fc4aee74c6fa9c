import {bindClaims, claimKey, observedMarks, type StorageState} from '../controllers/claims.js'
import {statefulClaims, type StatefulGroup} from '../controllers/stateful-set.js'
import {expandWorkloads, type Workloads} from '../controllers/workloads.js'
import type {Placement} from '../scheduler/scheduler.js'
import type {ClaimMark, ClaimMount, Desired, DesiredPod, NodeSelectorTerm, Observed, ObservedPod, PodSpec} from '../types.js'

/**
 * Every claim of a revision bound to its volume: those of git and those its
 * StatefulSets' volumeClaimTemplates make, from what the nodes' marks say (plan(), get
 * pv/pvc, describe pvc).
 */
export function revisionStorage(desired: Desired, observed: Observed, stateful: readonly StatefulGroup[] = expandWorkloads(desired).stateful): StorageState {
  const marks = observedMarks(observed)
  const extraClaims = stateful.flatMap((s) => statefulClaims(s, marks.map((m) => m.mark)))
  const statefulSets = new Set(stateful.map((s) => `${s.namespace}/${s.owner.name}`))
  return bindClaims({objects: desired.objects, extraClaims, statefulSets, marks, nodeOrder: desired.cluster.nodes.map((n) => n.name), now: observed.at ?? 0})
}

/** A pod that uses claims: where it runs and which claims (`namespace/claim`). */
export interface ClaimUser {
  node: string
  name: string
  claims: string[]
}

/** The claims a pod spec mounts, as `namespace/claim`. */
export function claimsOf(namespace: string, spec: PodSpec | undefined): string[] {
  return (spec?.volumes ?? []).flatMap((v) => ('persistentVolumeClaim' in v ? [claimKey(namespace, v.persistentVolumeClaim.claimName)] : []))
}

/** Running pods that mount claims (pods whose spec kgit knows). */
export function claimUsers(live: readonly ObservedPod[]): ClaimUser[] {
  return live.flatMap((o) => {
    const claims = claimsOf(o.namespace, o.spec)
    return claims.length > 0 ? [{node: o.node, name: o.name, claims}] : []
  })
}

/** The claim only goes to one node at a time: ReadWriteOnce(Pod) without a shared mode, or a directory kgit provisioned. */
function oneNode(m: ClaimMount): boolean {
  const modes = m.mark.accessModes
  return 'provisioned' in m.source || (!modes.includes('ReadWriteMany') && !modes.includes('ReadOnlyMany'))
}

/**
 * Gives every pod template of the revision its bound claims (`claims`), the nodes its
 * volumes can be reached from (`volumePin`), or why it cannot start yet (`blocked`).
 * `users` are the running pods that mount claims: a ReadWriteOnce claim in use on a node
 * pins its other pods there; a ReadWriteOncePod claim in use keeps them waiting.
 */
export function attachClaims(w: Workloads, state: StorageState, users: readonly ClaimUser[]): void {
  const inUse = claimsInUse(users)
  // A StatefulSet's ordinals each mount their own claims: plan() attaches them pod by pod.
  for (const pod of [...w.pods, ...w.groups.map((g) => g.template), ...w.daemons.map((d) => d.template), ...w.jobs.map((j) => j.template)]) attachPod(pod, state, inUse)
}

/** Running pods by the claims they mount (`namespace/claim`), for attachPod. */
export function claimsInUse(users: readonly ClaimUser[]): Map<string, ClaimUser[]> {
  const inUse = new Map<string, ClaimUser[]>()
  for (const u of users) for (const c of u.claims) inUse.set(c, [...(inUse.get(c) ?? []), u])
  return inUse
}

/** One pod (or template): the same as attachClaims, for pods made elsewhere (a StatefulSet's ordinals). */
export function attachPod(pod: DesiredPod, state: StorageState, inUse: Map<string, ClaimUser[]>): void {
  const claims: Record<string, ClaimMount> = {}
  const blocked: string[] = []
  let pin: NodeSelectorTerm[] | undefined
  for (const v of pod.spec.volumes ?? []) {
    if (!('persistentVolumeClaim' in v)) continue
    const name = v.persistentVolumeClaim.claimName
    const b = state.claims.get(claimKey(pod.namespace, name))
    if (!b) blocked.push(`persistentvolumeclaim "${name}" not found`)
    else if (!b.mount) blocked.push(`persistentvolumeclaim "${name}" is not bound: ${b.reason}`)
    else {
      claims[v.name] = b.mount
      if (b.pin) pin = andTerms(pin, b.pin)
      const users = (inUse.get(b.mount.claim) ?? []).filter((u) => u.name !== pod.name)
      if (b.mount.mark.accessModes.includes('ReadWriteOncePod') && users.length > 0) blocked.push(`persistentvolumeclaim "${name}" is ReadWriteOncePod and pod ${users[0]!.name} uses it`)
      else if (oneNode(b.mount) && users.length > 0) pin = andTerms(pin, [nodeTerm(users[0]!.node)])
    }
  }
  if (Object.keys(claims).length > 0) pod.claims = claims
  if (blocked.length > 0) pod.blocked = blocked.join('; ')
  if (pin) pod.volumePin = pin
}

/** A node selector term for one node by name. */
export function nodeTerm(node: string): NodeSelectorTerm {
  return {matchFields: [{key: 'metadata.name', operator: 'In', values: [node]}]}
}

/** Both lists of ORed terms must hold: every pair, joined. */
export function andTerms(a: NodeSelectorTerm[] | undefined, b: NodeSelectorTerm[]): NodeSelectorTerm[] {
  if (!a) return b
  return a.flatMap((x) => b.map((y) => join(x, y)))
}

function join(x: NodeSelectorTerm, y: NodeSelectorTerm): NodeSelectorTerm {
  const t: NodeSelectorTerm = {}
  const e = [...(x.matchExpressions ?? []), ...(y.matchExpressions ?? [])]
  const f = [...(x.matchFields ?? []), ...(y.matchFields ?? [])]
  if (e.length > 0) t.matchExpressions = e
  if (f.length > 0) t.matchFields = f
  return t
}

const views = new WeakMap<PodSpec, Map<string, PodSpec>>()

/** The pod as the scheduler sees it: its required node affinity ANDed with its volumes' nodes (one spec object per template and pin). */
export function schedulerView(pod: DesiredPod): DesiredPod {
  if (!pod.volumePin) return pod
  const key = JSON.stringify(pod.volumePin)
  let byPin = views.get(pod.spec)
  if (!byPin) views.set(pod.spec, (byPin = new Map()))
  let spec = byPin.get(key)
  if (!spec) {
    const na = pod.spec.affinity?.nodeAffinity
    spec = {...pod.spec, affinity: {...pod.spec.affinity, nodeAffinity: {...na, required: andTerms(na?.required, pod.volumePin)}}}
    byPin.set(key, spec)
  }
  return {...pod, spec}
}

/**
 * Placements back onto the plan's pods (`original`), holding claims that go to one node to
 * the node of their first pod: a later pod placed elsewhere waits (the next step pins it).
 */
export function settlePlacements(placements: Placement[], original: Map<DesiredPod, DesiredPod>, users: readonly ClaimUser[]): Placement[] {
  const nodeOf = new Map<string, {node: string; pod: string}>()
  for (const u of users) for (const c of u.claims) if (!nodeOf.has(c)) nodeOf.set(c, {node: u.node, pod: u.name})
  return placements.map((p) => {
    const pod = original.get(p.pod) ?? p.pod
    if (p.node === undefined) return {pod, reason: p.reason}
    const mounts = Object.values(pod.claims ?? {})
    for (const m of mounts) {
      const at = nodeOf.get(m.claim)
      if (m.mark.accessModes.includes('ReadWriteOncePod') && at) return {pod, reason: `persistentvolumeclaim "${m.mark.claim}" is ReadWriteOncePod and pod ${at.pod} uses it`}
      if (at && at.node !== p.node && oneNode(m)) return {pod, reason: `persistentvolumeclaim "${m.mark.claim}" goes to one node at a time and pod ${at.pod} takes it to node ${at.node}; it starts there at the next step`}
    }
    for (const m of mounts) if (!nodeOf.has(m.claim)) nodeOf.set(m.claim, {node: p.node, pod: pod.name})
    return {pod, node: p.node}
  })
}

/** What to do with claims whose object left git: marks of the nodes, and provisioned directories with reclaimPolicy Delete. */
export function orphanRemovals(state: StorageState, users: readonly ClaimUser[]): {node: string; mark: ClaimMark; data: boolean; reason: string}[] {
  const used = new Set(users.flatMap((u) => u.claims.map((c) => `${u.node}/${c}`)))
  return state.orphans.flatMap((o) => {
    if (o.fate === 'keep' || used.has(`${o.node}/${claimKey(o.mark.namespace, o.mark.claim)}`)) return []
    const reason = o.fate === 'delete' ? `claim ${o.mark.namespace}/${o.mark.claim} left git; its volume ${o.mark.pv} has reclaimPolicy Delete` : `claim ${o.mark.namespace}/${o.mark.claim} left git and volume ${o.mark.pv} changed or left git`
    return [{node: o.node, mark: o.mark, data: o.fate === 'delete', reason}]
  })
}
