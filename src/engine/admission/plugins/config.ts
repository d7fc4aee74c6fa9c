import type {FieldReader} from '../../manifest/field-reader.js'
import type {PathPart} from '../../manifest/yaml-docs.js'
import {ADMISSION_ORDER, type AdmissionConfig, type PluginConfig} from '../chain.js'
import {readImagePolicyConfig} from './image-policy-webhook.js'
import {readPodNodeSelectorConfig} from './pod-node-selector.js'

/** Plugins that take a `configuration`, and how it is read (checked as kgit.yaml is read, with file:line). */
const CONFIG_READERS: Record<string, (r: FieldReader, path: PathPart[]) => unknown> = {
  ImagePolicyWebhook: readImagePolicyConfig,
  PodNodeSelector: readPodNodeSelectorConfig,
}

/**
 * kgit.yaml `spec.admission`: `plugins` lists the enabled plugins, each a name or
 * {name, configuration} (as Kubernetes' AdmissionConfiguration). Absent: undefined (the
 * defaults, chain.ts DEFAULT_PLUGINS). A plugin's configuration is stored parsed.
 */
export function readAdmission(r: FieldReader): AdmissionConfig | undefined {
  const base: PathPart[] = ['spec', 'admission']
  if (r.get(base) === undefined) return undefined
  if (!r.map(base)) return undefined
  r.known(base, ['plugins'])
  const items = r.list([...base, 'plugins'], {required: true}) ?? []
  const plugins: PluginConfig[] = []
  const seen = new Map<string, number>()
  items.forEach((item, i) => {
    const p: PathPart[] = [...base, 'plugins', i]
    const named = typeof item === 'string'
    if (!named) {
      r.map(p)
      r.known(p, ['name', 'configuration'])
    }
    const namePath = named ? p : [...p, 'name']
    const name = r.str(namePath, {required: true})
    if (!name) return
    if (!ADMISSION_ORDER.includes(name)) return r.fail(namePath, `Unsupported value: "${name}": supported values: ${ADMISSION_ORDER.map((n) => `"${n}"`).join(', ')}`)
    const dup = seen.get(name)
    if (dup !== undefined) return r.fail(namePath, `${name} is listed twice (also spec.admission.plugins[${dup}])`)
    seen.set(name, i)
    const read = CONFIG_READERS[name]
    const given = !named && r.get([...p, 'configuration']) !== undefined
    if (given && !read) return r.fail([...p, 'configuration'], `${name} takes no configuration`)
    const configuration = read && (given || name === 'ImagePolicyWebhook') ? read(r, [...p, 'configuration']) : undefined
    plugins.push({name, pos: r.doc.posOf(p), ...(configuration !== undefined ? {configuration} : {})})
  })
  return {plugins}
}
