import {admit, denialMessage, type AdmissionConfig} from './admission/chain.js'
import {decide, decideSync, type Authorizer, type AuthzAttributes} from './admission/authorizers.js'
import {changeSet, type Denial, type Identity, type ObjectChange} from './admission/plugin.js'
import type {RbacPolicy, RequestAttributes} from './admission/rbac.js'
import {checkEscalation} from './admission/rbac-escalation.js'
import {changeAttributes} from './admission/rbac-resources.js'
import {formatPos, type SourcePos} from './errors.js'
import type {Desired, KObject} from './types.js'

/**
 * The gate every change passes before any node is touched (issue 9; ADR 0018): each
 * object created, updated or deleted between the revision the cluster runs and the new
 * one is authorized for whoever makes the change, RBAC objects are checked for
 * escalation, then the admission chain runs. Apply, plan, `kgit auth reconcile-check`
 * and the push hook call it. Pure but for what the authorizers ask (a webhook).
 */

export interface GateInput {
  /** The new revision (mutating admission plugins change its objects in place). */
  desired: Desired
  /** The objects of the revision the cluster runs; undefined when nothing was applied yet. */
  previous?: readonly KObject[]
  /** The commit the cluster runs, for messages about deleted objects. */
  previousCommit?: string
  identity: Identity & {uid?: string}
  /** The authorizer chain of the running revision's spec.authorization. */
  authorizers: readonly Authorizer[]
  /** The running revision's RBAC policy, when RBAC is a mode: Roles and bindings are checked for escalation against it. */
  escalationPolicy?: RbacPolicy
  /** kgit.yaml, or a file its spec.authentication/authorization names, differs from the running revision's. */
  clusterChanged?: {name: string; pos: SourcePos}
  admission: AdmissionConfig
}

/** One change and what the gate said of it. */
export interface ChangeVerdict {
  verb: ObjectChange['verb']
  kind: string
  namespace: string
  name: string
  /** Where the object is written (a deleted one: where it was in the running revision). */
  pos: SourcePos
  allowed: boolean
  /** Why: the authorizer's reason when allowed; every refusal (Kubernetes' Forbidden message) when not. */
  reasons: string[]
}

export interface GateResult {
  verdicts: ChangeVerdict[]
  admission: Denial[]
  /** Every refusal: where, and a message naming the verb, the user and the reason; empty: the change may go ahead. */
  refusals: Refusal[]
}

export interface Refusal {
  pos: SourcePos
  message: string
  /** The message already names the file and line (admission denials). */
  placed?: boolean
}

const RBAC_KINDS = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']

/** Runs authorization, escalation and admission over the change; every refusal is collected. */
export async function gateChange(input: GateInput): Promise<GateResult> {
  const changes = changeSet(input.previous, input.desired.objects)
  const verdicts: ChangeVerdict[] = []
  if (input.clusterChanged) verdicts.push(await clusterVerdict(input, input.clusterChanged))
  for (const c of changes) verdicts.push(await changeVerdict(input, c))
  const who = {user: input.identity.user, groups: input.identity.groups}
  const admission = await admit(
    {
      desired: input.desired,
      changes,
      previous: input.previous ?? [],
      user: input.identity,
      authorize: (attrs, as) => decideSync(input.authorizers, {...(as ?? who), ...attrs}),
    },
    input.admission,
  )
  const refusals = [...verdicts.filter((v) => !v.allowed).map((v) => ({pos: v.pos, message: v.reasons.join('; ')})), ...admission.map(admissionRefusal)]
  return {verdicts, admission, refusals}
}

async function changeVerdict(input: GateInput, c: ObjectChange): Promise<ChangeVerdict> {
  const o = c.object
  const base = {verb: c.verb, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, pos: c.verb === 'delete' ? deletedPos(o, input.previousCommit) : o.source}
  const attrs = changeAttributes(input.identity, c.verb, o)
  if (!attrs) return {...base, allowed: false, reasons: [`kgit knows no resource for kind ${o.kind}: it cannot be authorized`]}
  const d = await decide(input.authorizers, withUid(input, attrs))
  const reasons = d.verdict === 'allow' ? [d.reason] : [`${forbidden(attrs, o.metadata.name)} (${d.reason})`]
  let allowed = d.verdict === 'allow'
  if (input.escalationPolicy && c.verb !== 'delete' && RBAC_KINDS.includes(o.kind)) {
    const e = checkEscalation(input.escalationPolicy, attrs, o as Parameters<typeof checkEscalation>[2])
    if (!e.ok) {
      if (allowed) reasons.length = 0
      allowed = false
      reasons.push(`${objectRef(attrs, o.metadata.name)} is forbidden as escalation: ${shorten(e.denied, 6)}`)
    }
  }
  return {...base, allowed, reasons}
}

async function clusterVerdict(input: GateInput, cluster: NonNullable<GateInput['clusterChanged']>): Promise<ChangeVerdict> {
  const attrs: RequestAttributes = {user: input.identity.user, groups: input.identity.groups, verb: 'update', apiGroup: 'kgit.dev', resource: 'clusters', name: cluster.name, namespace: ''}
  const d = await decide(input.authorizers, withUid(input, attrs))
  const base = {verb: 'update' as const, kind: 'Cluster', namespace: '', name: cluster.name, pos: cluster.pos}
  return d.verdict === 'allow' ? {...base, allowed: true, reasons: [d.reason]} : {...base, allowed: false, reasons: [`${forbidden(attrs, cluster.name)} (${d.reason})`]}
}

/** At most `max` lines (a ClusterRole can miss hundreds of rules), and how many more. */
function shorten(text: string, max: number): string {
  const lines = text.split('\n')
  return lines.length <= max + 1 ? text : [...lines.slice(0, max), `... and ${lines.length - max} more`].join('\n')
}

const withUid = (input: GateInput, a: RequestAttributes): AuthzAttributes => (input.identity.uid ? {...a, uid: input.identity.uid} : a)

function deletedPos(o: KObject, commit?: string): SourcePos {
  return {...o.source, path: `(deleted; as written in the running revision${commit ? ` ${commit.slice(0, 12)}` : ''})`}
}

/** `deployments.apps "web"`, as Kubernetes names an object in errors. */
function objectRef(a: RequestAttributes, name: string): string {
  return `${a.resource}${a.apiGroup ? `.${a.apiGroup}` : ''} "${name}"`
}

/** Kubernetes' Forbidden message: `deployments.apps "web" is forbidden: User "alice" cannot update resource "deployments" in API group "apps" in the namespace "prod"`. */
export function forbidden(a: RequestAttributes, name: string): string {
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope'
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource
  return `${objectRef(a, name)} is forbidden: User "${a.user}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup ?? ''}" ${scope}`
}

/** An admission denial as a refusal: the chain's own words (object, file:line, rule, plugin). */
function admissionRefusal(d: Denial): Refusal {
  return {pos: d.pos, message: denialMessage(d), placed: true}
}

/** A refusal as one line: `manifests/app.yaml:3: deployments.apps "web" is forbidden: ...` (an admission denial names its place itself). */
export function formatRefusal(r: Refusal): string {
  return r.placed ? r.message : `${formatPos(r.pos)}: ${r.message}`
}
