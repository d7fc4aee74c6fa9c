import {describe, expect, it} from 'vitest'
import {checkPlanQuotas, checkRevisionQuotas, planQuotaChange} from '../../src/engine/admission/quota.js'
import {plan} from '../../src/engine/plan/plan.js'
import type {Desired} from '../../src/engine/types.js'
import {describeNamespace, findNamespace} from '../../src/cli/render-namespace.js'
import {revision} from '../support/resources.js'
import {FakeFleet, deployment} from './plan-helpers.js'

/** A quota: 5 lines, then a separator, so the documents after it start at line 7. */
const quota = (hard: string, extra = ''): string => `apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: compute}\nspec:\n  hard: {${hard}}${extra}\n`

/** A Deployment whose container requests (and limits) memory. */
const app = (name: string, replicas: number, memory = '512Mi', image = 'busybox:1.35'): string =>
  deployment(name, replicas, {image}) + `          resources: {requests: {memory: ${memory}}, limits: {memory: ${memory}}}\n`

function load(...docs: string[]): Desired {
  const r = revision(docs)
  if (!r.desired) throw new Error(r.errors.join('\n'))
  return r.desired
}

/** Applies a revision to the fleet, keeping each pod's spec as a node's label would. */
function run(fleet: FakeFleet, d: Desired): void {
  const p = plan(d, fleet.observed())
  fleet.apply(p.actions)
  for (const a of p.actions) if (a.type !== 'delete' && a.type !== 'remove-stray') fleet.pods.get(a.node)!.find((x) => x.name === a.pod.name)!.spec = a.pod.spec
}

function check(fleet: FakeFleet, d: Desired): string[] {
  const observed = fleet.observed()
  return checkPlanQuotas(d.objects, planQuotaChange(plan(d, observed), observed)).map((e) => e.message)
}

describe('ResourceQuota on a plan', () => {
  const hard = 'requests.memory: 2Gi'

  it('admits what fits: pods that stay plus pods that come', () => {
    const fleet = new FakeFleet(2)
    run(fleet, load(quota(hard), app('web', 3)))
    expect(check(fleet, load(quota(hard), app('web', 3), app('api', 1)))).toEqual([])
  })

  it('refuses the whole step when used + requested is above hard, with the numbers', () => {
    const fleet = new FakeFleet(2)
    run(fleet, load(quota(hard), app('web', 3)))
    expect(check(fleet, load(quota(hard), app('web', 3), app('api', 2)))).toEqual(['ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: requests.memory requested 1Gi, used 1536Mi, hard 2Gi'])
  })

  it('does not count pods the step removes as used', () => {
    const fleet = new FakeFleet(2)
    run(fleet, load(quota(hard), app('web', 3)))
    expect(check(fleet, load(quota(hard), app('web', 1), app('api', 2)))).toEqual([])
  })

  it('counts a replaced pod by its new spec only', () => {
    const pod = (memory: string): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: db}\nspec:\n  containers: [{name: main, image: busybox:1.35, resources: {limits: {memory: ${memory}}}}]\n`
    const fleet = new FakeFleet(1)
    run(fleet, load(quota(hard), pod('1536Mi')))
    expect(check(fleet, load(quota(hard), pod('2Gi')))).toEqual([])
    expect(check(fleet, load(quota(hard), pod('3Gi')))).toEqual(['ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: requests.memory requested 3Gi, used 0, hard 2Gi'])
  })

  it('reports every resource that is exceeded, and pods', () => {
    const fleet = new FakeFleet(2)
    const q = quota('pods: "3", requests.memory: 2Gi, limits.memory: 2Gi')
    run(fleet, load(q, app('web', 2)))
    expect(check(fleet, load(q, app('web', 2), app('api', 3)))).toEqual([
      'ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: pods requested 3, used 2, hard 3',
      'ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: requests.memory requested 1536Mi, used 1Gi, hard 2Gi',
      'ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: limits.memory requested 1536Mi, used 1Gi, hard 2Gi',
    ])
  })

  it('needs every new pod to say a compute resource the quota tracks', () => {
    const fleet = new FakeFleet(1)
    expect(check(fleet, load(quota('limits.memory: 2Gi, requests.cpu: "1"'), deployment('web', 1)))).toEqual([
      'ResourceQuota default/compute (manifests/all.yaml:1): the pods of Deployment default/web (manifests/all.yaml:7) must specify limits.memory for: main; requests.cpu for: main',
    ])
  })

  it('asks that of cpu and memory only, and counts no pod that ran to completion', () => {
    const fleet = new FakeFleet(1)
    expect(check(fleet, load(quota('requests.ephemeral-storage: 1Gi, pods: "1"'), deployment('web', 1)))).toEqual([])
    const job = 'apiVersion: v1\nkind: Pod\nmetadata: {name: once}\nspec:\n  restartPolicy: Never\n  containers: [{name: c, image: "busybox:1.35"}]\n'
    run(fleet, load(job))
    for (const p of fleet.pods.get('n1')!) p.containers = p.containers.map((c) => ({...c, state: 'exited', exitCode: 0}))
    expect(check(fleet, load(quota('pods: "1"'), job, deployment('web', 1)))).toEqual([])
  })

  it('leaves other namespaces and a step with no new pods alone', () => {
    const fleet = new FakeFleet(1)
    run(fleet, load(app('web', 3)))
    expect(check(fleet, load(quota('requests.memory: 1Gi'), app('web', 3)))).toEqual([])
    expect(check(fleet, load(quota('requests.memory: 1Gi'), app('web', 2)))).toEqual([])
  })
})

describe('ResourceQuota on a revision alone', () => {
  it('sums every pod the revision runs', () => {
    expect(checkRevisionQuotas(load(quota('requests.memory: 1Gi'), app('web', 3))).map((e) => e.message)).toEqual(['ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: requests.memory requested 1536Mi by this revision, hard 1Gi'])
  })

  it('counts the objects git declares', () => {
    const cm = (n: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${n}}\ndata: {a: b}\n`
    const d = load(quota('count/deployments.apps: "1", configmaps: "1", count/replicasets.apps: "2"'), deployment('a', 1), deployment('b', 1), cm('x'), cm('y'))
    expect(checkRevisionQuotas(d).map((e) => e.message)).toEqual([
      'ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: count/deployments.apps requested 2 by this revision, hard 1',
      'ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: configmaps requested 2 by this revision, hard 1',
    ])
  })

  it('counts a DaemonSet once as an object and its pod once per node (2 nodes)', () => {
    const ds = 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      containers: [{name: main, image: "busybox:1.35"}]\n'
    expect(checkRevisionQuotas(load(quota('pods: "1", count/daemonsets.apps: "1"'), ds)).map((e) => e.message)).toEqual(['ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: pods requested 2 by this revision, hard 1'])
  })

  it('counts a StatefulSet\'s ordinals as pods and the claims its volumeClaimTemplates make', () => {
    const sts = 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: db}}\n  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n      containers: [{name: main, image: "busybox:1.35", volumeMounts: [{name: data, mountPath: /data}]}]\n'
    expect(checkRevisionQuotas(load(quota('pods: "2", persistentvolumeclaims: "2", requests.storage: 2Gi, count/statefulsets.apps: "1"'), sts)).map((e) => e.message)).toEqual([
      'ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: pods requested 3 by this revision, hard 2',
      'ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: persistentvolumeclaims requested 3 by this revision, hard 2',
      'ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: requests.storage requested 3Gi by this revision, hard 2Gi',
    ])
  })

  it('applies BestEffort and NotBestEffort scopes', () => {
    const best = quota('pods: "1"', '\n  scopes: [BestEffort]')
    expect(checkRevisionQuotas(load(best, app('web', 2))).map((e) => e.message)).toEqual([])
    expect(checkRevisionQuotas(load(best, deployment('web', 2))).map((e) => e.message)).toEqual(['ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: pods requested 2 by this revision, hard 1'])
    const notBest = quota('pods: "1"', '\n  scopes: [NotBestEffort]')
    expect(checkRevisionQuotas(load(notBest, deployment('web', 2))).map((e) => e.message)).toEqual([])
  })

  it('does not enforce a quota whose scope kgit cannot tell, and says so', () => {
    const r = revision([quota('pods: "1"', '\n  scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [high]}]}'), deployment('web', 2)])
    expect(checkRevisionQuotas(r.desired!)).toEqual([])
    expect(r.warnings).toEqual(['manifests/all.yaml:4 spec: ResourceQuota default/compute is not enforced: kgit cannot tell which pods scopeSelector PriorityClass In ["high"] selects yet'])
  })

  it('refuses a scope on a resource it cannot track, and a quantity that is not one', () => {
    expect(revision([quota('configmaps: "1"', '\n  scopes: [BestEffort]')]).errors).toEqual(['manifests/all.yaml:5 spec.hard.configmaps: Invalid value: "configmaps": unsupported scope applied to resource (scopes BestEffort track pods)'])
    // The API schema says it first, as kubectl's server-side validation would.
    expect(revision([quota('memory: lots')]).errors).toEqual(['manifests/all.yaml:5 spec.hard.memory: must be a quantity such as 500m, 2 or 128Mi, got string "lots"'])
  })
})

describe('kgit describe namespace', () => {
  it('shows used (pods that run now) against hard, and the LimitRanges as a table', () => {
    const fleet = new FakeFleet(2)
    const lr = 'apiVersion: v1\nkind: LimitRange\nmetadata: {name: limits}\nspec:\n  limits:\n    - {type: Container, max: {memory: 1Gi}, defaultRequest: {cpu: 100m}, maxLimitRequestRatio: {memory: 2}}\n'
    const d = load(quota('requests.memory: 2Gi, pods: "10", count/deployments.apps: "5"'), lr, app('web', 3))
    run(fleet, d)
    expect(describeNamespace({desired: d, observed: fleet.observed()}, findNamespace(d.objects, 'default')!)).toEqual([
      'Name:         default',
      'Labels:       <none>',
      'Annotations:  <none>',
      'Status:       Active',
      '',
      'Resource Quotas',
      '  Name:            compute',
      '  Resource                 Used     Hard',
      '  --------                 ---      ---',
      '  count/deployments.apps   1        5',
      '  pods                     3        10',
      '  requests.memory          1536Mi   2Gi',
      '',
      'Resource Limits',
      ' Type        Resource   Min   Max   Default Request   Default Limit   Max Limit/Request Ratio',
      ' ----        --------   ---   ---   ---------------   -------------   -----------------------',
      ' Container   cpu        -     -     100m              -               -',
      ' Container   memory     -     1Gi   1Gi               1Gi             2',
    ])
    expect(findNamespace(d.objects, 'shop')).toBeUndefined()
  })
})
