import {mkdir, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {deploymentYaml} from '../support/manifests.js'
import {commit, kgit, lab, labCluster, podCounts, podman, podsOn} from './helpers.js'

const repo = inject('labRepo')
let state: LabState
/** The lab's nodes share this machine's file system: hostPath and local volumes are directories here. */
let hostDir: string
labCluster(repo)

function classYaml(name: string, reclaim: 'Delete' | 'Retain', isDefault = false): string {
  return `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ${name}
${isDefault ? '  annotations: {storageclass.kubernetes.io/is-default-class: "true"}\n' : ''}provisioner: kgit.dev/local-path
reclaimPolicy: ${reclaim}
volumeBindingMode: WaitForFirstConsumer
`
}

function claimYaml(name: string, size: string, cls?: string): string {
  return `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: ${size}}}
${cls !== undefined ? `  storageClassName: "${cls}"\n` : ''}`
}

/** A Deployment whose pod appends a line to /data/log and sleeps; `rev` changes its template. */
function writer(name: string, claim: string, rev: string, podSpec = ''): string {
  return deploymentYaml(name, 1, {
    image: 'localhost/busybox:1.35',
    grace: 1,
    command: ['sh', '-c', `echo ${rev} >> /data/log && exec sleep 3600`],
    podSpec: `${podSpec}      volumes: [{name: data, persistentVolumeClaim: {claimName: ${claim}}}]\n`,
    container: '          volumeMounts: [{name: data, mountPath: /data}]\n',
  })
}

async function until<T>(f: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 50; i++) {
    const v = await f().catch(() => undefined)
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function nodeOf(owner: string): Promise<number> {
  const counts = await podCounts(state, owner)
  expect(counts.reduce((a, b) => a + b)).toBe(1)
  return counts.findIndex((c) => c > 0)
}

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false)
const dataDir = (i: number): string => join(state.nodes[i]!.dir, 'data')

beforeAll(async () => {
  state = await lab(inject('labName'))
  hostDir = await mkdtemp(join(tmpdir(), 'kgit-e2e-pv-'))
})

afterAll(async () => {
  await rm(hostDir, {recursive: true, force: true})
})

describe('persistent volumes on a real lab', () => {
  it('a local-path claim keeps its data on its node when the pod is replaced', async () => {
    await commit(repo, {'manifests/class.yaml': classYaml('local', 'Delete', true), 'manifests/claim.yaml': claimYaml('data', '10Mi'), 'manifests/app.yaml': writer('app', 'data', 'one')}, 'claim')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    const i = await nodeOf('Deployment/app')
    const dir = join(dataDir(i), 'volumes', 'default', 'data')
    expect(await until(async () => ((await readFile(join(dir, 'log'), 'utf8')) === 'one\n' ? 'ok' : undefined), 'the first line')).toBe('ok')
    const mark = JSON.parse(await readFile(join(dataDir(i), 'claims', 'default', 'data'), 'utf8')) as {pv: string; provisioned: boolean}
    expect(mark).toMatchObject({pv: 'pvc-default-data', provisioned: true})
    const pvc = await kgit(repo, 'get', 'pvc')
    expect(pvc.stdout).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+AGE$/m)
    expect(pvc.stdout).toMatch(/^data\s+Bound\s+pvc-default-data\s+10Mi\s+RWO\s+local\s+/m)
    expect((await kgit(repo, 'get', 'sc')).stdout).toMatch(/^local \(default\)\s+kgit.dev\/local-path\s+Delete\s+WaitForFirstConsumer/m)

    // A new template replaces the pod: it must come back to the node that holds the data.
    await commit(repo, {'manifests/app.yaml': writer('app', 'data', 'two')}, 'new template')
    const r2 = await kgit(repo, 'apply')
    expect(r2.exitCode, r2.stdout + r2.stderr).toBe(0)
    expect(await nodeOf('Deployment/app')).toBe(i)
    expect(await until(async () => ((await readFile(join(dir, 'log'), 'utf8')) === 'one\ntwo\n' ? 'ok' : undefined), 'both lines')).toBe('ok')
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)

    // Drift: the pod removed by hand comes back on the claim's node, to its data.
    const pod = (await podsOn(state, state.nodes[i]!.name)).find((p) => p.labels['kgit.dev/owner'] === 'Deployment/app')!
    await podman(state, state.nodes[i]!.name, 'pod', 'rm', '--force', '--time', '0', pod.name)
    const r3 = await kgit(repo, 'apply')
    expect(r3.exitCode, r3.stdout + r3.stderr).toBe(0)
    expect(await nodeOf('Deployment/app')).toBe(i)
    expect(await until(async () => ((await readFile(join(dir, 'log'), 'utf8')) === 'one\ntwo\ntwo\n' ? 'ok' : undefined), 'a third line')).toBe('ok')
  })

  it('a claim binds the smallest static hostPath PV of its class that fits', async () => {
    const pv = (name: string, size: string): string => `apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}}
spec:
  capacity: {storage: ${size}}
  accessModes: [ReadWriteOnce, ReadWriteMany]
  storageClassName: manual
  hostPath: {path: ${join(hostDir, name)}, type: DirectoryOrCreate}
`
    await commit(repo, {'manifests/pvs.yaml': [pv('small', '5Mi'), pv('medium', '50Mi'), pv('large', '500Mi')].join('---\n'), 'manifests/static-claim.yaml': claimYaml('static', '20Mi', 'manual'), 'manifests/static.yaml': writer('static', 'static', 'hello')}, 'static pv')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(await until(async () => await readFile(join(hostDir, 'medium', 'log'), 'utf8'), 'the file in the PV')).toBe('hello\n')
    const pvs = (await kgit(repo, 'get', 'pv')).stdout
    expect(pvs).toMatch(/^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+AGE$/m)
    expect(pvs).toMatch(/^medium\s+50Mi\s+RWO,RWX\s+Retain\s+Bound\s+default\/static\s+manual/m)
    expect(pvs).toMatch(/^small\s+5Mi\s+RWO,RWX\s+Retain\s+Available\s+manual/m)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('a local PV pins its pod to its node, even when another node scores better', async () => {
    const disk = join(hostDir, 'disk-n3')
    await mkdir(disk)
    await writeFile(join(disk, 'seed'), 'from n3\n')
    const pv = `apiVersion: v1
kind: PersistentVolume
metadata: {name: disk-n3}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: disks
  local: {path: ${disk}}
  nodeAffinity:
    required:
      nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [n3]}]}]
`
    const prefer = '      affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 100, preference: {matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [n1]}]}}]}}\n'
    await commit(repo, {'manifests/local-pv.yaml': pv, 'manifests/local-claim.yaml': claimYaml('disk', '100Mi', 'disks'), 'manifests/local.yaml': writer('local', 'disk', 'local', prefer)}, 'local pv')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(await nodeOf('Deployment/local')).toBe(2)
    expect(await until(async () => await readFile(join(disk, 'log'), 'utf8'), 'the file on the local disk')).toBe('local\n')
  })

  it('a claim leaving git: Delete removes its directory, Retain keeps it (Released)', async () => {
    await commit(repo, {'manifests/class-keep.yaml': classYaml('keep', 'Retain'), 'manifests/kept-claim.yaml': claimYaml('kept', '1Mi', 'keep'), 'manifests/kept.yaml': writer('kept', 'kept', 'kept')}, 'retain class')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    const k = await nodeOf('Deployment/kept')
    const a = await nodeOf('Deployment/app')
    const keptDir = join(dataDir(k), 'volumes', 'default', 'kept')
    const appDir = join(dataDir(a), 'volumes', 'default', 'data')
    expect(await until(async () => await readFile(join(keptDir, 'log'), 'utf8'), 'the kept file')).toBe('kept\n')

    await commit(repo, {'manifests/kept.yaml': null, 'manifests/kept-claim.yaml': null, 'manifests/app.yaml': null, 'manifests/claim.yaml': null}, 'claims leave git')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(await exists(appDir)).toBe(false)
    expect(await exists(join(dataDir(a), 'claims', 'default', 'data'))).toBe(false)
    expect(await readFile(join(keptDir, 'log'), 'utf8')).toBe('kept\n')
    expect((await kgit(repo, 'get', 'pv')).stdout).toMatch(/^pvc-default-kept\s+1Mi\s+RWO\s+Retain\s+Released\s+default\/kept\s+keep/m)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)

    // The claim comes back (a git revert): it finds its data on its node again.
    await commit(repo, {'manifests/kept-claim.yaml': claimYaml('kept', '1Mi', 'keep'), 'manifests/kept.yaml': writer('kept', 'kept', 'again')}, 'claim is back')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    expect(await nodeOf('Deployment/kept')).toBe(k)
    expect(await until(async () => ((await readFile(join(keptDir, 'log'), 'utf8')) === 'kept\nagain\n' ? 'ok' : undefined), 'the old and new lines')).toBe('ok')
  })

  it('an unbound claim keeps its pod from starting, with the reason; a missing claim is a manifest error', async () => {
    await commit(repo, {'manifests/big-claim.yaml': claimYaml('big', '1Gi', 'manual'), 'manifests/big.yaml': writer('big', 'big', 'x')}, 'too big')
    const r = await kgit(repo, 'plan')
    expect(r.exitCode).toBe(1)
    expect(r.stderr + r.stdout).toMatch(/big-claim.yaml:\d+ spec.resources.requests.storage: claim default\/big asks for 1073741824 bytes: the largest PersistentVolume of class "manual" with its access modes holds 524288000 bytes/)
    await commit(repo, {'manifests/big-claim.yaml': null}, 'no claim')
    const r2 = await kgit(repo, 'plan')
    expect(r2.exitCode).toBe(1)
    expect(r2.stderr + r2.stdout).toMatch(/big.yaml:\d+ spec.template.spec.volumes\[0\].persistentVolumeClaim.claimName: persistentvolumeclaim "big" is not in namespace default/)
    // Both PVs that could hold 40Mi are taken: the claim is Pending and its pod waits, with the reason.
    await commit(repo, {'manifests/big.yaml': null, 'manifests/other.yaml': claimYaml('other', '30Mi', 'manual'), 'manifests/third.yaml': claimYaml('third', '40Mi', 'manual'), 'manifests/waits.yaml': writer('waits', 'third', 'x')}, 'pending claim')
    const r3 = await kgit(repo, 'apply')
    expect(r3.exitCode).toBe(1)
    expect(r3.stderr + r3.stdout).toMatch(/pod default\/waits-\S+ cannot be scheduled: persistentvolumeclaim "third" is not bound: no persistent volume of class "manual" is available/)
    expect((await kgit(repo, 'get', 'pvc')).stdout).toMatch(/^third\s+Pending\s+manual/m)
    expect(await podCounts(state, 'Deployment/waits')).toEqual([0, 0, 0])
  })
})
