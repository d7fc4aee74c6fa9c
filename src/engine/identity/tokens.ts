import {createHash, timingSafeEqual} from 'node:crypto'
import {impersonate} from '../admission/rbac.js'
import type {ResolvedIdentity} from './resolve.js'
import type {UserEntry} from './files.js'

/**
 * Bearer tokens of Kubernetes' static token file (`spec.authentication.tokenFile`), for
 * the watch daemon's webhook (issue 10). Tokens are compared in constant time.
 */
export interface TokenAuthenticator {
  /** The identity a bearer token stands for, or undefined when it is no known token. */
  userForToken(token: string): ResolvedIdentity | undefined
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

export function tokenAuthenticator(file: string, tokens: ReadonlyMap<string, UserEntry>): TokenAuthenticator {
  const known = [...tokens].map(([token, e]) => ({d: digest(token), e}))
  return {
    userForToken(token) {
      const d = digest(token)
      // Every entry is compared, so the time taken says nothing about which one matched.
      let hit: UserEntry | undefined
      for (const k of known) if (timingSafeEqual(k.d, d)) hit = k.e
      if (!hit || token === '') return undefined
      return {...impersonate(hit.user, hit.groups), ...(hit.uid ? {uid: hit.uid} : {}), method: `bearer token (${file}:${hit.line})`}
    },
  }
}
