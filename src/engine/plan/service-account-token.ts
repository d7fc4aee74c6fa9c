import {createPrivateKey, createPublicKey, sign, createHash} from 'node:crypto'
import {SA_KEY_SECRET} from '../manifest/service-account.js'
import {Redacted} from '../redacted.js'
import type {DesiredPod, PodFile, SecretObject, ServiceAccountObject} from '../types.js'

/** Where Kubernetes mounts a pod's service account token, and the name of kgit's volume for it among the pod's files. */
export const SA_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount'
export const SA_VOLUME = '..serviceaccount'

export interface AccountLookup {
  account: (name: string) => ServiceAccountObject | undefined
  secret: (namespace: string, name: string) => SecretObject | undefined
  cluster: string
}

/** The service account a pod runs as: its own, or its namespace's `default` (which exists whether or not it is in git). */
export function podAccount(pod: DesiredPod, at: AccountLookup): {name: string; account?: ServiceAccountObject} {
  const name = pod.spec.serviceAccountName ?? 'default'
  const account = at.account(name)
  return account ? {name, account} : {name}
}

/**
 * The files of the token volume (token, namespace) when the pod gets one: automount is
 * on (pod, then account, then true) and the revision holds the signing key. The token is
 * a JWT signed with the key (EdDSA), deterministic so that plans stay stable.
 */
export function serviceAccountFiles(pod: DesiredPod, at: AccountLookup): PodFile[] | undefined {
  const {name, account} = podAccount(pod, at)
  if ((pod.spec.automountServiceAccountToken ?? account?.automountServiceAccountToken ?? true) === false) return undefined
  const key = at.secret(SA_KEY_SECRET.namespace, SA_KEY_SECRET.name)?.values?.[SA_KEY_SECRET.key]
  if (!key) return undefined
  const token = signToken(new TextDecoder().decode(key.reveal()), {iss: `kgit.dev/${at.cluster}`, sub: `system:serviceaccount:${pod.namespace}:${name}`, 'kubernetes.io': {namespace: pod.namespace, serviceaccount: {name}}})
  const enc = new TextEncoder()
  return [
    {path: 'namespace', mode: 0o644, data: enc.encode(pod.namespace)},
    {path: 'token', mode: 0o644, data: token},
  ]
}

const b64url = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url')

/** A JWT signed with an Ed25519 private key (PKCS#8 PEM); `kid` is a hash of the public key, as the API server sets it. */
export function signToken(pem: string, claims: Record<string, unknown>): Redacted {
  const key = createPrivateKey(pem)
  const pub = createPublicKey(key).export({type: 'spki', format: 'der'})
  const header = {alg: 'EdDSA', typ: 'JWT', kid: createHash('sha256').update(pub).digest('base64url').slice(0, 43)}
  const body = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`
  return Redacted.fromText(`${body}.${b64url(sign(null, Buffer.from(body), key))}`)
}
