import {describe, expect, it} from 'vitest'
import {expandWorkloads} from '../../src/engine/controllers/workloads.js'
import {loadDesired} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import {revision} from '../support/resources.js'
import {cluster, deployment, desired} from './plan-helpers.js'

const limits = (spec: string, name = 'limits'): string => `apiVersion: v1
kind: LimitRange
metadata: {name: ${name}, namespace: default}
spec:
  limits:
${spec}`

/** A pod with one container `main` whose resources are given as YAML flow maps. */
const pod = (name: string, resources: string): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  containers:
    - name: main
      image: busybox:1.35
      resources: ${resources}
`

function load(...docs: string[]): {errors: string[]; warnings: string[]} {
  const enc = new TextEncoder()
  const r = loadDesired({revision: 'r', clusterFile: {path: 'kgit.yaml', content: enc.encode(cluster(1))}, files: [{path: 'manifests/all.yaml', content: enc.encode(docs.join('---\n'))}], schema})
  return {errors: r.errors.map((e) => e.message), warnings: r.warnings}
}

describe('LimitRange defaults', () => {
  it('fills in default limits and requests of containers before the spec is hashed', () => {
    const lr = limits('    - type: Container\n      default: {memory: 512Mi}\n      defaultRequest: {cpu: 100m}\n')
    const d = desired(1, deployment('web', 2), lr)
    const tpl = expandWorkloads(d).groups[0]!.template
    expect(tpl.spec.containers[0]!.resources).toEqual({requests: {cpu: 100, memory: 512 * 2 ** 20}, limits: {memory: 512 * 2 ** 20}})
    const without = expandWorkloads(desired(1, deployment('web', 2))).groups[0]!.template
    expect(without.spec.containers[0]!.resources).toBeUndefined()
    expect(tpl.specHash).not.toBe(without.specHash)
  })

  it('takes the default limit from max and the default request from min (Kubernetes defaulting)', () => {
    const d = desired(1, deployment('web', 1), limits('    - type: Container\n      max: {memory: 1Gi}\n      min: {cpu: 50m}\n'))
    expect(expandWorkloads(d).groups[0]!.template.spec.containers[0]!.resources).toEqual({requests: {memory: 2 ** 30, cpu: 50}, limits: {memory: 2 ** 30}})
  })

  it('keeps what a container says and only fills in the rest', () => {
    const {desired: d} = revision([pod('p', '{limits: {memory: 256Mi}}'), limits('    - type: Container\n      default: {memory: 512Mi, cpu: 1}\n')])
    const p = d!.objects.find((o) => o.kind === 'Pod')!
    expect(p.kind === 'Pod' && p.spec.containers[0]!.resources).toEqual({requests: {memory: 256 * 2 ** 20, cpu: 1000}, limits: {memory: 256 * 2 ** 20, cpu: 1000}})
  })

  it('leaves other namespaces alone', () => {
    const d = desired(1, deployment('web', 1, {ns: 'shop'}), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n', limits('    - type: Container\n      default: {memory: 512Mi}\n'))
    expect(expandWorkloads(d).groups[0]!.template.spec.containers[0]!.resources).toBeUndefined()
  })
})

describe('LimitRange min, max and ratio', () => {

  it('refuses a limit above the maximum, naming file, line and field', () => {
    const {errors} = revision([pod('big', '{limits: {memory: 2Gi}}'), limits('    - type: Container\n      max: {memory: 1Gi}\n')])
    expect(errors).toEqual(['manifests/all.yaml:8 spec.containers[0].resources.limits.memory: 2Gi is above the maximum 1Gi per Container of LimitRange default/limits (manifests/all.yaml:15)'])
  })

  it('refuses a request below the minimum', () => {
    const {errors} = revision([pod('small', '{requests: {memory: 32Mi}}'), limits('    - type: Container\n      min: {memory: 64Mi}\n')])
    expect(errors).toEqual(['manifests/all.yaml:8 spec.containers[0].resources.requests.memory: 32Mi is below the minimum 64Mi per Container of LimitRange default/limits (manifests/all.yaml:15)'])
  })

  it('refuses a limit more than maxLimitRequestRatio times the request', () => {
    const {errors} = revision([pod('burst', '{requests: {cpu: 500m}, limits: {cpu: 2}}'), limits('    - type: Container\n      maxLimitRequestRatio: {cpu: 2}\n')])
    expect(errors).toEqual(['manifests/all.yaml:8 spec.containers[0].resources.limits.cpu: 2 is 4 times the request 500m, above the maximum limit/request ratio 2 per Container of LimitRange default/limits (manifests/all.yaml:15)'])
  })

  it('checks a Pod item against the sum of the containers', () => {
    const two = `apiVersion: v1\nkind: Pod\nmetadata: {name: two}\nspec:\n  containers:\n    - {name: a, image: busybox:1.35, resources: {limits: {memory: 1Gi}}}\n    - {name: b, image: busybox:1.35, resources: {limits: {memory: 1Gi}}}\n`
    const {errors} = revision([two, limits('    - type: Pod\n      max: {memory: 1536Mi}\n')])
    expect(errors).toEqual(["manifests/all.yaml:4 spec: the pod's total limits.memory 2Gi is above the maximum 1536Mi per Pod of LimitRange default/limits (manifests/all.yaml:14)"])
  })

  it('refuses a request above the limit a default gives', () => {
    const {errors} = revision([pod('req', '{requests: {memory: 1Gi}}'), limits('    - type: Container\n      default: {memory: 512Mi}\n')])
    expect(errors).toEqual(['manifests/all.yaml:8 spec.containers[0].resources.requests.memory: Invalid value: "1Gi": must be less than or equal to the memory limit 512Mi, the default of LimitRange default/limits (manifests/all.yaml:15)'])
  })
})

describe('LimitRange objects', () => {
  it('reports a bad quantity and inconsistent bounds with their lines', () => {
    const {errors} = load(limits('    - type: Container\n      max: {memory: lots}\n    - type: Container\n      min: {cpu: "2"}\n      max: {cpu: "1"}\n'))
    expect(errors).toEqual([
      'manifests/all.yaml:7 spec.limits[0].max.memory: must be a quantity such as 500m, 2 or 128Mi, got string "lots"',
      'manifests/all.yaml:9 spec.limits[1].min.cpu: Invalid value: "2": min value 2 is greater than max value 1',
    ])
  })

  it('refuses defaults on a Pod item and warns that PersistentVolumeClaim items are not acted on', () => {
    const {errors, warnings} = load(limits('    - type: Pod\n      default: {cpu: 1}\n    - type: PersistentVolumeClaim\n      max: {storage: 1Gi}\n'))
    expect(errors).toEqual(["manifests/all.yaml:7 spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"])
    expect(warnings.join('\n')).toContain('manifests/all.yaml:8 spec.limits[1]: LimitRange type PersistentVolumeClaim is not acted on')
  })
})
