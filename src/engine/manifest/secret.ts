import {createHash, scryptSync} from 'node:crypto'
import {ManifestError, type SourcePos} from '../errors.js'
import {Redacted} from '../redacted.js'
import type {KObject, ObjectMeta, SecretBytes, SecretObject} from '../types.js'
import {podSpecOf} from './env.js'
import type {FieldReader} from './field-reader.js'
import {isRecord} from './yaml-docs.js'

/** The first line of an age-armored value (docs/secrets.md): what "encrypted" means in a Secret. */
export const AGE_ARMOR = '-----BEGIN AGE ENCRYPTED FILE-----'
const KEY = /^[-._a-zA-Z0-9]+$/

/** Keys each built-in Secret type must hold, as the API server checks them. */
export const SECRET_TYPE_KEYS: Record<string, {all?: string[]; oneOf?: string[]}> = {
  Opaque: {},
  'kubernetes.io/tls': {all: ['tls.crt', 'tls.key']},
  'kubernetes.io/dockerconfigjson': {all: ['.dockerconfigjson']},
  'kubernetes.io/dockercfg': {all: ['.dockercfg']},
  'kubernetes.io/basic-auth': {oneOf: ['username', 'password']},
  'kubernetes.io/ssh-auth': {all: ['ssh-privatekey']},
  'kubernetes.io/service-account-token': {},
  'bootstrap.kubernetes.io/token': {},
}

/** A Secret as read from git, and where its unencrypted values stand (load.ts refuses them unless the cluster allows). */
export interface SecretRead {
  object: SecretObject
  plaintext: SourcePos[]
}

/** Whether a value is one age-armored file. */
export function isEncrypted(v: string): boolean {
  return v.trimStart().startsWith(AGE_ARMOR)
}

/**
 * Reads a Secret. Values are never put in a message: an error names the key alone.
 * Encrypted values are kept as written (decrypted later, exec/secrets.ts); plaintext
 * ones become values at once, and their positions are returned.
 */
export function readSecret(r: FieldReader, apiVersion: string, source: SourcePos, metadata: ObjectMeta): SecretRead {
  const type = r.str(['type']) || 'Opaque'
  const encrypted: Record<string, string> = {}
  const values: Record<string, SecretBytes> = {}
  const plaintext: SourcePos[] = []
  const keys = new Set<string>()
  for (const field of ['data', 'stringData'] as const) {
    const map = r.get([field])
    if (map === undefined || map === null) continue
    if (!isRecord(map)) {
      r.fail([field], 'must be a map of keys to values')
      continue
    }
    for (const [k, v] of Object.entries(map)) {
      if (!KEY.test(k) || k === '.' || k === '..' || k.length > 253) r.fail([field, k], `Invalid value: "${k}": a valid secret key must consist of alphanumeric characters, '-', '_' or '.'`)
      if (typeof v !== 'string') {
        r.fail([field, k], 'must be a string (the value is not shown)')
        continue
      }
      keys.add(k)
      if (isEncrypted(v)) {
        if (field === 'stringData') r.fail([field, k], 'an encrypted value belongs in data, not stringData')
        else encrypted[k] = v
        continue
      }
      plaintext.push(r.doc.posOf([field, k]))
      if (field === 'stringData') values[k] = Redacted.fromText(v)
      else if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v.replace(/\s/g, ''))) r.fail([field, k], 'must be base64 text or an age-encrypted value (the value is not shown)')
      else values[k] = new Redacted(new Uint8Array(Buffer.from(v, 'base64')))
    }
  }
  checkType(r, type, keys, metadata)
  const object: SecretObject = {kind: 'Secret', apiVersion, source, metadata, type, keys: [...keys].sort(), encrypted, immutable: r.bool(['immutable']) ?? false}
  if (Object.keys(encrypted).length === 0) object.values = values
  else if (Object.keys(values).length > 0) object.values = values
  return {object, plaintext}
}

function checkType(r: FieldReader, type: string, keys: Set<string>, metadata: ObjectMeta): void {
  const want = SECRET_TYPE_KEYS[type]
  if (!want) return
  for (const k of want.all ?? []) if (!keys.has(k)) r.fail(['data'], `a Secret of type ${type} must have the key "${k}"`)
  if (want.oneOf && !want.oneOf.some((k) => keys.has(k))) r.fail(['data'], `a Secret of type ${type} must have at least one of the keys ${want.oneOf.map((k) => `"${k}"`).join(', ')}`)
  if (type === 'kubernetes.io/service-account-token' && !metadata.annotations['kubernetes.io/service-account.name']) r.fail(['metadata', 'annotations'], `a Secret of type ${type} must have the annotation "kubernetes.io/service-account.name"`)
}

/**
 * A slow, salted hash of a Secret's values (scrypt, salted with its namespace and name):
 * plans and the nodes compare it, and it is what they show of a change. Slow, so that a
 * weak value cannot be guessed from it by trying candidates quickly.
 */
export function secretDigest(s: Pick<SecretObject, 'metadata' | 'keys' | 'values'>): string {
  const h = createHash('sha256')
  for (const k of s.keys) {
    const v = s.values?.[k]?.reveal() ?? new Uint8Array()
    h.update(`${k}\0${v.length}\0`).update(v)
  }
  return scryptSync(h.digest(), `kgit.dev/secret/${s.metadata.namespace}/${s.metadata.name}`, 8, {N: 1 << 14, r: 8, p: 1}).toString('hex')
}

/** Where a revision's Secrets are used as env: a value with a line break or NUL cannot go through an env file. */
export function checkSecretEnvValues(objects: readonly KObject[]): ManifestError[] {
  const secrets = new Map(objects.filter((o): o is SecretObject => o.kind === 'Secret').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]))
  const errors: ManifestError[] = []
  const seen = new Set<string>()
  for (const o of objects) {
    for (const c of podSpecOf(o)?.spec.containers ?? []) {
      for (const e of c.secretEnv ?? []) {
        const s = secrets.get(`${o.metadata.namespace}/${e.secret}`)
        const v = s?.values?.[e.key]?.reveal()
        const key = `${o.metadata.namespace}/${e.secret}/${e.key}`
        if (!s || !v || seen.has(key) || !(v.includes(10) || v.includes(13) || v.includes(0))) continue
        seen.add(key)
        errors.push(new ManifestError({...o.source, path: `containers ${c.name} env ${e.name}`}, `key "${e.key}" of Secret "${e.secret}" holds a line break or NUL byte: kgit passes secret variables through an env file, which cannot hold one (mount the key as a file instead; the value is not shown)`))
      }
    }
  }
  return errors
}
