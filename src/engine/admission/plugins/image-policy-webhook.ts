import {dirname, isAbsolute, join} from 'node:path'
import {parse as parseYaml} from 'yaml'
import type {FieldReader} from '../../manifest/field-reader.js'
import type {PathPart} from '../../manifest/yaml-docs.js'
import type {KObject} from '../../types.js'
import type {AdmissionPlugin, Denial} from '../plugin.js'
import {deny, podSpecAt, written} from './common.js'

/** `configuration.imagePolicy` of kgit.yaml, with Kubernetes' defaults filled in. */
export interface ImagePolicyConfig {
  /** A kubeconfig naming the webhook (server, certificate-authority, client credentials), as Kubernetes takes it... */
  kubeConfigFile?: string
  /** ...or the webhook's https URL and the CA that signed its certificate (kgit's shorthand). */
  url?: string
  caFile?: string
  /** Seconds an answer is remembered: allowed, refused. */
  allowTTL: number
  denyTTL: number
  /** Milliseconds before the first retry of a webhook that cannot be reached (doubled for the second). */
  retryBackoff: number
  /** What happens when the webhook cannot be asked: admit (true) or refuse (false). */
  defaultAllow: boolean
  /** Seconds one call may take. */
  timeoutSeconds: number
}

/** Where a review is sent: the webhook's URL and the TLS material, as PEM text. */
export interface ReviewTarget {
  url: string
  ca?: string
  cert?: string
  key?: string
  token?: string
}

/** The effects the plugin needs, given by exec/image-review.ts (admission/ itself does no I/O). */
export interface ReviewIO {
  readFile(path: string): Promise<string>
  post(target: ReviewTarget, body: string, timeoutMs: number): Promise<{status: number; body: string}>
  sleep?(ms: number): Promise<void>
  now?(): number
}

const PATH_FIELDS = ['kubeConfigFile', 'caFile'] as const

/** Reads `configuration` of ImagePolicyWebhook: {imagePolicy: {...}}, as Kubernetes' ImagePolicyWebhookConfiguration. */
export function readImagePolicyConfig(r: FieldReader, path: PathPart[]): ImagePolicyConfig {
  const p = [...path, 'imagePolicy']
  // Only the first missing level is reported.
  const missing = !r.map(path, {required: true}) || (r.known(path, ['imagePolicy']), !r.map(p, {required: true}))
  r.known(p, ['kubeConfigFile', 'url', 'caFile', 'allowTTL', 'denyTTL', 'retryBackoff', 'defaultAllow', 'timeoutSeconds'])
  const cfg: ImagePolicyConfig = {
    allowTTL: r.int([...p, 'allowTTL'], {min: 0, max: 86400}) ?? 300,
    denyTTL: r.int([...p, 'denyTTL'], {min: 0, max: 86400}) ?? 30,
    retryBackoff: r.int([...p, 'retryBackoff'], {min: 1, max: 60000}) ?? 500,
    defaultAllow: r.bool([...p, 'defaultAllow']) ?? false,
    timeoutSeconds: r.int([...p, 'timeoutSeconds'], {min: 1, max: 60}) ?? 10,
  }
  for (const f of PATH_FIELDS) {
    const v = r.str([...p, f])
    if (v === undefined) continue
    if (!isAbsolute(v) && !v.startsWith('~/')) r.fail([...p, f], `must be an absolute path (or ~/...) on the machine that runs kgit, got "${v}"`)
    cfg[f] = v
  }
  const url = r.str([...p, 'url'])
  if (url !== undefined) {
    if (!/^https:\/\/[^/\s]+/.test(url)) r.fail([...p, 'url'], `must be an https:// URL, got "${url}"`)
    cfg.url = url
  }
  if (!missing && (cfg.url === undefined) === (cfg.kubeConfigFile === undefined)) r.fail(p, 'needs exactly one of kubeConfigFile and url')
  if (cfg.caFile !== undefined && cfg.url === undefined) r.fail([...p, 'caFile'], 'goes with url (a kubeConfigFile names its own certificate-authority)')
  return cfg
}

interface Review {
  body: string
  images: string[]
  object: KObject
  path: string
}

/** The ImageReview Kubernetes sends for one pod: its images, its *.image-policy.k8s.io/* annotations, its namespace. */
export function imageReview(o: KObject): Review | undefined {
  const at = podSpecAt(o)
  if (!at) return undefined
  const annotations = Object.fromEntries(Object.entries(at.annotations).filter(([k]) => /^[^/]*\.image-policy\.k8s\.io\//.test(k)).sort(([a], [b]) => (a < b ? -1 : 1)))
  const images = at.spec.containers.map((c) => c.image)
  const spec = {containers: images.map((image) => ({image})), ...(Object.keys(annotations).length > 0 ? {annotations} : {}), namespace: o.metadata.namespace}
  return {body: JSON.stringify({apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', spec}), images, object: o, path: `${at.path}.containers`}
}

type Verdict = {allowed: boolean; reason: string} | {error: string}

/**
 * Kubernetes' ImagePolicyWebhook: the images of every Pod and pod template the change
 * creates or updates are sent to a webhook as an ImageReview (imagepolicy.k8s.io/v1alpha1)
 * over HTTPS; status.allowed false refuses the object with status.reason. A webhook that
 * cannot be asked (after two retries) admits or refuses by defaultAllow. Answers are kept
 * for allowTTL / denyTTL seconds, per review.
 */
export function imagePolicyWebhook(io: ReviewIO): AdmissionPlugin {
  const cache = new Map<string, {allowed: boolean; reason: string; until: number}>()
  const now = (): number => io.now?.() ?? Date.now()
  const ask = async (cfg: ImagePolicyConfig, target: ReviewTarget, body: string): Promise<Verdict> => {
    const key = `${target.url}\n${body}`
    const hit = cache.get(key)
    if (hit && hit.until > now()) return hit
    let error = ''
    for (let attempt = 0; attempt < 3; attempt++) {
      if (attempt > 0) await (io.sleep ?? ((ms) => new Promise<void>((ok) => setTimeout(ok, ms))))(cfg.retryBackoff * 2 ** (attempt - 1))
      const v = await askOnce(io, target, body, cfg.timeoutSeconds * 1000)
      if ('allowed' in v) {
        cache.set(key, {...v, until: now() + (v.allowed ? cfg.allowTTL : cfg.denyTTL) * 1000})
        return v
      }
      error = v.error
    }
    return {error}
  }
  return {
    name: 'ImagePolicyWebhook',
    mutating: false,
    async admit(req, config) {
      const cfg = config as ImagePolicyConfig
      const reviews = written(req).map(imageReview).filter((r): r is Review => r !== undefined)
      if (reviews.length === 0) return []
      let target: ReviewTarget
      try {
        target = await reviewTarget(io, cfg)
      } catch (err) {
        return cfg.defaultAllow ? [] : reviews.map((r) => deny('ImagePolicyWebhook', r.object, `the image policy webhook cannot be asked (${(err as Error).message}) and defaultAllow is false`, r.path))
      }
      const verdicts = await Promise.all(reviews.map((r) => ask(cfg, target, r.body)))
      const denials: Denial[] = []
      reviews.forEach((r, i) => {
        const v = verdicts[i]!
        const images = r.images.join(', ')
        if ('error' in v) {
          if (!cfg.defaultAllow) denials.push(deny('ImagePolicyWebhook', r.object, `the image policy webhook ${target.url} cannot be asked about ${images} (${v.error}) and defaultAllow is false`, r.path))
        } else if (!v.allowed) denials.push(deny('ImagePolicyWebhook', r.object, `image policy webhook backend denied one or more images (${images}): ${v.reason || 'no reason given'}`, r.path))
      })
      return denials
    },
  }
}

async function askOnce(io: ReviewIO, target: ReviewTarget, body: string, timeoutMs: number): Promise<Verdict> {
  let res: {status: number; body: string}
  try {
    res = await io.post(target, body, timeoutMs)
  } catch (err) {
    return {error: (err as Error).message}
  }
  if (res.status < 200 || res.status > 299) return {error: `HTTP ${res.status}${res.body.trim() ? `: ${res.body.trim().slice(0, 200)}` : ''}`}
  try {
    const status = (JSON.parse(res.body) as {status?: {allowed?: unknown; reason?: unknown}}).status
    if (typeof status?.allowed !== 'boolean') return {error: 'the answer has no status.allowed'}
    return {allowed: status.allowed, reason: typeof status.reason === 'string' ? status.reason : ''}
  } catch {
    return {error: 'the answer is not JSON'}
  }
}

/** The webhook's URL and TLS material, from the kubeconfig file or from url + caFile. */
export async function reviewTarget(io: ReviewIO, cfg: ImagePolicyConfig): Promise<ReviewTarget> {
  if (cfg.url) return {url: cfg.url, ...(cfg.caFile ? {ca: await io.readFile(cfg.caFile)} : {})}
  const file = cfg.kubeConfigFile!
  const kc = parseYaml(await io.readFile(file)) as Kubeconfig | null
  const ctx = kc?.contexts?.find((c) => c.name === kc['current-context'])?.context
  const cluster = (kc?.clusters?.find((c) => c.name === ctx?.cluster) ?? kc?.clusters?.[0])?.cluster
  const user = (kc?.users?.find((u) => u.name === ctx?.user) ?? kc?.users?.[0])?.user ?? {}
  if (!cluster?.server?.startsWith('https://')) throw new Error(`${file}: the cluster's server must be an https:// URL`)
  const pem = async (data?: string, path?: string): Promise<string | undefined> => (data ? Buffer.from(data, 'base64').toString() : path ? io.readFile(isAbsolute(path) ? path : join(dirname(file), path)) : undefined)
  const [ca, cert, key] = await Promise.all([pem(cluster['certificate-authority-data'], cluster['certificate-authority']), pem(user['client-certificate-data'], user['client-certificate']), pem(user['client-key-data'], user['client-key'])])
  return {url: cluster.server, ...(ca ? {ca} : {}), ...(cert ? {cert} : {}), ...(key ? {key} : {}), ...(user.token ? {token: user.token} : {})}
}

interface Kubeconfig {
  'current-context'?: string
  clusters?: {name: string; cluster: {server?: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string}}[]
  users?: {name: string; user: {token?: string; 'client-certificate'?: string; 'client-certificate-data'?: string; 'client-key'?: string; 'client-key-data'?: string}}[]
  contexts?: {name: string; context: {cluster?: string; user?: string}}[]
}
