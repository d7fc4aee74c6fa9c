import {createHash} from 'node:crypto'
import {BugError} from '../errors.js'
import {Redacted} from '../redacted.js'
import type {ConfigMapObject, DesiredPod, FilesVolumeSource, KObject, PodFile, PodFiles, SecretBytes, SecretObject, ServiceAccountObject} from '../types.js'
import {SA_KEY_SECRET} from '../manifest/service-account.js'
import {podAccount, SA_VOLUME, serviceAccountFiles, type AccountLookup} from './service-account-token.js'

type Resolver = (pod: DesiredPod) => PodFiles | undefined

/**
 * The files kgit writes on a node for a pod (its configMap and secret volumes, its
 * secret env files), from the revision's ConfigMaps and decrypted Secrets. Pods of one
 * template share the answer. Secret values enter hashes only through the Secret's
 * digest (exec/secrets.ts), never directly.
 */
export function podFilesResolver(objects: readonly KObject[], cluster = ''): Resolver {
  const maps = new Map<string, ConfigMapObject>()
  const secrets = new Map<string, SecretObject>()
  const accounts = new Map<string, ServiceAccountObject>()
  for (const o of objects) {
    if (o.kind === 'ConfigMap') maps.set(`${o.metadata.namespace}/${o.metadata.name}`, o)
    if (o.kind === 'Secret') secrets.set(`${o.metadata.namespace}/${o.metadata.name}`, o)
    if (o.kind === 'ServiceAccount') accounts.set(`${o.metadata.namespace}/${o.metadata.name}`, o)
  }
  const keyed = secrets.has(`${SA_KEY_SECRET.namespace}/${SA_KEY_SECRET.name}`)
  const cache = new Map<string, PodFiles | undefined>()
  return (pod) => {
    const vols = (pod.spec.volumes ?? []).filter((v) => 'configMap' in v || 'secret' in v)
    const envs = pod.spec.containers.filter((c) => c.secretEnv?.length)
    const at: AccountLookup = {account: (n) => accounts.get(`${pod.namespace}/${n}`), secret: (ns, n) => secrets.get(`${ns}/${n}`), cluster}
    const account = podAccount(pod, at)
    // The ServiceAccount admission plugin: the account's pull Secrets when the pod names none.
    const pulls = pod.spec.imagePullSecrets ?? account.account?.imagePullSecrets ?? []
    const token = keyed && (pod.spec.automountServiceAccountToken ?? account.account?.automountServiceAccountToken ?? true)
    if (vols.length === 0 && envs.length === 0 && pulls.length === 0 && !token) return undefined
    const key = `${pod.namespace}\0${JSON.stringify(vols)}\0${JSON.stringify(envs.map((c) => [c.name, c.secretEnv]))}\0${pulls.join(',')}\0${token ? account.name : ''}`
    if (!cache.has(key)) cache.set(key, build({...pod, spec: {...pod.spec, imagePullSecrets: pulls}}, {configMap: (n) => maps.get(`${pod.namespace}/${n}`), secret: (n) => secrets.get(`${pod.namespace}/${n}`), accounts: at}))
    return cache.get(key)
  }
}

interface Lookup {
  configMap: (name: string) => ConfigMapObject | undefined
  secret: (name: string) => SecretObject | undefined
  accounts?: AccountLookup
}

function build(pod: DesiredPod, at: Lookup): PodFiles {
  const volHash = createHash('sha256')
  const volumes: PodFiles['volumes'] = []
  for (const v of pod.spec.volumes ?? []) {
    const files = 'configMap' in v ? configMapFiles(v.configMap, at.configMap(v.configMap.name)) : 'secret' in v ? secretFiles(v.secret, at.secret(v.secret.name)) : undefined
    if (!files) continue
    volumes.push({name: v.name, files: files.files})
    volHash.update(`${v.name}\0${files.hash}\0`)
  }
  const token = at.accounts ? serviceAccountFiles(pod, at.accounts) : undefined
  if (token) {
    volumes.push({name: SA_VOLUME, files: token})
    const h = createHash('sha256')
    for (const f of token) h.update(`${f.path}\0`).update(f.data instanceof Uint8Array ? f.data : f.data.reveal()).update('\0')
    volHash.update(`${SA_VOLUME}\0${h.digest('hex')}\0`)
  }
  const auth = pullCredentials(pod.spec.imagePullSecrets ?? [], at.secret)
  if (auth) volHash.update(`auth\0${auth.hash}\0`)
  const envHash = createHash('sha256')
  const env: PodFiles['env'] = []
  for (const c of pod.spec.containers) {
    if (!c.secretEnv?.length) continue
    const lines: string[] = []
    for (const e of c.secretEnv) {
      const s = at.secret(e.secret)
      const value = s?.values?.[e.key]
      if (!s || !value) continue
      lines.push(`${e.name}=${new TextDecoder().decode(value.reveal())}`)
      envHash.update(`${c.name}\0${e.name}\0${e.secret}\0${e.key}\0${digestOf(s)}\0`)
    }
    env.push({container: c.name, text: Redacted.fromText(lines.join('\n') + '\n')})
  }
  return {volumes, env, ...(auth ? {auth: auth.bytes} : {}), hash: volHash.digest('hex').slice(0, 16), envHash: env.length > 0 ? envHash.digest('hex').slice(0, 16) : '-'}
}

/** The `auths` of every pull Secret merged into one auth file (the first Secret naming a registry wins, as the kubelet tries them in order). */
function pullCredentials(names: string[], secret: Lookup['secret']): {bytes: SecretBytes; hash: string} | undefined {
  const auths: Record<string, unknown> = {}
  const h = createHash('sha256')
  for (const name of names) {
    const s = secret(name)
    const raw = s?.values?.['.dockerconfigjson']
    if (!s || !raw) continue
    h.update(`${name}\0${digestOf(s)}\0`)
    try {
      const parsed = JSON.parse(new TextDecoder().decode(raw.reveal())) as {auths?: Record<string, unknown>}
      for (const [registry, cred] of Object.entries(parsed.auths ?? {})) if (!(registry in auths)) auths[registry] = cred
    } catch {
      // Not JSON: the node gets no credentials from it (validation of the value would print it).
    }
  }
  return names.length > 0 ? {bytes: Redacted.fromText(JSON.stringify({auths})), hash: h.digest('hex').slice(0, 16)} : undefined
}

/** What the node's hash file holds for these files (argv/pod-files.ts writes it, facts read it). */
export function filesHashLine(f: PodFiles): string {
  return `${f.hash} ${f.envHash}`
}

/** The key -> path/mode projection of a configMap or secret volume (every key when `items` is absent). */
function project(src: FilesVolumeSource, keys: string[], bytes: (key: string) => Uint8Array | SecretBytes | undefined): PodFile[] {
  const items: {key: string; path: string; mode?: number}[] = src.items ?? keys.map((key) => ({key, path: key}))
  const out: PodFile[] = []
  for (const it of items) {
    const data = bytes(it.key)
    if (data !== undefined) out.push({path: it.path, mode: it.mode ?? src.defaultMode, data})
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

function configMapFiles(src: FilesVolumeSource, cm: ConfigMapObject | undefined): {files: PodFile[]; hash: string} {
  const enc = new TextEncoder()
  const bytes = (k: string): Uint8Array | undefined => (Object.hasOwn(cm?.data ?? {}, k) ? enc.encode(cm!.data[k]) : Object.hasOwn(cm?.binaryData ?? {}, k) ? new Uint8Array(Buffer.from(cm!.binaryData[k]!.replace(/\s/g, ''), 'base64')) : undefined)
  const files = cm ? project(src, [...Object.keys(cm.data), ...Object.keys(cm.binaryData)].sort(), bytes) : []
  const h = createHash('sha256')
  for (const f of files) h.update(`${f.path}\0${f.mode}\0`).update(f.data instanceof Uint8Array ? f.data : f.data.reveal()).update('\0')
  return {files, hash: h.digest('hex').slice(0, 16)}
}

function secretFiles(src: FilesVolumeSource, s: SecretObject | undefined): {files: PodFile[]; hash: string} {
  const files = s ? project(src, s.keys, (k) => s.values?.[k]) : []
  const h = createHash('sha256').update(s ? digestOf(s) : '-')
  for (const f of files) h.update(`\0${f.path}\0${f.mode}`)
  return {files, hash: h.digest('hex').slice(0, 16)}
}

function digestOf(s: SecretObject): string {
  if (!s.values || s.digest === undefined) throw new BugError(`Secret ${s.metadata.namespace}/${s.metadata.name} was not decrypted before the plan`)
  return s.digest
}
