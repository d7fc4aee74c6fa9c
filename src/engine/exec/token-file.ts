import {readFile} from 'node:fs/promises'
import {ErrorList, UsageError} from '../errors.js'
import {parseTokenFile} from '../identity/files.js'
import {tokenAuthenticator, type TokenAuthenticator} from '../identity/tokens.js'
import type {ResolvedIdentity} from '../identity/resolve.js'

/** Reads a static token file (Kubernetes' CSV: `token,user,uid,"group1,group2"`); every bad line is an error. */
export async function loadTokenFile(path: string): Promise<TokenAuthenticator> {
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new UsageError(`cannot read the token file ${path} (spec.authentication.tokenFile): ${err.message}`, {cause: err})
  })
  const {tokens, errors} = parseTokenFile(path, text)
  if (errors.length > 0) throw new ErrorList(errors)
  return tokenAuthenticator(path, tokens)
}

/** The identity of a bearer token, reading the token file given (issue 10's webhook calls this per request). */
export async function userForToken(tokenFile: string, token: string): Promise<ResolvedIdentity | undefined> {
  return (await loadTokenFile(tokenFile)).userForToken(token)
}
