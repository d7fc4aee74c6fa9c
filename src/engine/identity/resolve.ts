import {UsageError} from '../errors.js'
import type {Identity} from '../admission/plugin.js'
import {impersonate} from '../admission/rbac.js'
import type {AuthenticationSpec} from './config.js'
import type {SignatureCheck, UserEntry} from './files.js'

/**
 * Who makes a change (docs/authorization.md), first that applies:
 * 1. the pushing key in a git hook (KGIT_PUSHER_KEY), looked up in the users file;
 * 2. `--as USER [--as-group G]`, when the local user is allowed;
 * 3. the commit's SSH signature, verified against the allowed-signers file, or its GPG
 *    signature, against the GPG keys file;
 * 4. the local user (login name), when allowed.
 * Otherwise the change is refused. Pure: the signature is checked by the caller.
 */

/** The environment variable a git hook sets to the pushing key's fingerprint (`SHA256:...`). */
export const PUSHER_KEY_ENV = 'KGIT_PUSHER_KEY'

export interface ResolvedIdentity extends Identity {
  uid?: string
}

export interface IdentityInputs {
  /** The running revision's spec.authentication (undefined: none configured). */
  auth?: AuthenticationSpec
  /** The users file, by fingerprint, and its name for messages. */
  users?: {file: string; entries: ReadonlyMap<string, UserEntry>}
  pusherKey?: string
  as?: string
  asGroups?: readonly string[]
  /** The login name of whoever runs kgit. */
  localUser: string
  /** The commit's signature as git verified it; undefined when signatures are not configured (or a working tree). */
  signature?: SignatureCheck
}

export function resolveIdentity(i: IdentityInputs): ResolvedIdentity {
  const localAllowed = (i.auth?.localUser ?? 'allow') === 'allow'
  if (i.asGroups?.length && i.as === undefined) throw new UsageError('--as-group needs --as (the user the groups belong to), as in kubectl')
  if (i.pusherKey !== undefined) return fromPusher(i, i.pusherKey)
  if (i.as !== undefined) {
    if (!localAllowed) throw new UsageError(`--as ${i.as} is refused: spec.authentication.localUser is "refuse" (the identity comes from the commit's signature or the pushing key)`)
    if (i.as.trim() === '') throw new UsageError('--as needs a user name')
    return {...impersonate(i.as, i.asGroups ?? []), method: '--as'}
  }
  if (i.signature?.good) return fromSigner(i, i.signature)
  if (localAllowed) return {...impersonate(i.localUser), method: `local user (login name; spec.authentication.localUser allow${i.signature ? `; commit signature not used: ${i.signature.detail}` : ''})`}
  const why = i.signature ? `the commit's signature does not identify anyone (${i.signature.detail})` : 'no allowed-signers or GPG keys file is configured (spec.authentication.allowedSignersFile, gpgKeysFile)'
  throw new UsageError(`no identity for this change: ${why}, no pushing key is given (${PUSHER_KEY_ENV}), and spec.authentication.localUser is "refuse"; sign the commit with a key the allowed-signers file lists (git commit -S with gpg.format=ssh) or one of the GPG keys file`)
}

function fromPusher(i: IdentityInputs, key: string): ResolvedIdentity {
  if (!i.users) throw new UsageError(`${PUSHER_KEY_ENV} is set (${key}) but kgit.yaml names no spec.authentication.usersFile to look it up in`)
  const e = i.users.entries.get(key)
  if (!e) throw new UsageError(`the pushing key ${key} (${PUSHER_KEY_ENV}) is not in ${i.users.file}: the push is refused`)
  return withEntry(e.user, e, `pusher's key ${key} (${i.users.file}:${e.line})`)
}

/**
 * A signer: uid and groups from the users file, by the signing key's fingerprint, else by
 * the user name. An SSH signer's name is the allowed-signers principal (the users file must
 * agree with it); a GPG key names nobody by itself, so its users-file entry gives the user,
 * else the e-mail address of its user ID.
 */
function fromSigner(i: IdentityInputs, s: SignatureCheck): ResolvedIdentity {
  const entries = i.users ? [...i.users.entries] : []
  const byKey = entries.find(([fp]) => fp === s.fingerprint)
  const gpg = s.fingerprint !== undefined && !s.fingerprint.startsWith('SHA256:')
  const user = gpg && byKey ? byKey[1].user : s.principal!
  const byName = entries.find(([, e]) => e.user === user)
  const hit = byKey ?? byName
  const method = `${gpg ? 'GPG-' : ''}signed commit (key ${s.fingerprint ?? '?'}, ${gpg ? `user ID ${s.principal}` : `principal ${user}`}${hit ? `; ${gpg && byKey ? 'user, ' : ''}groups from ${i.users!.file}:${hit[1].line}` : ''})`
  if (!gpg && byKey && byKey[1].user !== user) throw new UsageError(`the commit is signed by key ${s.fingerprint} as "${user}", but ${i.users!.file}:${byKey[1].line} gives that key to "${byKey[1].user}": make them agree`)
  return hit ? withEntry(user, hit[1], method) : {...impersonate(user), method}
}

function withEntry(user: string, e: UserEntry, method: string): ResolvedIdentity {
  return {...impersonate(user, e.groups.length > 0 ? e.groups : []), ...(e.uid ? {uid: e.uid} : {}), method}
}
