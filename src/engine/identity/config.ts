import type {SourcePos} from '../errors.js'
import type {FieldReader} from '../manifest/field-reader.js'
import type {PathPart} from '../manifest/yaml-docs.js'

/**
 * kgit.yaml `spec.authentication` and `spec.authorization` (docs/authorization.md).
 * Paths without a leading `/` are files in the repository, read from the revision the
 * cluster runs (a change to them takes effect once applied); absolute paths are files
 * on the machine that runs kgit.
 */

export interface AuthenticationSpec {
  /** Commits signed with an SSH key listed in this allowed-signers file (ssh-keygen's format): the principal is the user. */
  allowedSignersFile?: string
  /** Commits signed with a GPG key of this file (armored public keys, in the repository): the user is the users file's entry for the key, else the e-mail of its user ID. */
  gpgKeysFile?: string
  /** `SHA256:fingerprint,user,uid,"groups"`: the pushing key in git hooks (KGIT_PUSHER_KEY), and signers' uid and groups. */
  usersFile?: string
  /** Kubernetes' static token file for bearer tokens (the watch daemon's webhook); outside the repository. */
  tokenFile?: string
  /** The person running kgit when no other identity applies: `allow` (their login name or --as), or `refuse`. */
  localUser: 'allow' | 'refuse'
}

export const AUTHORIZATION_MODES = ['AlwaysAllow', 'AlwaysDeny', 'ABAC', 'RBAC', 'Webhook'] as const
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number]

export interface WebhookSpec {
  url: string
  caFile?: string
  timeoutMs: number
  /** What a webhook that cannot be asked (down, timeout, bad answer) means: Deny (fail closed) or NoOpinion. */
  failurePolicy: 'Deny' | 'NoOpinion'
}

export interface AuthorizationSpec {
  /** The authorizers, asked in this order; the first that allows or denies decides. */
  modes: AuthorizationMode[]
  abac?: {policyFile: string}
  webhook?: WebhookSpec
  /** Where `spec.authorization` is written, for messages. */
  pos: SourcePos
}

/** What applies when kgit.yaml has no spec.authorization: everything is allowed, as before issue 9. */
export const DEFAULT_AUTHORIZATION: AuthorizationSpec = {modes: ['AlwaysAllow'], pos: {file: 'kgit.yaml', path: 'spec.authorization'}}

const repoPath = (r: FieldReader, path: PathPart[]): string | undefined => {
  const v = r.str(path, {required: false})
  if (v !== undefined && (v === '' || v.split('/').includes('..'))) r.fail(path, 'must be a path inside the repository or an absolute path (no "..")')
  return v
}

/** Reads `spec.authentication`; undefined when absent. */
export function readAuthentication(r: FieldReader): AuthenticationSpec | undefined {
  const base = ['spec', 'authentication']
  if (r.get(base) === undefined) return undefined
  r.map(base)
  r.known(base, ['allowedSignersFile', 'gpgKeysFile', 'usersFile', 'tokenFile', 'localUser'])
  const tokenFile = r.str([...base, 'tokenFile'])
  if (tokenFile !== undefined && !tokenFile.startsWith('/')) r.fail([...base, 'tokenFile'], 'must be an absolute path outside the repository (tokens are secrets: never commit them)')
  const out: AuthenticationSpec = {localUser: (r.str([...base, 'localUser'], {oneOf: ['allow', 'refuse']}) ?? 'allow') as 'allow' | 'refuse'}
  const signers = repoPath(r, [...base, 'allowedSignersFile'])
  const users = repoPath(r, [...base, 'usersFile'])
  if (signers !== undefined) out.allowedSignersFile = signers
  const gpgKeys = repoPath(r, [...base, 'gpgKeysFile'])
  if (gpgKeys !== undefined) out.gpgKeysFile = gpgKeys
  if (users !== undefined) out.usersFile = users
  if (tokenFile !== undefined) out.tokenFile = tokenFile
  return out
}

/** Reads `spec.authorization`; undefined when absent (then DEFAULT_AUTHORIZATION applies). */
export function readAuthorization(r: FieldReader): AuthorizationSpec | undefined {
  const base = ['spec', 'authorization']
  if (r.get(base) === undefined) return undefined
  r.map(base)
  r.known(base, ['modes', 'abac', 'webhook'])
  const modes = r.strList([...base, 'modes']) ?? []
  if (modes.length === 0) r.fail([...base, 'modes'], `must list at least one of ${AUTHORIZATION_MODES.join(', ')}`)
  modes.forEach((m, i) => {
    if (!(AUTHORIZATION_MODES as readonly string[]).includes(m)) r.fail([...base, 'modes', i], `must be one of ${AUTHORIZATION_MODES.join(', ')}, got "${m}"`)
    else if (modes.indexOf(m) !== i) r.fail([...base, 'modes', i], `"${m}" is listed twice`)
  })
  const out: AuthorizationSpec = {modes: modes as AuthorizationMode[], pos: r.doc.posOf(base)}
  const abac = readAbac(r, [...base, 'abac'], modes.includes('ABAC'))
  const webhook = readWebhook(r, [...base, 'webhook'], modes.includes('Webhook'))
  if (abac) out.abac = abac
  if (webhook) out.webhook = webhook
  return out
}

function readAbac(r: FieldReader, base: PathPart[], used: boolean): AuthorizationSpec['abac'] {
  if (r.get(base) === undefined) {
    if (used) r.fail(base, 'required when modes lists ABAC (abac: {policyFile: PATH})')
    return undefined
  }
  r.map(base)
  r.known(base, ['policyFile'])
  const policyFile = repoPath(r, [...base, 'policyFile'])
  if (policyFile === undefined) r.fail([...base, 'policyFile'], 'required field is missing')
  return policyFile === undefined ? undefined : {policyFile}
}

function readWebhook(r: FieldReader, base: PathPart[], used: boolean): WebhookSpec | undefined {
  if (r.get(base) === undefined) {
    if (used) r.fail(base, 'required when modes lists Webhook (webhook: {url: https://..., caFile: PATH})')
    return undefined
  }
  r.map(base)
  r.known(base, ['url', 'caFile', 'timeout', 'failurePolicy'])
  const url = r.str([...base, 'url'], {required: true}) ?? ''
  if (url && !/^https:\/\/[^/\s]+/.test(url)) r.fail([...base, 'url'], `must be an https:// URL (a SubjectAccessReview carries who asks: never in clear), got "${url}"`)
  const caFile = r.str([...base, 'caFile'])
  if (caFile !== undefined && !caFile.startsWith('/')) r.fail([...base, 'caFile'], 'must be an absolute path')
  const timeoutText = r.str([...base, 'timeout']) ?? '3s'
  const timeoutMs = readTimeout(timeoutText)
  if (timeoutMs === undefined) r.fail([...base, 'timeout'], `must be a duration from 100ms to 30s (500ms, 3s), got "${timeoutText}"`)
  const failurePolicy = (r.str([...base, 'failurePolicy'], {oneOf: ['Deny', 'NoOpinion']}) ?? 'Deny') as WebhookSpec['failurePolicy']
  return {url, ...(caFile ? {caFile} : {}), timeoutMs: timeoutMs ?? 3000, failurePolicy}
}

function readTimeout(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text)
  if (!m) return undefined
  const ms = Number(m[1]) * (m[2] === 's' ? 1000 : 1)
  return ms >= 100 && ms <= 30_000 ? ms : undefined
}
