import {describe, expect, it} from 'vitest'
import {checkRevisionQuotas} from '../../src/engine/admission/quota.js'
import {claimRemove, markWrite, nfsMount} from '../../src/engine/argv/claims.js'
import {podRun} from '../../src/engine/argv/podman.js'
import {bindClaims} from '../../src/engine/controllers/claims.js'
import {parseNodeFiles} from '../../src/engine/facts/node-files.js'
import {loadDesired} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import {andTerms} from '../../src/engine/plan/claims.js'
import {plan, type Action} from '../../src/engine/plan/plan.js'
import type {ClaimMark, Desired, Observed} from '../../src/engine/types.js'
import {cluster, desired} from './plan-helpers.js'

const LOCAL_CLASS = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: kgit.dev/local-path
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
`

function pv(name: string, size: string, extra = '', cls = 'manual'): string {
  return `apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}, labels: {tier: ${name.startsWith('fast') ? 'fast' : 'slow'}}}
spec:
  capacity: {storage: ${size}}
  accessModes: [ReadWriteOnce]
  storageClassName: ${cls}
${extra || `  hostPath: {path: /srv/${name}}\n`}`
}

function claim(name: string, size: string, extra = ''): string {
  return `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: ${size}}}
${extra}`
}

function user(name: string, claimName: string, replicas = 1, podSpec = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
${podSpec}      volumes: [{name: data, persistentVolumeClaim: {claimName: ${claimName}}}]
      containers: [{name: main, image: busybox:1.35, volumeMounts: [{name: data, mountPath: /data, subPath: sub}]}]
`
}

function errorsOf(...docs: string[]): string[] {
  const enc = new TextEncoder()
  const r = loadDesired({revision: 'r', clusterFile: {path: 'kgit.yaml', content: enc.encode(cluster(2))}, files: [{path: 'm.yaml', content: enc.encode(docs.join('---\n'))}], schema})
  return r.errors.map((e) => e.message)
}

function observed(nodes: number, marks: Record<string, ClaimMark[]> = {}): Observed {
  return {nodes: Array.from({length: nodes}, (_, i) => ({node: `n${i + 1}`, reachable: true as const, pods: [], ...(marks[`n${i + 1}`] ? {claims: marks[`n${i + 1}`]} : {})})), at: Date.parse('2026-01-02T00:00:00Z')}
}

const creates = (actions: Action[]): Extract<Action, {type: 'create'}>[] => actions.filter((a): a is Extract<Action, {type: 'create'}> => a.type === 'create')

function bind(d: Desired, marks: {node: string; mark: ClaimMark}[] = []): ReturnType<typeof bindClaims> {
  return bindClaims({objects: d.objects, marks, nodeOrder: d.cluster.nodes.map((n) => n.name)})
}

const providedMark = (ns: string, name: string, over: Partial<ClaimMark> = {}): ClaimMark => ({namespace: ns, claim: name, pv: `pvc-${ns}-${name}`, provisioned: true, storageClass: 'local', capacity: 1048576, accessModes: ['ReadWriteOnce'], reclaimPolicy: 'Delete', ...over})

describe('reading PVs, claims and classes', () => {
  it('reports what a person can fix, with file, line and field', () => {
    expect(errorsOf(`apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: x}\nspec:\n  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOnce]\n  nfs: {path: /export}\n`)).toEqual(['m.yaml:7 spec.nfs.server: required field is missing'])
    expect(errorsOf(pv('l', '1Gi', '  local: {path: /mnt/disk}\n'))).toEqual(['m.yaml:4 spec.nodeAffinity: Required value: a local volume needs nodeAffinity.required (the node that holds its disk)'])
    expect(errorsOf(claim('c', 'lots'))).toEqual(['m.yaml:6 spec.resources.requests.storage: must be a quantity such as 500m, 2 or 128Mi, got string "lots"'])
    expect(errorsOf(user('app', 'nope'))[0]).toMatch(/^m.yaml:10 spec.template.spec.volumes\[0\].persistentVolumeClaim.claimName: persistentvolumeclaim "nope" is not in namespace default/)
    expect(errorsOf(pv('a', '1Gi'), claim('c', '2Gi', '  storageClassName: manual\n'))[0]).toMatch(/claim default\/c asks for 2147483648 bytes: the largest PersistentVolume of class "manual" with its access modes holds 1073741824 bytes, and StorageClass "manual" is not in this revision/)
    expect(errorsOf(claim('c', '2Gi'))[0]).toMatch(/no PersistentVolume of class "" with access modes ReadWriteOnce, and it names no storage class/)
    expect(errorsOf(LOCAL_CLASS, claim('c', '2Gi'))).toEqual([])
  })
})

describe('binding claims', () => {
  it('takes the smallest PV of its class that fits, one PV per claim, honouring volumeName, selector and the default class', () => {
    const d = desired(2, pv('big', '10Gi'), pv('small', '1Gi'), pv('fast-1', '5Gi'), pv('other', '1Gi', '', 'else'), LOCAL_CLASS,
      claim('a', '1Gi', '  storageClassName: manual\n'), claim('b', '1Gi', '  storageClassName: manual\n'), claim('a-fast', '1Gi', '  storageClassName: manual\n  selector: {matchLabels: {tier: fast}}\n'),
      claim('named', '1Gi', '  storageClassName: else\n  volumeName: other\n'), claim('dflt', '1Gi'))
    const s = bind(d)
    const pvOf = (k: string): string | undefined => s.claims.get(`default/${k}`)?.mount?.pv
    expect([pvOf('a'), pvOf('b'), pvOf('a-fast'), pvOf('named')]).toEqual(['small', 'big', 'fast-1', 'other'])
    expect(s.claims.get('default/dflt')).toMatchObject({storageClass: 'local', phase: 'Pending', reason: 'waiting for first consumer to be created before binding'})
    expect(s.volumes.map((v) => `${v.name}:${v.status}`)).toEqual(['big:Bound', 'fast-1:Bound', 'other:Bound', 'small:Bound'])
  })

  it('keeps a binding its nodes remember, even when a smaller PV appears; a PV whose claim left git is Released', () => {
    const d = desired(1, pv('big', '10Gi'), pv('small', '1Gi'), claim('a', '1Gi', '  storageClassName: manual\n'))
    const first = bind(d, [{node: 'n1', mark: {...bind(desired(1, pv('big', '10Gi'), claim('a', '1Gi', '  storageClassName: manual\n'))).claims.get('default/a')!.mount!.mark}}])
    expect(first.claims.get('default/a')?.mount?.pv).toBe('big')
    const bigMark = first.claims.get('default/a')!.mount!.mark
    const gone = bind(desired(1, pv('big', '10Gi'), claim('b', '1Gi', '  storageClassName: manual\n  volumeName: big\n')), [{node: 'n1', mark: bigMark}])
    expect(gone.claims.get('default/b')).toMatchObject({phase: 'Pending', reason: 'spec.volumeName: volume "big" is Released (its claim default/a left git; change or re-create the PV to free it)'})
    expect(gone.volumes).toMatchObject([{name: 'big', status: 'Released', claim: 'default/a'}])
    expect(gone.orphans).toMatchObject([{node: 'n1', fate: 'keep'}])
  })
})

describe('claims in the plan', () => {
  it('a provisioned claim pins its pods to the node that holds its directory', () => {
    const d = desired(3, LOCAL_CLASS, claim('data', '1Mi'), user('app', 'data'))
    const fresh = creates(plan(d, observed(3)).actions)
    expect(fresh).toHaveLength(1)
    expect(fresh[0]!.pod.claims?.data).toMatchObject({claim: 'default/data', pv: 'pvc-default-data', source: {provisioned: true}})
    const pinned = plan(d, observed(3, {n3: [providedMark('default', 'data')]}))
    expect(creates(pinned.actions).map((a) => a.node)).toEqual(['n3'])
    expect(creates(pinned.actions)[0]!.pod.spec.affinity).toBeUndefined()
  })

  it('a local PV pins the pod through node affinity; an unbound claim keeps its pods waiting, with the reason', () => {
    const local = pv('disk', '1Gi', '  local: {path: /mnt/disk}\n  nodeAffinity: {required: {nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [n2]}]}]}}\n')
    const d = desired(3, local, claim('c', '1Gi', '  storageClassName: manual\n'), user('app', 'c'), claim('w', '100Mi', '  storageClassName: manual\n'), user('waits', 'w'))
    const p = plan(d, observed(3))
    expect(creates(p.actions).map((a) => `${a.pod.name.split('-')[0]}@${a.node}`)).toEqual(['app@n2'])
    expect(p.unschedulable.map((u) => u.reason)).toEqual(['persistentvolumeclaim "w" is not bound: no persistent volume of class "manual" is available with 104857600 bytes, ReadWriteOnce, and StorageClass "manual" is not in git to provision one'])
  })

  it('two pods of one ReadWriteOnce claim go to one node; the claim leaving git removes its directory (Delete)', () => {
    const d = desired(3, LOCAL_CLASS, claim('data', '1Mi'), user('app', 'data', 2))
    const p = plan(d, observed(3))
    expect(creates(p.actions)).toHaveLength(1)
    expect(p.unschedulable[0]!.reason).toMatch(/persistentvolumeclaim "data" goes to one node at a time and pod app-\S+ takes it to node n\d; it starts there at the next step/)
    const gone = plan(desired(3, LOCAL_CLASS), observed(3, {n2: [providedMark('default', 'data'), providedMark('default', 'kept', {reclaimPolicy: 'Retain'})]}))
    expect(gone.actions).toMatchObject([{type: 'remove-volume', node: 'n2', data: true, mark: {claim: 'data'}}])
  })

  it('andTerms joins every pair of ORed terms', () => {
    expect(andTerms([{matchExpressions: [{key: 'a', operator: 'Exists'}]}, {matchExpressions: [{key: 'b', operator: 'Exists'}]}], [{matchFields: [{key: 'metadata.name', operator: 'In', values: ['n1']}]}])).toEqual([
      {matchExpressions: [{key: 'a', operator: 'Exists'}], matchFields: [{key: 'metadata.name', operator: 'In', values: ['n1']}]},
      {matchExpressions: [{key: 'b', operator: 'Exists'}], matchFields: [{key: 'metadata.name', operator: 'In', values: ['n1']}]},
    ])
  })
})

describe('claims on the node', () => {
  it('mounts the provisioned directory with its subPath and writes the mark before the containers start', () => {
    const d = desired(1, LOCAL_CLASS, claim('data', '1Mi'), user('app', 'data'))
    const pod = creates(plan(d, observed(1)).actions)[0]!.pod
    const steps = podRun(pod, {dataDir: '/var/lib/kgit', probeScript: ''})
    expect(steps).toContainEqual(['mkdir', '-p', '--', '/var/lib/kgit/volumes/default/data'])
    expect(steps).toContainEqual(['mkdir', '-p', '--', '/var/lib/kgit/volumes/default/data/sub'])
    expect(steps).toContainEqual(markWrite('/var/lib/kgit', pod.claims!.data!))
    expect(steps.at(-1)).toContain('/var/lib/kgit/volumes/default/data/sub:/data')
    expect(claimRemove('/d', 'ns', 'c', true)).toEqual(['rm', '-rf', '--', '/d/claims/ns/c', '/d/volumes/ns/c'])
    expect(nfsMount('/d/nfs/pv1', {server: 'fs.lan', path: '/export', readOnly: true})).toEqual(['sh', '-c', 'mkdir -p "$1" || exit 1; mountpoint -q "$1" && exit 0; mount -t nfs -o "$3" "$2" "$1"', 'kgit-nfs-mount', '/d/nfs/pv1', 'fs.lan:/export', 'ro'])
  })

  it('reads marks back from the node state answer, by their path', () => {
    const files = parseNodeFiles(`1700000000\nclaims/shop/data:${JSON.stringify({pv: 'pvc-shop-data', provisioned: true, capacity: 5, accessModes: ['ReadWriteOnce'], reclaimPolicy: 'Delete', storageClass: 'local'})}\nclaims/shop/bad:{nope\n`)
    expect(files.claims).toEqual([{namespace: 'shop', claim: 'data', pv: 'pvc-shop-data', provisioned: true, capacity: 5, accessModes: ['ReadWriteOnce'], reclaimPolicy: 'Delete', storageClass: 'local'}])
  })
})

describe('ResourceQuota on claims', () => {
  it('counts requests.storage, persistentvolumeclaims and per-class amounts of the namespace claims', () => {
    const quota = `apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: storage}\nspec:\n  hard: {requests.storage: 1Gi, persistentvolumeclaims: "1", local.storageclass.storage.k8s.io/requests.storage: 500Mi}\n`
    const d = desired(1, quota, LOCAL_CLASS, claim('a', '600Mi'), claim('b', '600Mi'))
    expect(checkRevisionQuotas(d).map((e) => e.message.replace(/^.*exceeded quota in namespace default: /, '')).sort()).toEqual([
      expect.stringMatching(/^local.storageclass.storage.k8s.io\/requests.storage requested 1200Mi by this revision, hard 500Mi/),
      expect.stringMatching(/^persistentvolumeclaims requested 2 by this revision, hard 1/),
      expect.stringMatching(/^requests.storage requested 1200Mi by this revision, hard 1Gi/),
    ])
  })
})
