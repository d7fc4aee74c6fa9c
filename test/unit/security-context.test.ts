import {describe, expect, it} from 'vitest'
import {containerRun, podRun, volumeSteps} from '../../src/engine/argv/podman.js'
import {podFilesWrite} from '../../src/engine/argv/pod-files.js'
import {nonRootCheck, securityArgs} from '../../src/engine/argv/security.js'
import {expandWorkloads} from '../../src/engine/controllers/workloads.js'
import {loadDesired, type SourceFile} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import type {DesiredPod, KObject, PodSpec} from '../../src/engine/types.js'

const CLUSTER = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: lab}\nspec:\n  nodes: [{name: n1, address: 198.51.100.2}]\n'
const file = (path: string, text: string): SourceFile => ({path, content: new TextEncoder().encode(text)})
const load = (text: string) => loadDesired({revision: 'abc', clusterFile: file('kgit.yaml', CLUSTER), files: [file('m.yaml', text)], schema})
const messages = (text: string) => load(text).errors.map((e) => e.message)
const objects = (text: string): KObject[] => {
  const r = load(text)
  expect(r.errors.map((e) => e.message)).toEqual([])
  return r.desired!.objects
}
const podsOf = (text: string): DesiredPod[] => expandWorkloads(load(text).desired!).pods
const podSpec = (text: string): PodSpec => {
  const o = objects(text).find((x) => x.kind === 'Pod')
  if (o?.kind !== 'Pod') throw new Error('no pod')
  return o.spec
}
const podYaml = (podSc: string, containerSc = '', extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
${podSc ? `  securityContext: ${podSc}\n` : ''}  containers:
    - name: app
      image: busybox:1.35
${containerSc ? `      securityContext: ${containerSc}\n` : ''}${extra}`

const asPod = (spec: PodSpec): DesiredPod => ({namespace: 'shop', name: 'p', labels: {}, specHash: 'h', source: {file: 'm.yaml', line: 1}, spec})

describe('securityContext read from manifests', () => {
  it('keeps the fields given, and nothing when none is given (spec hashes stay)', () => {
    const spec = podSpec(podYaml('{runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000, 5000], runAsNonRoot: true, seLinuxOptions: {level: "s0:c123,c456"}}', '{privileged: false, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}, runAsUser: 1001}'))
    expect(spec.securityContext).toEqual({runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000, 5000], runAsNonRoot: true, seLinuxOptions: {level: 's0:c123,c456'}})
    expect(spec.containers[0]!.securityContext).toEqual({runAsUser: 1001, privileged: false, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: ['ALL'], add: ['NET_BIND_SERVICE']}})
    const plain = podSpec(podYaml(''))
    expect('securityContext' in plain).toBe(false)
    expect('securityContext' in plain.containers[0]!).toBe(false)
    expect('securityContext' in podSpec(podYaml('{}', '{}')).containers[0]!).toBe(false)
    const [a] = podsOf(podYaml(''))
    const [b] = podsOf(podYaml('{}', '{}'))
    expect(a!.specHash).toBe(b!.specHash)
  })

  it('refuses what the API server refuses, and what podman cannot run, naming file, line and field', () => {
    expect(messages(podYaml('{runAsUser: -1}'))).toEqual(['m.yaml:5 spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive'])
    expect(messages(podYaml('', '{privileged: true, allowPrivilegeEscalation: false}'))).toEqual(['m.yaml:8 spec.containers[0].securityContext.allowPrivilegeEscalation: Invalid value: false: cannot set `allowPrivilegeEscalation` to false and `privileged` to true'])
    expect(messages(podYaml('', '{capabilities: {add: [NET_ADMINN]}}'))).toEqual(['m.yaml:8 spec.containers[0].securityContext.capabilities.add[0]: Unsupported value: "NET_ADMINN": not a Linux capability (e.g. NET_ADMIN, SYS_TIME, or ALL)'])
    expect(messages(podYaml('{runAsGroup: 10}'))).toEqual(['m.yaml:5 spec.securityContext.runAsGroup: runAsGroup needs a runAsUser for containers[0] in kgit (podman --user takes UID:GID; the image\'s user cannot be combined with another group)'])
    expect(messages(podYaml('{runAsGroup: 10}', '{runAsUser: 5}'))).toEqual([])
  })

  it('warns of the fields kgit does not act on, and no longer of securityContext itself', () => {
    const r = load(podYaml('{runAsUser: 1}', '{seccompProfile: {type: RuntimeDefault}}'))
    expect(r.warnings).toEqual(['m.yaml:9 spec.containers[0].securityContext.seccompProfile: seccompProfile is not acted on by this version of kgit yet; the container runs without it'])
  })

  it('reads hostNetwork, hostPID and hostIPC for admission, and still does not run such pods', () => {
    const spec = podSpec(podYaml('', '', '  hostNetwork: true\n  hostPID: false\n'))
    expect(spec.hostNetwork).toBe(true)
    expect('hostPID' in spec).toBe(false)
    const [p] = podsOf(podYaml('', '', '  hostNetwork: true\n'))
    expect(p!.unsupported).toEqual(['hostNetwork'])
  })
})

describe('securityContext as podman flags', () => {
  const spec = (podSc: string, containerSc = '') => podSpec(podYaml(podSc, containerSc))

  it('maps every field to its flag, the container over the pod', () => {
    const s = spec('{runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000, 2000], seLinuxOptions: {user: system_u, level: "s0:c1,c2"}}', '{runAsUser: 1001, privileged: true, capabilities: {drop: [ALL], add: [CAP_NET_ADMIN, sys_time]}, readOnlyRootFilesystem: true}')
    expect(securityArgs(s, s.containers[0]!)).toEqual([
      '--user', '1001:3000', '--group-add', '2000', '--group-add', '4000', '--privileged',
      '--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN', '--cap-add', 'SYS_TIME', '--read-only', '--read-only-tmpfs=false',
      '--security-opt', 'label=user:system_u', '--security-opt', 'label=level:s0:c1,c2',
    ])
    const n = spec('', '{runAsUser: 0, allowPrivilegeEscalation: false, seLinuxOptions: {type: spc_t}}')
    expect(securityArgs(n, n.containers[0]!)).toEqual(['--user', '0', '--security-opt', 'no-new-privileges', '--security-opt', 'label=type:spc_t'])
    const none = spec('')
    expect(securityArgs(none, none.containers[0]!)).toEqual([])
  })

  it('puts the flags before the image in podman run', () => {
    const s = spec('', '{runAsUser: 1000, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}')
    const argv = containerRun(asPod(s), s.containers[0]!, {dataDir: '/d'})
    expect(argv.slice(argv.indexOf('--pull'))).toEqual(['--pull', 'missing', '--user', '1000', '--cap-drop', 'ALL', '--read-only', '--read-only-tmpfs=false', '--', 'busybox:1.35'])
  })

  it('checks runAsNonRoot against the image before the container starts', () => {
    const s = spec('{runAsNonRoot: true}')
    const check = nonRootCheck(asPod(s), s.containers[0]!)!
    expect(check.slice(0, 2)).toEqual(['sh', '-c'])
    expect(check.slice(3)).toEqual(['kgit-nonroot', 'busybox:1.35', '(pod: "shop/p", container: app)', 'IfNotPresent', ''])
    expect(check[2]).toContain("podman image inspect --format '{{.Config.User}}'")
    expect(podRun(asPod(s), {dataDir: '/d', probeScript: ''}).map((st) => st.slice(0, 2).join(' '))).toEqual(['sh -c', 'podman pod', 'sh -c', 'podman run'])
    // A runAsUser other than 0 needs no look at the image; 0 breaks the policy outright.
    const five = spec('{runAsNonRoot: true, runAsUser: 5}')
    expect(nonRootCheck(asPod(five), five.containers[0]!)).toBeUndefined()
    const root = spec('{runAsNonRoot: true}', '{runAsUser: 0}')
    expect(nonRootCheck(asPod(root), root.containers[0]!)!.slice(3)).toEqual(['kgit-nonroot', 'CreateContainerConfigError: container\'s runAsUser breaks non-root policy (pod: "shop/p", container: app)'])
    const off = spec('{runAsNonRoot: true}', '{runAsNonRoot: false}')
    expect(nonRootCheck(asPod(off), off.containers[0]!)).toBeUndefined()
  })

  it('makes emptyDirs as the kubelet does for pods with a user or an fsGroup, and as before for the others', () => {
    const vols = "  volumes: [{name: d, emptyDir: {}}, {name: m, emptyDir: {medium: Memory}}]\n"
    const steps = (podSc: string, containerSc = '') => volumeSteps(asPod(podSpec(podYaml(podSc, containerSc, vols))), '/d').slice(1)
    const create = ['podman', 'volume', 'create', '--label', 'kgit.dev/managed=true', '--label', 'kgit.dev/pod=shop_p']
    expect(steps('{fsGroup: 2000}')).toEqual([
      [...create, '--opt', 'o=uid=0,gid=2000', 'shop_p_d'],
      ['sh', '-c', 'm=$(podman volume inspect --format "{{.Mountpoint}}" "$1") && chmod "$2" "$m"', 'kgit-emptydir', 'shop_p_d', '2777'],
      [...create, '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=uid=0,gid=2000,mode=2777', 'shop_p_m'],
    ])
    expect(steps('', '{runAsUser: 1000}')).toEqual([
      [...create, '--opt', 'o=uid=0,gid=0', 'shop_p_d'],
      ['sh', '-c', 'm=$(podman volume inspect --format "{{.Mountpoint}}" "$1") && chmod "$2" "$m"', 'kgit-emptydir', 'shop_p_d', '0777'],
      [...create, '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=uid=0,gid=0,mode=0777', 'shop_p_m'],
    ])
    expect(steps('', '{readOnlyRootFilesystem: true}')).toEqual([[...create, 'shop_p_d'], [...create, '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', 'shop_p_m']])
  })

  it('gives configMap and secret files to the fsGroup', () => {
    const s = spec('{fsGroup: 2000}')
    expect(podFilesWrite('/d', asPod(s), 'start').slice(3)).toEqual(['kgit-pod-files', '/d', 'shop_p', 'start', '2000'])
    expect(podFilesWrite('/d', asPod(spec('')), 'update').slice(3)).toEqual(['kgit-pod-files', '/d', 'shop_p', 'update'])
    expect(podFilesWrite('/d', asPod(s), 'start')[2]).toContain('chgrp -R -- "$fsg" "$dir/$ts" && chmod -R ug+rX -- "$dir/$ts"')
  })
})
