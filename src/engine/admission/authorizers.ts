import type {AuthorizationMode, WebhookSpec} from '../identity/config.js'
import {abacAllows, type AbacPolicy} from './abac.js'
import {authorize as rbacAuthorize, type RbacPolicy, type RequestAttributes} from './rbac.js'

/**
 * The authorizer chain of `spec.authorization.modes`, as Kubernetes' union authorizer:
 * each authorizer allows, denies or has no opinion; the first that allows or denies
 * decides, and a request no authorizer has an opinion on is denied.
 */

export type Verdict = 'allow' | 'deny' | 'no-opinion'

export interface AuthzDecision {
  verdict: Verdict
  /** Which authorizer decided and why ("RBAC: allowed by RoleBinding ..."). */
  reason: string
}

/** A request with the user's uid when known (a SubjectAccessReview carries it). */
export type AuthzAttributes = RequestAttributes & {uid?: string}

export interface Authorizer {
  mode: AuthorizationMode | 'PrivilegedGroup'
  decide(a: AuthzAttributes): AuthzDecision | Promise<AuthzDecision>
}

export const alwaysAllow: Authorizer = {mode: 'AlwaysAllow', decide: () => ({verdict: 'allow', reason: 'AlwaysAllow'})}
export const alwaysDeny: Authorizer = {mode: 'AlwaysDeny', decide: () => ({verdict: 'deny', reason: 'AlwaysDeny: every request is denied'})}

/** Kubernetes puts this in front of RBAC: members of system:masters may do anything, whatever the bindings say. */
export const privilegedGroup: Authorizer = {
  mode: 'PrivilegedGroup',
  decide: (a) => (a.groups.includes('system:masters') ? {verdict: 'allow', reason: 'member of system:masters'} : {verdict: 'no-opinion', reason: ''}),
}

/** RBAC never denies: no rule is no opinion, so a later authorizer may still allow. */
export function rbacAuthorizer(policy: RbacPolicy): Authorizer {
  return {
    mode: 'RBAC',
    decide: (a) => {
      const d = rbacAuthorize(policy, a)
      return {verdict: d.allowed ? 'allow' : 'no-opinion', reason: d.reason + (d.evaluationError ? ` (${d.evaluationError})` : '')}
    },
  }
}

export function abacAuthorizer(policies: readonly AbacPolicy[], file: string): Authorizer {
  return {
    mode: 'ABAC',
    decide: (a) => {
      const p = abacAllows(policies, a)
      return p ? {verdict: 'allow', reason: `ABAC: allowed by ${file}:${p.line}`} : {verdict: 'no-opinion', reason: 'ABAC: no policy matched'}
    },
  }
}

/** The SubjectAccessReview (authorization.k8s.io/v1) the webhook is sent for a request. */
export function subjectAccessReview(a: AuthzAttributes): Record<string, unknown> {
  const spec: Record<string, unknown> = {user: a.user, groups: [...a.groups], ...(a.uid ? {uid: a.uid} : {})}
  if (a.resource === undefined) spec.nonResourceAttributes = {path: a.path ?? '', verb: a.verb}
  else {
    const attrs: Record<string, string> = {verb: a.verb, group: a.apiGroup ?? '', resource: a.resource}
    for (const k of ['namespace', 'name', 'subresource'] as const) if (a[k]) attrs[k] = a[k]!
    spec.resourceAttributes = attrs
  }
  return {apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec}
}

/**
 * The webhook's answer: `status.allowed` allows, `status.denied` denies, neither is no
 * opinion (Kubernetes' webhook authorizer). A reply that is no SubjectAccessReview throws.
 */
export function readReview(reply: unknown): AuthzDecision {
  const r = reply as {apiVersion?: unknown; kind?: unknown; status?: {allowed?: unknown; denied?: unknown; reason?: unknown; evaluationError?: unknown}}
  if (!r || typeof r !== 'object' || r.kind !== 'SubjectAccessReview' || typeof r.status?.allowed !== 'boolean') throw new Error('the reply is no SubjectAccessReview with status.allowed')
  const why = [r.status.reason, r.status.evaluationError].filter((x) => typeof x === 'string' && x !== '').join('; ')
  if (r.status.allowed) return {verdict: 'allow', reason: `Webhook: allowed${why ? `: ${why}` : ''}`}
  if (r.status.denied === true) return {verdict: 'deny', reason: `Webhook: denied${why ? `: ${why}` : ''}`}
  return {verdict: 'no-opinion', reason: `Webhook: no opinion${why ? `: ${why}` : ''}`}
}

/** POSTs a review and gives back the parsed JSON reply (exec/https-post.ts; a fake in tests). */
export type ReviewPoster = (url: string, body: unknown, opts: {caFile?: string; timeoutMs: number}) => Promise<unknown>

/**
 * Asks an HTTPS webhook. A webhook that cannot answer (unreachable, timeout, an error
 * status, a reply that is no review) denies with failurePolicy Deny (the default: fail
 * closed) or has no opinion with NoOpinion. Answers are kept for the run.
 */
export function webhookAuthorizer(spec: WebhookSpec, post: ReviewPoster): Authorizer {
  const cache = new Map<string, Promise<AuthzDecision>>()
  const ask = async (review: Record<string, unknown>): Promise<AuthzDecision> => {
    try {
      return readReview(await post(spec.url, review, {...(spec.caFile ? {caFile: spec.caFile} : {}), timeoutMs: spec.timeoutMs}))
    } catch (err) {
      const what = `Webhook ${spec.url} could not be asked: ${(err as Error).message}`
      return spec.failurePolicy === 'Deny' ? {verdict: 'deny', reason: `${what} (failurePolicy Deny)`} : {verdict: 'no-opinion', reason: `${what} (failurePolicy NoOpinion)`}
    }
  }
  return {
    mode: 'Webhook',
    decide: (a) => {
      const review = subjectAccessReview(a)
      const key = JSON.stringify(review)
      if (!cache.has(key)) cache.set(key, ask(review))
      return cache.get(key)!
    },
  }
}

/** The union: the first decisive answer wins; all no opinion is a denial that gives every authorizer's reason. */
export async function decide(chain: readonly Authorizer[], a: AuthzAttributes): Promise<AuthzDecision> {
  const reasons: string[] = []
  for (const z of chain) {
    const d = await z.decide(a)
    if (d.verdict !== 'no-opinion') return d
    if (d.reason) reasons.push(d.reason)
  }
  return {verdict: 'deny', reason: reasons.length > 0 ? `no authorizer allowed it: ${reasons.join('; ')}` : 'no authorizer allowed it'}
}

/**
 * The same union for admission plugins, which ask synchronously (AdmissionRequest.authorize):
 * an authorizer that can only answer later (Webhook) counts as no opinion there.
 */
export function decideSync(chain: readonly Authorizer[], a: AuthzAttributes): boolean {
  for (const z of chain) {
    if (z.mode === 'Webhook') continue
    const d = z.decide(a)
    if (d instanceof Promise) continue
    if (d.verdict !== 'no-opinion') return d.verdict === 'allow'
  }
  return false
}
