import type {ClaimTemplate, ObjectMeta, StatefulSetObject} from '../types.js'
import {DNS1123_LABEL, type FieldReader} from './field-reader.js'
import {checkLabels, readLabelRequirement, selectorMatches, type LabelSelector} from './labels.js'
import {readTemplate} from './objects.js'
import {parseQuantity, resourceAmount} from './quantity.js'
import {rsSelector} from './replica-set.js'

const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']

/**
 * A StatefulSet. apps/v1 and apps/v1beta2 require the selector and default to
 * RollingUpdate; apps/v1beta1 defaulted the selector to the template's labels and the
 * strategy to OnDelete.
 */
export function readStatefulSet(r: FieldReader, apiVersion: string, source: StatefulSetObject['source'], metadata: ObjectMeta): StatefulSetObject {
  r.map(['spec'], {required: true})
  const claims = readClaimTemplates(r)
  const {template, notes} = readTemplate(r, new Set(claims.map((c) => c.name)))
  const labels = template.metadata.labels
  if (template.spec.restartPolicy !== 'Always') r.fail(['spec', 'template', 'spec', 'restartPolicy'], `Unsupported value: "${template.spec.restartPolicy}": a StatefulSet's pods must use restartPolicy Always`)
  const legacy = apiVersion === 'apps/v1beta1'
  const selector: LabelSelector = legacy && r.get(['spec', 'selector']) === undefined ? {matchLabels: labels} : rsSelector(r, apiVersion, labels)
  const empty = Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0
  if (empty) r.fail(['spec', 'selector'], 'empty selector is invalid for a StatefulSet')
  else if (!selectorMatches(selector, labels)) r.fail(['spec', 'template', 'metadata', 'labels'], '`selector` does not match template `labels`')
  for (const [i, v] of (template.spec.volumes ?? []).entries()) {
    if (claims.some((c) => c.name === v.name)) r.warn(['spec', 'template', 'spec', 'volumes', i, 'name'], `volume "${v.name}" is also a volumeClaimTemplate: the claim is mounted, as Kubernetes does`)
  }
  const spec: StatefulSetObject['spec'] = {
    replicas: r.int(['spec', 'replicas'], {min: 0, max: 100000}) ?? 1,
    selector,
    serviceName: r.str(['spec', 'serviceName'], {pattern: DNS1123_LABEL, patternMsg: 'must be a DNS-1123 label'}) ?? '',
    template,
    podManagementPolicy: (r.str(['spec', 'podManagementPolicy'], {oneOf: ['OrderedReady', 'Parallel']}) ?? 'OrderedReady') as 'OrderedReady' | 'Parallel',
    updateStrategy: readUpdateStrategy(r, legacy ? 'OnDelete' : 'RollingUpdate'),
    minReadySeconds: r.int(['spec', 'minReadySeconds'], {min: 0}) ?? 0,
    revisionHistoryLimit: r.int(['spec', 'revisionHistoryLimit'], {min: 0}) ?? 10,
    ordinalStart: r.int(['spec', 'ordinals', 'start'], {min: 0}) ?? 0,
    volumeClaimTemplates: claims,
    retention: {
      whenDeleted: (r.str(['spec', 'persistentVolumeClaimRetentionPolicy', 'whenDeleted'], {oneOf: ['Retain', 'Delete']}) ?? 'Retain') as 'Retain' | 'Delete',
      whenScaled: (r.str(['spec', 'persistentVolumeClaimRetentionPolicy', 'whenScaled'], {oneOf: ['Retain', 'Delete']}) ?? 'Retain') as 'Retain' | 'Delete',
    },
  }
  return {kind: 'StatefulSet', apiVersion: 'apps/v1', source, metadata, spec, notes}
}

function readUpdateStrategy(r: FieldReader, defaultType: 'RollingUpdate' | 'OnDelete'): StatefulSetObject['spec']['updateStrategy'] {
  const base = ['spec', 'updateStrategy']
  const type = (r.str([...base, 'type'], {oneOf: ['RollingUpdate', 'OnDelete']}) ?? (r.get([...base, 'rollingUpdate']) !== undefined ? 'RollingUpdate' : defaultType)) as 'RollingUpdate' | 'OnDelete'
  if (type === 'OnDelete') {
    if (r.get([...base, 'rollingUpdate']) !== undefined) r.fail([...base, 'rollingUpdate'], "Invalid value: only allowed for updateStrategy 'RollingUpdate'")
    return {type}
  }
  if (r.get([...base, 'rollingUpdate', 'maxUnavailable']) !== undefined) r.warn([...base, 'rollingUpdate', 'maxUnavailable'], 'maxUnavailable (alpha in Kubernetes) is not acted on by this version of kgit: pods are updated one at a time')
  return {type, partition: r.int([...base, 'rollingUpdate', 'partition'], {min: 0}) ?? 0}
}

/** volumeClaimTemplates: each a claim (name, access modes, storage request, class) every ordinal gets its own copy of. */
function readClaimTemplates(r: FieldReader): ClaimTemplate[] {
  const p = ['spec', 'volumeClaimTemplates']
  const items = r.list(p) ?? []
  const seen = new Map<string, number>()
  return items.map((_, i) => {
    const b = [...p, i]
    r.map(b)
    const name = r.str([...b, 'metadata', 'name'], {required: true, pattern: DNS1123_LABEL, patternMsg: 'must be a DNS-1123 label'}) ?? ''
    const prev = seen.get(name)
    if (name && prev !== undefined) r.fail([...b, 'metadata', 'name'], `duplicate volumeClaimTemplate name "${name}" (also volumeClaimTemplates[${prev}])`)
    seen.set(name, i)
    const labels = r.strMap([...b, 'metadata', 'labels'])
    checkLabels(r, [...b, 'metadata', 'labels'], labels)
    r.map([...b, 'spec'], {required: true})
    const accessModes = r.strList([...b, 'spec', 'accessModes']) ?? []
    if (accessModes.length === 0) r.fail([...b, 'spec', 'accessModes'], 'Required value: at least 1 access mode is required')
    accessModes.forEach((m, j) => {
      if (!ACCESS_MODES.includes(m)) r.fail([...b, 'spec', 'accessModes', j], `Unsupported value: "${m}": supported values: ${ACCESS_MODES.map((x) => `"${x}"`).join(', ')}`)
    })
    if (accessModes.includes('ReadWriteOncePod') && accessModes.length > 1) r.fail([...b, 'spec', 'accessModes'], 'may not use ReadWriteOncePod with other access modes')
    const raw = r.get([...b, 'spec', 'resources', 'requests', 'storage'])
    const q = typeof raw === 'string' || typeof raw === 'number' ? parseQuantity(raw) : undefined
    if (raw === undefined) r.fail([...b, 'spec', 'resources', 'requests', 'storage'], 'Required value: a claim must request storage')
    else if (q === undefined || q <= 0) r.fail([...b, 'spec', 'resources', 'requests', 'storage'], `must be a positive quantity such as 1Gi, got ${JSON.stringify(raw)}`)
    const t: ClaimTemplate = {
      name,
      labels,
      annotations: r.strMap([...b, 'metadata', 'annotations']),
      accessModes,
      storage: q !== undefined && q > 0 ? resourceAmount('storage', q) : 0,
      volumeMode: (r.str([...b, 'spec', 'volumeMode'], {oneOf: ['Filesystem', 'Block']}) ?? 'Filesystem') as 'Filesystem' | 'Block',
      source: r.doc.posOf(b),
    }
    const cls = r.str([...b, 'spec', 'storageClassName'])
    if (cls !== undefined) t.storageClassName = cls
    const sel = r.map([...b, 'spec', 'selector'])
    if (sel) {
      const selector: LabelSelector = {matchLabels: r.strMap([...b, 'spec', 'selector', 'matchLabels'])}
      const exprs = r.list([...b, 'spec', 'selector', 'matchExpressions'])
      if (exprs) selector.matchExpressions = exprs.map((_, j) => readLabelRequirement(r, [...b, 'spec', 'selector', 'matchExpressions', j]))
      t.selector = selector
    }
    if (t.volumeMode === 'Block') r.fail([...b, 'spec', 'volumeMode'], 'Unsupported value: "Block": kgit mounts claims as file systems only')
    return t
  })
}
