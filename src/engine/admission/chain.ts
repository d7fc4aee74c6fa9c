import type {SourcePos} from '../errors.js'
import type {AdmissionPlugin, AdmissionRequest, Denial} from './plugin.js'

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

/** Every plugin kgit has, by Kubernetes' name. Plugin files register here. */
export const PLUGINS: Record<string, AdmissionPlugin> = {}

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

/** Runs the enabled plugins over a change: mutating first, then validating; all denials together. */
export async function admit(req: AdmissionRequest, config: AdmissionConfig): Promise<Denial[]> {
  const rank = (name: string): number => {
    const i = ADMISSION_ORDER.indexOf(name)
    return i < 0 ? ADMISSION_ORDER.length : i
  }
  const enabled = config.plugins
    .map((c) => ({c, plugin: PLUGINS[c.name]}))
    .filter((e): e is {c: PluginConfig; plugin: AdmissionPlugin} => e.plugin !== undefined)
    .sort((a, b) => Number(b.plugin.mutating) - Number(a.plugin.mutating) || rank(a.c.name) - rank(b.c.name))
  const denials: Denial[] = []
  for (const {c, plugin} of enabled) denials.push(...(await plugin.admit(req, c.configuration)))
  return denials
}
