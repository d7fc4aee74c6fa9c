import type {FieldReader} from '../../manifest/field-reader.js'
import type {PathPart} from '../../manifest/yaml-docs.js'
import type {AdmissionPlugin, Denial} from '../plugin.js'
import {deny, podSpecAt} from './common.js'

export const NODE_SELECTOR_ANNOTATION = 'scheduler.alpha.kubernetes.io/node-selector'

/** `configuration.podNodeSelectorPluginConfig` of kgit.yaml, parsed: selectors as label maps. */
export interface PodNodeSelectorConfig {
  clusterDefaultNodeSelector: Record<string, string>
  /** namespace -> the labels its pods' node selectors may hold (a whitelist). */
  namespaces: Record<string, Record<string, string>>
}

/** A label selector as Kubernetes writes it in this plugin: `k=v,k2=v2` (equality only); undefined when malformed. */
export function parseSelector(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9][-A-Za-z0-9_./]*)\s*==?\s*([-A-Za-z0-9_.]*)$/.exec(part)
    if (!m) return undefined
    out[m[1]!] = m[2]!
  }
  return out
}

const show = (s: Record<string, string>): string => Object.entries(s).map(([k, v]) => `${k}=${v}`).join(',')

/** Reads `configuration` of PodNodeSelector: {podNodeSelectorPluginConfig: {clusterDefaultNodeSelector, NAMESPACE: selector...}}. */
export function readPodNodeSelectorConfig(r: FieldReader, path: PathPart[]): PodNodeSelectorConfig {
  r.map(path)
  r.known(path, ['podNodeSelectorPluginConfig'])
  const base = [...path, 'podNodeSelectorPluginConfig']
  const m = r.map(base) ?? {}
  const out: PodNodeSelectorConfig = {clusterDefaultNodeSelector: {}, namespaces: {}}
  for (const key of Object.keys(m)) {
    const text = r.str([...base, key]) ?? ''
    const sel = parseSelector(text)
    if (!sel) r.fail([...base, key], `must be a node selector such as "env=prod,zone=a", got "${text}"`)
    else if (key === 'clusterDefaultNodeSelector') out.clusterDefaultNodeSelector = sel
    else out.namespaces[key] = sel
  }
  return out
}

/**
 * Kubernetes' PodNodeSelector: the namespace's node selector (its annotation
 * scheduler.alpha.kubernetes.io/node-selector, else clusterDefaultNodeSelector) is merged
 * into each pod's nodeSelector; a pod that asks for another value of one of its labels is
 * refused, and so is a merged selector outside the namespace's whitelist in the configuration.
 */
export const PodNodeSelector: AdmissionPlugin = {
  name: 'PodNodeSelector',
  mutating: true,
  admit(req, config) {
    const cfg = (config as PodNodeSelectorConfig | undefined) ?? {clusterDefaultNodeSelector: {}, namespaces: {}}
    const nsSelector = new Map<string, Record<string, string> | undefined>()
    for (const o of req.desired.objects) if (o.kind === 'Namespace' && o.metadata.annotations[NODE_SELECTOR_ANNOTATION] !== undefined) nsSelector.set(o.metadata.name, parseSelector(o.metadata.annotations[NODE_SELECTOR_ANNOTATION]!))
    const denials: Denial[] = []
    for (const o of req.desired.objects) {
      const at = podSpecAt(o)
      if (!at || o.metadata.namespace === '') continue
      const ns = o.metadata.namespace
      if (nsSelector.has(ns) && nsSelector.get(ns) === undefined) {
        denials.push(deny('PodNodeSelector', o, `namespace ${ns}'s annotation ${NODE_SELECTOR_ANNOTATION} is not a node selector ("k=v,k2=v2")`))
        continue
      }
      const wanted = nsSelector.has(ns) ? nsSelector.get(ns)! : cfg.clusterDefaultNodeSelector
      const own = at.spec.nodeSelector ?? {}
      const clash = Object.keys(wanted).filter((k) => own[k] !== undefined && own[k] !== wanted[k])
      if (clash.length > 0) {
        denials.push(deny('PodNodeSelector', o, `pod node label selector conflicts with its namespace node label selector: ${clash.map((k) => `${k}=${own[k]} (namespace ${ns}: ${k}=${wanted[k]})`).join(', ')}`, `${at.path}.nodeSelector`))
        continue
      }
      const merged = {...own, ...wanted}
      const white = cfg.namespaces[ns]
      const outside = white ? Object.keys(merged).filter((k) => white[k] !== merged[k]) : []
      if (outside.length > 0) {
        denials.push(deny('PodNodeSelector', o, `pod node label selector labels conflict with its namespace whitelist: ${outside.map((k) => `${k}=${merged[k]}`).join(', ')} not in ${show(white!) || '(nothing)'}`, `${at.path}.nodeSelector`))
        continue
      }
      if (Object.keys(wanted).length > 0) at.spec.nodeSelector = merged
    }
    return denials
  },
}
