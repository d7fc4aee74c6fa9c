import {createHmac, timingSafeEqual} from 'node:crypto'

/** The request as the server received it: header names in lower case, the raw body. */
export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

export type Provider = 'github' | 'gitea' | 'gitlab' | 'token'

export type Verdict = {ok: true; provider: Provider} | {ok: false; status: 401 | 403; reason: string}

/** A push event's branch and commit; `other` events (ping...) trigger nothing. */
/** `branch` is absent when a bearer-token request names none (reconcile the tracked branch). */
export interface Push {
  kind: 'push'
  provider: Provider
  branch?: string
  after?: string
}
export type PushEvent = Push | {kind: 'other'; provider: Provider; event: string}

function header(req: WebhookRequest, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function hmacHex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex')
}

/**
 * Checks who sent a webhook, with the shared secret: GitHub's X-Hub-Signature-256
 * (`sha256=` HMAC of the body), Gitea's and Forgejo's X-Gitea-Signature /
 * X-Forgejo-Signature (hex HMAC), GitLab's X-Gitlab-Token (the secret itself), or
 * `Authorization: Bearer SECRET`. No credential: 401; a wrong one: 403.
 */
export function verifyWebhook(req: WebhookRequest, secret: string | undefined): Verdict {
  // Without a shared secret only bearer tokens of the token file can be accepted (the server checks those).
  if (secret === undefined) return header(req, 'authorization') !== undefined ? {ok: false, status: 403, reason: 'no shared secret is set'} : {ok: false, status: 401, reason: 'no shared secret is set (--webhook-secret-file): only "Authorization: Bearer TOKEN" of the token file is accepted'}
  const github = header(req, 'x-hub-signature-256')
  if (github !== undefined) {
    if (!/^sha256=[0-9a-f]{64}$/i.test(github)) return {ok: false, status: 403, reason: 'X-Hub-Signature-256 is not "sha256=" and 64 hex digits'}
    return sameText(github.slice(7).toLowerCase(), hmacHex(secret, req.body)) ? {ok: true, provider: 'github'} : {ok: false, status: 403, reason: 'X-Hub-Signature-256 does not match the body (wrong secret, or the body was changed)'}
  }
  const gitea = header(req, 'x-gitea-signature') ?? header(req, 'x-forgejo-signature')
  if (gitea !== undefined) {
    return sameText(gitea.toLowerCase(), hmacHex(secret, req.body)) ? {ok: true, provider: 'gitea'} : {ok: false, status: 403, reason: 'X-Gitea-Signature does not match the body (wrong secret, or the body was changed)'}
  }
  const gitlab = header(req, 'x-gitlab-token')
  if (gitlab !== undefined) return sameText(gitlab, secret) ? {ok: true, provider: 'gitlab'} : {ok: false, status: 403, reason: 'X-Gitlab-Token is not the shared secret'}
  const auth = header(req, 'authorization')
  if (auth !== undefined) {
    const m = /^Bearer (.+)$/.exec(auth)
    if (!m) return {ok: false, status: 401, reason: 'Authorization is not "Bearer TOKEN"'}
    return sameText(m[1]!, secret) ? {ok: true, provider: 'token'} : {ok: false, status: 403, reason: 'the bearer token is not the shared secret'}
  }
  return {ok: false, status: 401, reason: 'no signature: expected X-Hub-Signature-256, X-Gitea-Signature, X-Gitlab-Token or Authorization: Bearer'}
}

/** The event a verified request carries. Throws on a body that is not the provider's JSON. */
export function parsePush(provider: Provider, req: WebhookRequest): PushEvent {
  const event = header(req, 'x-github-event') ?? header(req, 'x-gitea-event') ?? header(req, 'x-forgejo-event') ?? header(req, 'x-gitlab-event') ?? 'push'
  if (!['push', 'Push Hook'].includes(event)) return {kind: 'other', provider, event}
  if (provider === 'token' && req.body.length === 0) return {kind: 'push', provider}
  let json: unknown
  try {
    json = JSON.parse(req.body.toString('utf8'))
  } catch (err) {
    throw new Error(`the ${event} payload is not JSON: ${(err as Error).message}`, {cause: err})
  }
  const p = (json ?? {}) as {ref?: unknown; after?: unknown}
  if (typeof p.ref !== 'string') {
    if (provider === 'token') return {kind: 'push', provider}
    throw new Error(`the ${event} payload has no "ref" string`)
  }
  // A tag's ref names no branch: '' matches none.
  const branch = p.ref.startsWith('refs/heads/') ? p.ref.slice('refs/heads/'.length) : ''
  return {kind: 'push', provider, branch, ...(typeof p.after === 'string' ? {after: p.after} : {})}
}
