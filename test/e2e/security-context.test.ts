import {parse, stringify} from 'yaml'
import {beforeAll, describe, expect, inject, it} from 'vitest'
import {PLUGINS} from '../../src/engine/admission/chain.js'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {commit, kgit, lab, labCluster, podman, podsOn} from './helpers.js'

const repo = inject('labRepo')
/** Puts kgit.yaml back and removes the manifests after the tests. */
const cluster = labCluster(repo)
let state: LabState
let node: string

const CONFIG_MAP = `apiVersion: v1
kind: ConfigMap
metadata: {name: locked-cfg}
data: {secret-ish: only-the-group}
`

/** uid 1000, read-only root, no capabilities, a configMap file only its fsGroup may read, an emptyDir shared with uid 1001. */
const LOCKED = `apiVersion: v1
kind: Pod
metadata: {name: locked}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {fsGroup: 2000, supplementalGroups: [3000]}
  volumes: [{name: cfg, configMap: {name: locked-cfg, defaultMode: 0440}}, {name: scratch, emptyDir: {}}]
  containers:
    - name: app
      image: localhost/busybox:1.35
      command: [sleep, '3600']
      securityContext: {runAsUser: 1000, runAsGroup: 1000, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
      volumeMounts: [{name: cfg, mountPath: /cfg}, {name: scratch, mountPath: /scratch}]
    - name: other
      image: localhost/busybox:1.35
      command: [sleep, '3600']
      securityContext: {runAsUser: 1001}
      volumeMounts: [{name: scratch, mountPath: /scratch}]
`

/** busybox runs as root: runAsNonRoot without a runAsUser must keep it from starting. */
const NON_ROOT = `apiVersion: v1
kind: Pod
metadata: {name: nonroot}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsNonRoot: true}
  containers:
    - {name: app, image: localhost/busybox:1.35, command: [sleep, '3600']}
`

beforeAll(async () => {
  state = await lab(inject('labName'))
})

describe('securityContext on a real lab', () => {
  it('runs a container as uid 1000 with a read-only root, no capabilities, and its fsGroup', async () => {
    await commit(repo, {'manifests/cfg.yaml': CONFIG_MAP, 'manifests/locked.yaml': LOCKED})
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    const found = await Promise.all(state.nodes.map(async (n) => ((await podsOn(state, n.name)).some((p) => p.name === 'default_locked') ? n.name : undefined)))
    node = found.find((n) => n !== undefined)!
    expect(node).toBeDefined()
    const exec = (...argv: string[]) => podman(state, node, 'exec', 'default_locked_app', ...argv)
    expect((await exec('id', '-u')).trim()).toBe('1000')
    expect((await exec('id', '-g')).trim()).toBe('1000')
    expect((await exec('id', '-G')).trim().split(' ').sort()).toEqual(['1000', '2000', '3000'])
    await expect(exec('touch', '/x')).rejects.toThrow(/Read-only file system/)
    // Kubernetes mounts no tmpfs of its own on a read-only root: /tmp is read-only too.
    await expect(exec('touch', '/tmp/x')).rejects.toThrow(/Read-only file system/)
    expect(await exec('grep', 'CapEff', '/proc/1/status')).toMatch(/^CapEff:\s+0000000000000000$/m)
    expect(await exec('grep', 'NoNewPrivs', '/proc/1/status')).toMatch(/^NoNewPrivs:\s+1$/m)
    // 0440, group 2000: readable through the fsGroup only.
    expect(await exec('cat', '/cfg/secret-ish')).toBe('only-the-group')
    expect((await exec('stat', '-L', '-c', '%a %g', '/cfg/secret-ish')).trim()).toBe('440 2000')
    // The emptyDir as the kubelet makes it with an fsGroup: group 2000, 2777; both users write there.
    expect((await exec('stat', '-c', '%a %u:%g', '/scratch')).trim()).toBe('2777 0:2000')
    await exec('touch', '/scratch/from-app')
    await podman(state, node, 'exec', 'default_locked_other', 'touch', '/scratch/from-other')
    expect((await exec('stat', '-c', '%u:%g', '/scratch/from-app', '/scratch/from-other')).trim().split('\n')).toEqual(['1000:2000', '1001:2000'])
  })

  it('a second apply changes nothing', async () => {
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^No changes: the reachable nodes already run [0-9a-f]{12}/m)
  })

  it('refuses to start a runAsNonRoot container whose image runs as root, naming pod and container', async () => {
    await commit(repo, {'manifests/nonroot.yaml': NON_ROOT})
    const r = await kgit(repo, 'apply')
    expect(r.exitCode).not.toBe(0)
    expect(r.stderr + r.stdout).toContain('CreateContainerConfigError: container has runAsNonRoot and image will run as root (pod: "default/nonroot", container: app)')
    const pods = (await Promise.all(state.nodes.map((n) => podsOn(state, n.name)))).flat()
    expect(pods.map((p) => p.name)).not.toContain('default_nonroot')
    expect(pods.map((p) => p.name)).toContain('default_locked')
  })
})

/** A policy that allows everything but privileged containers. */
const RESTRICTED = `apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata: {name: restricted}
spec:
  privileged: false
  seLinux: {rule: RunAsAny}
  runAsUser: {rule: RunAsAny}
  supplementalGroups: {rule: RunAsAny}
  fsGroup: {rule: RunAsAny}
  volumes: ['*']
`

const PRIVILEGED = `apiVersion: v1
kind: Pod
metadata: {name: priv}
spec:
  containers:
    - {name: app, image: localhost/busybox:1.35, command: [sleep, '3600'], securityContext: {privileged: true}}
`

/** Every kgit pod of the lab: a refused apply must leave it as it was. */
async function allPods(): Promise<string[]> {
  return (await Promise.all(state.nodes.map(async (n) => (await podsOn(state, n.name)).map((p) => `${n.name}/${p.name}`)))).flat().sort()
}

// The plugin runs once the admission chain (kgit.yaml spec.admission) registers it in PLUGINS.
describe.skipIf(!('PodSecurityPolicy' in PLUGINS))('PodSecurityPolicy on a real lab', () => {
  it('refuses a privileged pod under a restrictive policy before any node is touched, naming the rule', async () => {
    const doc = parse(cluster.original()) as {spec: Record<string, unknown>}
    doc.spec.admission = {plugins: ['PodSecurityPolicy']}
    await commit(repo, {'kgit.yaml': stringify(doc), 'manifests/nonroot.yaml': null, 'manifests/psp.yaml': RESTRICTED, 'manifests/priv.yaml': PRIVILEGED})
    const before = await allPods()
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stdout).toBe(1)
    expect(r.stderr).toContain('Pod default/priv (manifests/priv.yaml:1): unable to validate against any pod security policy: [PodSecurityPolicy restricted: spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed] (admission plugin PodSecurityPolicy)')
    expect(await allPods()).toEqual(before)
    // Without the privileged pod the policy admits the rest (uid 1000, no privilege).
    await commit(repo, {'manifests/priv.yaml': null})
    const ok = await kgit(repo, 'apply')
    expect(ok.exitCode, ok.stderr + ok.stdout).toBe(0)
  })
})
