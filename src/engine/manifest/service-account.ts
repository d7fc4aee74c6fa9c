import type {SourcePos} from '../errors.js'
import type {ObjectMeta, ServiceAccountObject} from '../types.js'
import type {FieldReader} from './field-reader.js'
import type {PathPart} from './yaml-docs.js'

/** Where the key that signs service account tokens lives in the revision (an encrypted Secret, docs/secrets.md). */
export const SA_KEY_SECRET = {namespace: 'kube-system', name: 'kgit-service-account-key', key: 'key.pem'} as const

/** A ServiceAccount (v1): whether its pods get a token, and its image pull Secrets. */
export function readServiceAccount(r: FieldReader, apiVersion: string, source: SourcePos, metadata: ObjectMeta): ServiceAccountObject {
  const automount = r.bool(['automountServiceAccountToken'])
  const pulls = (r.list(['imagePullSecrets']) ?? []).map((_, i) => r.str(['imagePullSecrets', i, 'name'], {required: true}) ?? '')
  return {kind: 'ServiceAccount', apiVersion, source, metadata, ...(automount !== undefined ? {automountServiceAccountToken: automount} : {}), imagePullSecrets: pulls}
}

/** The pod's serviceAccountName (or the deprecated serviceAccount) and automountServiceAccountToken, kept only when given. */
export function readPodAccount(r: FieldReader, base: PathPart[]): {serviceAccountName?: string; automountServiceAccountToken?: boolean} {
  const name = r.str([...base, 'serviceAccountName']) || r.str([...base, 'serviceAccount'])
  const automount = r.bool([...base, 'automountServiceAccountToken'])
  return {...(name && name !== 'default' ? {serviceAccountName: name} : {}), ...(automount !== undefined ? {automountServiceAccountToken: automount} : {})}
}
