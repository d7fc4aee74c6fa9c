import type {SourcePos} from '../errors.js'
import {specHash} from '../controllers/hash.js'
import type {Desired, KObject} from '../types.js'
import type {RequestAttributes, UserInfo} from './rbac.js'

/**
 * The contract between the change set, authorization and the admission plugins (issue 9;
 * ADR 0016). Everything here runs before any node is touched: a change that fails any
 * check changes nothing anywhere.
 */

export type ChangeVerb = 'create' | 'update' | 'delete'

/** One object created, updated or deleted between the revision the cluster runs and the new one. */
export interface ObjectChange {
  verb: ChangeVerb
  /** The object in the new revision (create, update), or as it was (delete). */
  object: KObject
  /** The object as the cluster runs it (update, delete). */
  old?: KObject
}

/** Who makes a change, and how kgit found out (`kgit auth whoami` prints both). */
export interface Identity extends UserInfo {
  /** How it was found: "signed commit (ssh key SHA256:...)", "pusher's key", "--as", "local user"... */
  method: string
}

/** One refusal by an admission plugin: the plugin, the object and where it is written, and the rule. */
export interface Denial {
  plugin: string
  kind: string
  namespace: string
  name: string
  pos: SourcePos
  /** The rule that refused it, in words ("privileged containers are not allowed by PodSecurityPolicy restricted"). */
  rule: string
}

export interface AdmissionRequest {
  /** The new revision; mutating plugins change its objects in place (defaults, a pull policy...). */
  desired: Desired
  /** What the change creates, updates and deletes (validating plugins look at these only). */
  changes: ObjectChange[]
  /** The objects of the revision the cluster runs (empty for a first apply). */
  previous: readonly KObject[]
  user: Identity
  /** The configured authorizer chain (PodSecurityPolicy `use`, escalation checks). */
  authorize(attrs: Omit<RequestAttributes, 'user' | 'groups'>, as?: UserInfo): boolean
}

export interface AdmissionPlugin {
  /** Kubernetes' plugin name (PodSecurityPolicy, ImagePolicyWebhook...). */
  name: string
  /** Mutating plugins run first, in the documented order, then the validating ones. */
  mutating: boolean
  /** `config` is the plugin's `configuration` from kgit.yaml `spec.admission.plugins[]`, as read. */
  admit(req: AdmissionRequest, config: unknown): Denial[] | Promise<Denial[]>
}

const objectKey = (o: Pick<KObject, 'kind' | 'metadata'>): string => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`

const isPosition = (x: unknown): boolean => !!x && typeof x === 'object' && typeof (x as {file?: unknown}).file === 'string' && Object.keys(x).every((k) => k === 'file' || k === 'line' || k === 'path')

/** Where-it-was-written values ({file, line...}) anywhere in an object, dropped for comparison. */
function withoutPositions(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutPositions)
  if (!v || typeof v !== 'object') return v
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) {
    if (isPosition(x)) continue
    out[k] = withoutPositions(x)
  }
  return out
}

/** An object's content without where it was written: moving an object between files or lines is no change. */
function contentHash(o: KObject): string {
  return specHash(withoutPositions(o))
}

/**
 * The change from `previous` (the revision the cluster runs; undefined when nothing was
 * applied yet: everything is created) to `next`, in the order of `next`, deletions last.
 */
export function changeSet(previous: readonly KObject[] | undefined, next: readonly KObject[]): ObjectChange[] {
  // The cluster runs this very revision (a no-op apply or reconcile): nothing to hash.
  if (previous === next) return []
  const before = new Map((previous ?? []).map((o) => [objectKey(o), o]))
  const out: ObjectChange[] = []
  const seen = new Set<string>()
  for (const o of next) {
    const key = objectKey(o)
    seen.add(key)
    const old = before.get(key)
    if (!old) out.push({verb: 'create', object: o})
    else if (contentHash(old) !== contentHash(o)) out.push({verb: 'update', object: o, old})
  }
  for (const [key, o] of before) if (!seen.has(key)) out.push({verb: 'delete', object: o, old: o})
  return out
}
