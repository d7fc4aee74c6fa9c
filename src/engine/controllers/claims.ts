import {LOCAL_PATH_PROVISIONERS} from '../manifest/storage.js'
import {labelSelectorMatches} from '../scheduler/predicates.js'
import type {AccessMode, ClaimMark, ClaimMount, KObject, NodeSelectorTerm, Observed, PersistentVolumeClaimObject, PersistentVolumeObject, StorageClassObject} from '../types.js'
import {byText} from '../order.js'
import {specHash} from './hash.js'

/**
 * PersistentVolume binding, as Kubernetes' PV controller does it, recomputed at every run
 * from git and from the claims' marks on the nodes (dataDir/claims/NAMESPACE/CLAIM):
 * a claim keeps the volume its mark names; else it takes spec.volumeName, a PV whose
 * claimRef names it, or the smallest Available PV of its class that is big enough, has its
 * access modes and matches its selector; else a class with a kgit provisioner gives it a
 * directory on the node of its first pod. Pure and deterministic.
 */
export interface ClaimBinding {
  claim: PersistentVolumeClaimObject
  /** The class the claim asks for after DefaultStorageClass ('' : none). */
  storageClass: string
  phase: 'Bound' | 'Pending'
  /** What its pods mount (Bound, or provisionable on the first pod's node). */
  mount?: ClaimMount
  /** Nodes the volume is reachable from (required terms, ORed); absent: any node. */
  pin?: NodeSelectorTerm[]
  /** Nodes that hold its provisioned directory (node order). */
  nodes?: string[]
  /** Why it is Pending. */
  reason?: string
}

/** A PersistentVolume as `kgit get pv` shows it: from git, or provisioned (known from the nodes' marks). */
export interface VolumeView {
  name: string
  capacity: number
  accessModes: AccessMode[]
  reclaimPolicy: string
  status: 'Available' | 'Bound' | 'Released'
  claim?: string
  storageClass: string
  provisioned?: boolean
  nodes?: string[]
  created?: string
}

/** A claim mark on a node whose claim left git, and what becomes of it. */
export interface OrphanMark {
  node: string
  mark: ClaimMark
  /** delete: the provisioned directory goes (reclaimPolicy Delete); forget: only the mark goes (its PV left git or changed); keep: Released. */
  fate: 'delete' | 'forget' | 'keep'
}

export interface StorageState {
  /** By `namespace/claim`. */
  claims: Map<string, ClaimBinding>
  volumes: VolumeView[]
  orphans: OrphanMark[]
  defaultClass?: string
}

export interface BindInput {
  objects: readonly KObject[]
  /** Claims made by controllers (StatefulSet volumeClaimTemplates), besides those in git. */
  extraClaims?: readonly PersistentVolumeClaimObject[]
  /** Every claim mark the nodes reported (observedMarks). */
  marks: readonly {node: string; mark: ClaimMark}[]
  /** Node names in kgit.yaml's order: a claim found on several nodes is pinned to the first. */
  nodeOrder: readonly string[]
  /** Now (ms), for the time of a new mark. */
  now?: number
  /** StatefulSets in git (`namespace/NAME`): the claims a gone one made are kept unless it said whenDeleted: Delete. */
  statefulSets?: ReadonlySet<string>
}

/** The claim marks of every reachable node. */
export function observedMarks(observed: Observed): {node: string; mark: ClaimMark}[] {
  return observed.nodes.flatMap((n) => (n.reachable ? (n.claims ?? []).map((mark) => ({node: n.node, mark})) : []))
}

export function claimKey(namespace: string, name: string): string {
  return `${namespace}/${name}`
}

/** The name of the PV kgit provisions for a claim. */
export function provisionedPvName(namespace: string, claim: string): string {
  return `pvc-${namespace}-${claim}`
}

/** The PV hash a static mark records: a changed PV object is a new volume (Released no more). */
export function pvHash(pv: PersistentVolumeObject): string {
  return specHash({spec: pv.spec, labels: pv.metadata.labels})
}

/** Binds every claim of the revision (and `extraClaims`) to a volume; see ClaimBinding. */
export function bindClaims(input: BindInput): StorageState {
  const classes = input.objects.filter((o): o is StorageClassObject => o.kind === 'StorageClass')
  const defaultClass = classes.filter((c) => c.isDefault).sort((a, b) => byText(a.metadata.name, b.metadata.name))[0]?.metadata.name
  const claims = [...input.objects.filter((o): o is PersistentVolumeClaimObject => o.kind === 'PersistentVolumeClaim'), ...(input.extraClaims ?? [])]
  claims.sort((a, b) => byText(claimKey(a.metadata.namespace, a.metadata.name), claimKey(b.metadata.namespace, b.metadata.name)))
  const pvs = input.objects.filter((o): o is PersistentVolumeObject => o.kind === 'PersistentVolume').sort((a, b) => a.spec.capacity - b.spec.capacity || byText(a.metadata.name, b.metadata.name))
  const order = new Map(input.nodeOrder.map((n, i) => [n, i]))
  const marks = new Map<string, {node: string; mark: ClaimMark}[]>()
  for (const m of [...input.marks].sort((a, b) => (order.get(a.node) ?? 1e9) - (order.get(b.node) ?? 1e9))) {
    const k = claimKey(m.mark.namespace, m.mark.claim)
    marks.set(k, [...(marks.get(k) ?? []), m])
  }
  const wanted = new Set(claims.map((c) => claimKey(c.metadata.namespace, c.metadata.name)))
  const hashes = new Map(pvs.map((pv) => [pv.metadata.name, pvHash(pv)]))
  // Released: the PV's last claim left git and the PV is the same object; it waits for that claim or a change.
  const released = new Map<string, string>()
  for (const [k, list] of marks) for (const {mark} of list) if (!wanted.has(k) && !mark.provisioned && hashes.get(mark.pv) === mark.pvHash) released.set(mark.pv, k)
  const ctx: BindCtx = {pvs, taken: new Set(), released, classes, defaultClass, marks, hashes, now: new Date(input.now ?? 0).toISOString()}
  const out = new Map<string, ClaimBinding>()
  // Claims that name their volume, or already hold one, bind first: a new PV never steals a binding.
  const first = claims.filter((c) => preferredPv(c, ctx) !== undefined)
  for (const c of [...first, ...claims.filter((c) => !first.includes(c))]) out.set(claimKey(c.metadata.namespace, c.metadata.name), bindOne(c, ctx))
  return {claims: out, volumes: volumeViews(out, ctx), orphans: orphans(wanted, ctx, input.statefulSets ?? new Set()), ...(defaultClass ? {defaultClass} : {})}
}

interface BindCtx {
  pvs: PersistentVolumeObject[]
  taken: Set<string>
  released: Map<string, string>
  classes: StorageClassObject[]
  defaultClass?: string
  marks: Map<string, {node: string; mark: ClaimMark}[]>
  hashes: Map<string, string>
  now: string
}

function preferredPv(c: PersistentVolumeClaimObject, ctx: BindCtx): string | undefined {
  const k = claimKey(c.metadata.namespace, c.metadata.name)
  if (c.spec.volumeName) return c.spec.volumeName
  const ref = ctx.pvs.find((pv) => pv.spec.claimRef && claimKey(pv.spec.claimRef.namespace, pv.spec.claimRef.name) === k)
  if (ref) return ref.metadata.name
  return ctx.marks.get(k)?.find(({mark}) => !mark.provisioned && ctx.hashes.get(mark.pv) === mark.pvHash)?.mark.pv
}

function bindOne(c: PersistentVolumeClaimObject, ctx: BindCtx): ClaimBinding {
  const k = claimKey(c.metadata.namespace, c.metadata.name)
  const storageClass = c.spec.storageClassName ?? ctx.defaultClass ?? ''
  const base = {claim: c, storageClass}
  const named = preferredPv(c, ctx)
  if (named !== undefined) {
    const pv = ctx.pvs.find((p) => p.metadata.name === named)
    const why = pv ? misfit(pv, c, storageClass, ctx, k) : `volume "${named}" is not in git`
    if (!why) return bound(base, pv!, ctx)
    if (c.spec.volumeName) return {...base, phase: 'Pending', reason: `spec.volumeName: ${why}`}
  }
  const pv = ctx.pvs.find((p) => !p.spec.claimRef && !misfit(p, c, storageClass, ctx, k))
  if (pv) return bound(base, pv, ctx)
  const cls = ctx.classes.find((x) => x.metadata.name === storageClass)
  if (cls && LOCAL_PATH_PROVISIONERS.includes(cls.provisioner)) return provisioned(base, cls, ctx)
  const want = `${c.spec.request} bytes, ${c.spec.accessModes.join(',')}`
  if (storageClass === '') return {...base, phase: 'Pending', reason: `no persistent volumes available for this claim and no storage class is set (needs ${want})`}
  return {...base, phase: 'Pending', reason: `no persistent volume of class "${storageClass}" is available with ${want}, and ${cls ? `its provisioner ${cls.provisioner} is not run by kgit` : `StorageClass "${storageClass}" is not in git to provision one`}`}
}

/** Why `pv` cannot take claim `c` (undefined: it can). */
function misfit(pv: PersistentVolumeObject, c: PersistentVolumeClaimObject, storageClass: string, ctx: BindCtx, k: string): string | undefined {
  const name = `volume "${pv.metadata.name}"`
  if (ctx.taken.has(pv.metadata.name)) return `${name} is bound to another claim`
  const rel = ctx.released.get(pv.metadata.name)
  if (rel !== undefined && rel !== k) return `${name} is Released (its claim ${rel} left git; change or re-create the PV to free it)`
  if (pv.spec.claimRef && claimKey(pv.spec.claimRef.namespace, pv.spec.claimRef.name) !== k) return `${name} is reserved for claim ${claimKey(pv.spec.claimRef.namespace, pv.spec.claimRef.name)}`
  if (pv.spec.storageClassName !== storageClass) return `${name} has storage class "${pv.spec.storageClassName}", the claim "${storageClass}"`
  if (pv.spec.capacity < c.spec.request) return `${name} has ${pv.spec.capacity} bytes, the claim asks for ${c.spec.request}`
  const missing = c.spec.accessModes.filter((m) => !pv.spec.accessModes.includes(m))
  if (missing.length > 0) return `${name} does not have access mode ${missing.join(', ')}`
  if (c.spec.selector && !labelSelectorMatches(c.spec.selector, pv.metadata.labels)) return `${name} does not match the claim's selector`
  return undefined
}

function bound(base: Pick<ClaimBinding, 'claim' | 'storageClass'>, pv: PersistentVolumeObject, ctx: BindCtx): ClaimBinding {
  ctx.taken.add(pv.metadata.name)
  const {namespace, name} = base.claim.metadata
  const k = claimKey(namespace, name)
  const prev = ctx.marks.get(k)?.find(({mark}) => mark.pv === pv.metadata.name)?.mark
  const mark: ClaimMark = {namespace, claim: name, pv: pv.metadata.name, pvHash: ctx.hashes.get(pv.metadata.name)!, storageClass: pv.spec.storageClassName, capacity: pv.spec.capacity, accessModes: pv.spec.accessModes, reclaimPolicy: pv.spec.reclaimPolicy, created: prev?.created ?? ctx.now, ...ownerOf(base.claim)}
  const readOnly = 'nfs' in pv.spec.source && pv.spec.source.nfs.readOnly
  const mount: ClaimMount = {claim: k, pv: pv.metadata.name, source: pv.spec.source, readOnly, mark}
  return {...base, phase: 'Bound', mount, ...(pv.spec.nodeAffinity ? {pin: pv.spec.nodeAffinity} : {})}
}

/** local-path: a directory under the node's dataDir, made where the first pod lands, pinned there since. */
function provisioned(base: Pick<ClaimBinding, 'claim' | 'storageClass'>, cls: StorageClassObject, ctx: BindCtx): ClaimBinding {
  const {namespace, name} = base.claim.metadata
  const held = (ctx.marks.get(claimKey(namespace, name)) ?? []).filter(({mark}) => mark.provisioned)
  const prev = held[0]?.mark
  const pv = provisionedPvName(namespace, name)
  const mark: ClaimMark = prev ?? {namespace, claim: name, pv, provisioned: true, storageClass: cls.metadata.name, capacity: base.claim.spec.request, accessModes: base.claim.spec.accessModes, reclaimPolicy: cls.reclaimPolicy, created: ctx.now, ...ownerOf(base.claim)}
  const mount: ClaimMount = {claim: claimKey(namespace, name), pv: mark.pv, source: {provisioned: true}, readOnly: false, mark}
  if (held.length === 0) return {...base, phase: 'Pending', mount, reason: 'waiting for first consumer to be created before binding'}
  const nodes = held.map((h) => h.node)
  return {...base, phase: 'Bound', mount, nodes, pin: [{matchFields: [{key: 'metadata.name', operator: 'In', values: [nodes[0]!]}]}]}
}

function volumeViews(claims: Map<string, ClaimBinding>, ctx: BindCtx): VolumeView[] {
  const byPv = new Map<string, ClaimBinding>()
  for (const b of claims.values()) if (b.phase === 'Bound' && b.mount) byPv.set(b.mount.pv, b)
  const out: VolumeView[] = ctx.pvs.map((pv) => {
    const b = byPv.get(pv.metadata.name)
    const rel = ctx.released.get(pv.metadata.name)
    const status = b ? 'Bound' : rel ? 'Released' : 'Available'
    const claim = b ? b.mount!.claim : rel
    return {name: pv.metadata.name, capacity: pv.spec.capacity, accessModes: pv.spec.accessModes, reclaimPolicy: pv.spec.reclaimPolicy, status, storageClass: pv.spec.storageClassName, ...(claim ? {claim} : {})}
  })
  const seen = new Set<string>()
  for (const [k, list] of ctx.marks) {
    const held = list.filter(({mark}) => mark.provisioned)
    if (held.length === 0 || seen.has(k)) continue
    seen.add(k)
    const m = held[0]!.mark
    const status = claims.get(k)?.phase === 'Bound' ? 'Bound' : 'Released'
    out.push({name: m.pv, capacity: m.capacity, accessModes: m.accessModes, reclaimPolicy: m.reclaimPolicy, status, claim: k, storageClass: m.storageClass, provisioned: true, nodes: held.map((h) => h.node), ...(m.created ? {created: m.created} : {})})
  }
  return out.sort((a, b) => byText(a.name, b.name))
}

/** The mark fields of a claim a StatefulSet made. */
function ownerOf(c: PersistentVolumeClaimObject): Pick<ClaimMark, 'owner' | 'retain'> {
  return c.owner ? {owner: `${c.owner.kind}/${c.owner.name}`, retain: c.owner.retainOnDelete} : {}
}

function orphans(wanted: Set<string>, ctx: BindCtx, statefulSets: ReadonlySet<string>): OrphanMark[] {
  const out: OrphanMark[] = []
  for (const [k, list] of ctx.marks) {
    if (wanted.has(k)) continue
    for (const {node, mark} of list) {
      // A StatefulSet's claim outlives the StatefulSet unless it said whenDeleted: Delete (its scaled-away ordinals are wanted unless whenScaled: Delete).
      const ownerGone = mark.owner?.startsWith('StatefulSet/') && !statefulSets.has(`${mark.namespace}/${mark.owner.slice('StatefulSet/'.length)}`)
      const fate = ownerGone && mark.retain !== false ? 'keep' : mark.provisioned ? (mark.reclaimPolicy === 'Delete' ? 'delete' : 'keep') : ctx.hashes.get(mark.pv) === mark.pvHash ? 'keep' : 'forget'
      out.push({node, mark, fate})
    }
  }
  return out
}
