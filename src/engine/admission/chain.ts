import {AdmissionError, formatPos, type SourcePos} from '../errors.js'
import type {AdmissionPlugin, AdmissionRequest, Denial} from './plugin.js'
import {AlwaysAdmit, AlwaysDeny} from './plugins/always.js'
import {AlwaysPullImages} from './plugins/always-pull-images.js'
import {DefaultStorageClass} from './plugins/default-storage-class.js'
import {DenyEscalatingExec} from './plugins/deny-escalating-exec.js'
import {imagePolicyWebhook, type ReviewIO} from './plugins/image-policy-webhook.js'
import {NamespaceAutoProvision, NamespaceExists, NamespaceLifecycle} from './plugins/namespace.js'
import {PodNodeSelector} from './plugins/pod-node-selector.js'
import {LimitRanger, ResourceQuota} from './plugins/resources.js'
import {ServiceAccount} from './plugins/service-account.js'
import {podSecurityPolicy} from './pod-security-policy.js'
import {securityContextDeny} from './security-context-deny.js'

/**
 * The admission chain: the plugins kgit.yaml `spec.admission.plugins` enables, mutating
 * ones first in the documented order (ADMISSION_ORDER), then the validating ones; every
 * denial of every plugin is reported together.
 */

/** One entry of `spec.admission.plugins`: a plugin's name and its `configuration`, as read. */
export interface PluginConfig {
  name: string
  configuration?: unknown
  pos: SourcePos
}

/** kgit.yaml `spec.admission`. */
export interface AdmissionConfig {
  plugins: PluginConfig[]
}

/** The webhook's HTTPS calls and file reads happen in exec/ (loaded when a review is first sent). */
const reviewIO: ReviewIO = {
  readFile: async (path) => (await import('../exec/image-review.js')).readLocalFile(path),
  post: async (target, body, timeoutMs) => (await import('../exec/image-review.js')).postReview(target, body, timeoutMs),
}

/** Every plugin kgit has, by Kubernetes' name. Plugin files register here. */
export const PLUGINS: Record<string, AdmissionPlugin> = {
  AlwaysAdmit,
  NamespaceAutoProvision,
  NamespaceLifecycle,
  NamespaceExists,
  SecurityContextDeny: securityContextDeny,
  LimitRanger,
  ServiceAccount,
  PodNodeSelector,
  AlwaysPullImages,
  DefaultStorageClass,
  PodSecurityPolicy: podSecurityPolicy,
  DenyEscalatingExec,
  ImagePolicyWebhook: imagePolicyWebhook(reviewIO),
  ResourceQuota,
  AlwaysDeny,
}

/** The order plugins run in, whatever order kgit.yaml lists them in (Kubernetes' recommended order). */
export const ADMISSION_ORDER = [
  'AlwaysAdmit',
  'NamespaceAutoProvision',
  'NamespaceLifecycle',
  'NamespaceExists',
  'SecurityContextDeny',
  'LimitRanger',
  'ServiceAccount',
  'PodNodeSelector',
  'AlwaysPullImages',
  'DefaultStorageClass',
  'PodSecurityPolicy',
  'DenyEscalatingExec',
  'ImagePolicyWebhook',
  'ResourceQuota',
  'AlwaysDeny',
]

/**
 * The plugins on when kgit.yaml has no spec.admission: what kgit always did (LimitRanger,
 * ResourceQuota, namespaces must exist, Pods' ServiceAccounts must exist) and Kubernetes'
 * default-enabled plugins that refuse nothing a valid revision holds.
 */
export const DEFAULT_PLUGINS = ['NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'DefaultStorageClass', 'ResourceQuota']

export const DEFAULT_ADMISSION: AdmissionConfig = {plugins: DEFAULT_PLUGINS.map((name) => ({name, pos: {file: 'kgit.yaml', path: 'spec.admission'}}))}

/** Whether kgit.yaml enables a plugin (the defaults when it has no spec.admission). */
export function enabled(config: AdmissionConfig | undefined, name: string): boolean {
  return (config ?? DEFAULT_ADMISSION).plugins.some((p) => p.name === name)
}

/** Runs the enabled plugins over a change: mutating first, then validating; all denials together. */
export async function admit(req: AdmissionRequest, config: AdmissionConfig | undefined): Promise<Denial[]> {
  return run(req, config ?? DEFAULT_ADMISSION, () => true)
}

/**
 * Only the mutating plugins: what every read of a revision does (get, describe...), so that
 * the objects kgit plans with are the same whether or not the change is being admitted.
 * Mutations are deterministic and idempotent (kgit keeps no mutated copy: each read redoes them).
 */
export async function mutate(req: AdmissionRequest, config: AdmissionConfig | undefined): Promise<Denial[]> {
  return run(req, config ?? DEFAULT_ADMISSION, (p) => p.mutating)
}

async function run(req: AdmissionRequest, config: AdmissionConfig, which: (p: AdmissionPlugin) => boolean): Promise<Denial[]> {
  const rank = (name: string): number => {
    const i = ADMISSION_ORDER.indexOf(name)
    return i < 0 ? ADMISSION_ORDER.length : i
  }
  const enabled = config.plugins
    .map((c) => ({c, plugin: PLUGINS[c.name]}))
    .filter((e): e is {c: PluginConfig; plugin: AdmissionPlugin} => e.plugin !== undefined && which(e.plugin))
    .sort((a, b) => Number(b.plugin.mutating) - Number(a.plugin.mutating) || rank(a.c.name) - rank(b.c.name))
  const denials: Denial[] = []
  for (const {c, plugin} of enabled) denials.push(...(await plugin.admit(req, c.configuration)))
  return denials
}

/** One denial in words: the object, where it is written, the rule, and the plugin that applied it. */
export function denialMessage(d: Denial): string {
  return `${d.kind} ${d.namespace ? `${d.namespace}/` : ''}${d.name} (${formatPos(d.pos)}): ${d.rule} (admission plugin ${d.plugin})`
}

/** Denials as errors (`kgit validate -o json` shows their file and line). */
export function denialErrors(denials: Denial[]): AdmissionError[] {
  return denials.map((d) => new AdmissionError(d.pos, denialMessage(d)))
}
