import type {LabelSelector, ObjectMeta, ReplicaSetObject} from '../types.js'
import type {FieldReader} from './field-reader.js'
import {readLabelRequirement, selectorMatches} from './labels.js'
import {readTemplate} from './objects.js'

/**
 * A ReplicaSet (apps/v1, or an older served version read as apps/v1) or a
 * ReplicationController (v1), whose selector is a plain map defaulting to the
 * template's labels.
 */
export function readReplicaSet(r: FieldReader, kind: ReplicaSetObject['kind'], apiVersion: string, source: ReplicaSetObject['source'], metadata: ObjectMeta): ReplicaSetObject {
  r.map(['spec'], {required: true})
  const replicas = r.int(['spec', 'replicas'], {min: 0, max: 100000}) ?? 1
  const minReadySeconds = r.int(['spec', 'minReadySeconds'], {min: 0}) ?? 0
  const {template, notes} = readTemplate(r)
  const labels = template.metadata.labels
  if (template.spec.restartPolicy !== 'Always') r.fail(['spec', 'template', 'spec', 'restartPolicy'], `Unsupported value: "${template.spec.restartPolicy}": a ${kind}'s pods must use restartPolicy Always`)
  const selector = kind === 'ReplicationController' ? rcSelector(r, labels) : rsSelector(r, apiVersion, labels)
  const empty = Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0
  if (empty) r.fail(['spec', 'selector'], `empty selector is invalid for a ${kind}`)
  else if (!selectorMatches(selector, labels)) r.fail(['spec', 'template', 'metadata', 'labels'], '`selector` does not match template `labels`')
  return {kind, apiVersion: kind === 'ReplicaSet' ? 'apps/v1' : 'v1', source, metadata, spec: {replicas, selector, template, minReadySeconds}, notes}
}

/** v1 ReplicationController: `selector` is a map; absent or empty, it is the template's labels. */
function rcSelector(r: FieldReader, labels: Record<string, string>): LabelSelector {
  const given = r.strMap(['spec', 'selector'])
  return {matchLabels: Object.keys(given).length > 0 ? given : labels}
}

/** apps/v1 and apps/v1beta2 require the selector; extensions/v1beta1 defaulted it to the template's labels. */
export function rsSelector(r: FieldReader, apiVersion: string, labels: Record<string, string>): LabelSelector {
  const legacy = apiVersion === 'extensions/v1beta1'
  if (r.map(['spec', 'selector'], {required: !legacy}) === undefined) return legacy ? {matchLabels: labels} : {matchLabels: {}}
  const selector: LabelSelector = {matchLabels: r.strMap(['spec', 'selector', 'matchLabels'])}
  const exprs = r.list(['spec', 'selector', 'matchExpressions'])
  if (exprs) selector.matchExpressions = exprs.map((_, i) => readLabelRequirement(r, ['spec', 'selector', 'matchExpressions', i]))
  return selector
}
