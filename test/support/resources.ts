import {applyLimitRanges} from '../../src/engine/admission/limit-ranger.js'
import {parseCluster} from '../../src/engine/manifest/cluster.js'
import {parseObject} from '../../src/engine/manifest/objects.js'
import {parseQuantity, resourceAmount} from '../../src/engine/manifest/quantity.js'
import {parseYamlFile, type ParsedDoc} from '../../src/engine/manifest/yaml-docs.js'
import type {Desired, KObject, PodSpec, Resources} from '../../src/engine/types.js'
import {cluster} from '../unit/plan-helpers.js'

/**
 * A revision read the way loadDesired reads it up to LimitRange admission, for tests of
 * quotas and limits. Containers' `resources` are taken from the YAML when the manifest
 * reader has not set them (Kubernetes: a limit with no request requests the limit).
 */
export function revision(docs: string[], nodes = 2): {desired?: Desired; errors: string[]; warnings: string[]} {
  const {docs: parsed, errors: yamlErrors} = parseYamlFile('manifests/all.yaml', docs.join('---\n'))
  const errors = yamlErrors.map((e) => e.message)
  const warnings: string[] = []
  const objects: KObject[] = []
  const docOf = new Map<KObject, ParsedDoc>()
  for (const d of parsed) {
    const res = parseObject(d)
    errors.push(...res.errors.map((e) => e.message))
    warnings.push(...res.warnings)
    if (!res.object) continue
    fillResources(res.object, d)
    objects.push(res.object)
    docOf.set(res.object, d)
  }
  errors.push(...applyLimitRanges(objects, (o, p) => docOf.get(o)!.posOf(p)).map((e) => e.message))
  const c = parseCluster('kgit.yaml', cluster(nodes)).cluster!
  return errors.length > 0 ? {errors, warnings} : {desired: {revision: 'rev1', cluster: c, objects}, errors, warnings}
}

function fillResources(o: KObject, d: ParsedDoc): void {
  const [spec, raw] = o.kind === 'Pod' ? [o.spec, (d.value as {spec: unknown}).spec] : 'notes' in o ? [o.spec.template.spec, (d.value as {spec: {template: {spec: unknown}}}).spec.template.spec] : [undefined, undefined]
  if (!spec) return
  ;(spec as PodSpec).containers.forEach((c, i) => {
    const r = (raw as {containers: {resources?: {requests?: Record<string, string>; limits?: Record<string, string>}}[]}).containers[i]?.resources
    if (c.resources || !r) return
    const read = (m: Record<string, string> = {}): Resources => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, resourceAmount(k, parseQuantity(v)!)]))
    const limits = read(r.limits)
    c.resources = {requests: {...limits, ...read(r.requests)}, limits}
  })
}
