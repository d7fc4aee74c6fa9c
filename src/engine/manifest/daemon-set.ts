import type {DaemonSetObject, DaemonSetUpdateStrategy, ObjectMeta} from '../types.js'
import type {FieldReader} from './field-reader.js'
import {selectorMatches} from './labels.js'
import {readTemplate} from './objects.js'
import {rsSelector} from './replica-set.js'

/**
 * A DaemonSet. apps/v1 and apps/v1beta2 require the selector and default to
 * RollingUpdate (maxUnavailable 1); extensions/v1beta1 defaulted the selector to the
 * template's labels and the strategy to OnDelete.
 */
export function readDaemonSet(r: FieldReader, apiVersion: string, source: DaemonSetObject['source'], metadata: ObjectMeta): DaemonSetObject {
  r.map(['spec'], {required: true})
  const {template, notes} = readTemplate(r)
  const labels = template.metadata.labels
  if (template.spec.restartPolicy !== 'Always') r.fail(['spec', 'template', 'spec', 'restartPolicy'], `Unsupported value: "${template.spec.restartPolicy}": a DaemonSet's pods must use restartPolicy Always`)
  const selector = rsSelector(r, apiVersion, labels)
  const empty = Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0
  if (empty) r.fail(['spec', 'selector'], 'empty selector is invalid for a DaemonSet')
  else if (!selectorMatches(selector, labels)) r.fail(['spec', 'template', 'metadata', 'labels'], '`selector` does not match template `labels`')
  const spec = {
    selector,
    template,
    updateStrategy: readUpdateStrategy(r, apiVersion === 'extensions/v1beta1' ? 'OnDelete' : 'RollingUpdate'),
    minReadySeconds: r.int(['spec', 'minReadySeconds'], {min: 0}) ?? 0,
    revisionHistoryLimit: r.int(['spec', 'revisionHistoryLimit'], {min: 0}) ?? 10,
  }
  return {kind: 'DaemonSet', apiVersion: 'apps/v1', source, metadata, spec, notes}
}

const PERCENT = /^[0-9]+%$/

function readUpdateStrategy(r: FieldReader, defaultType: DaemonSetUpdateStrategy['type']): DaemonSetUpdateStrategy {
  const base = ['spec', 'updateStrategy']
  const given = r.get([...base, 'type'])
  if (given !== undefined && given !== 'RollingUpdate' && given !== 'OnDelete') {
    r.fail([...base, 'type'], `Unsupported value: ${JSON.stringify(given)}: supported values: "OnDelete", "RollingUpdate"`)
    return {type: defaultType === 'OnDelete' ? 'OnDelete' : 'RollingUpdate', rollingUpdate: {maxUnavailable: 1}}
  }
  const type = (given as DaemonSetUpdateStrategy['type'] | undefined) ?? (r.get([...base, 'rollingUpdate']) !== undefined ? 'RollingUpdate' : defaultType)
  if (type === 'OnDelete') return {type}
  const value = (f: string, dflt: number): number | string => {
    const p = [...base, 'rollingUpdate', f]
    const v = r.get(p)
    if (v === undefined) return dflt
    if (typeof v === 'string' && !PERCENT.test(v)) r.fail(p, `Invalid value: "${v}": a valid percent string must be a numeric string followed by an ending '%'`)
    else if (typeof v === 'string' && Number(v.slice(0, -1)) > 100) r.fail(p, `Invalid value: "${v}": must not be greater than 100%`)
    else if (typeof v === 'number' && (!Number.isInteger(v) || v < 0)) r.fail(p, `Invalid value: ${v}: must be greater than or equal to 0`)
    else if (typeof v !== 'number' && typeof v !== 'string') r.fail(p, `must be an integer or a percent string, got ${typeof v}`)
    return typeof v === 'number' || typeof v === 'string' ? v : dflt
  }
  const maxUnavailable = value('maxUnavailable', 1)
  const maxSurge = value('maxSurge', 0)
  const zero = (v: number | string): boolean => v === 0 || (typeof v === 'string' && Number(v.slice(0, -1)) === 0)
  if (!zero(maxSurge)) r.fail([...base, 'rollingUpdate', 'maxSurge'], `Unsupported value: ${JSON.stringify(maxSurge)}: kgit names a DaemonSet's pod after its node, so it cannot run two on one node: use maxSurge 0`)
  else if (zero(maxUnavailable)) r.fail([...base, 'rollingUpdate', 'maxUnavailable'], 'Invalid value: 0: cannot be 0 when maxSurge is 0')
  return {type, rollingUpdate: {maxUnavailable}}
}
