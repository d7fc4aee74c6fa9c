import {describe, expect, it} from 'vitest'
import {podSecurityPolicy} from '../../src/engine/admission/pod-security-policy.js'
import {changeSet, type AdmissionRequest, type Denial} from '../../src/engine/admission/plugin.js'
import type {RequestAttributes, UserInfo} from '../../src/engine/admission/rbac.js'
import {securityContextDeny} from '../../src/engine/admission/security-context-deny.js'
import {loadDesired, type SourceFile} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import type {Desired} from '../../src/engine/types.js'

const CLUSTER = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: lab}\nspec:\n  nodes: [{name: n1, address: 198.51.100.2}]\n'
const file = (path: string, text: string): SourceFile => ({path, content: new TextEncoder().encode(text)})
const load = (...docs: string[]) => loadDesired({revision: 'abc', clusterFile: file('kgit.yaml', CLUSTER), files: [file('m.yaml', docs.join('---\n'))], schema})
const desired = (...docs: string[]): Desired => {
  const r = load(...docs)
  expect(r.errors.map((e) => e.message)).toEqual([])
  return r.desired!
}

/** A policy: RunAsAny everywhere unless `spec` (YAML lines at two spaces) says otherwise. */
function psp(name: string, spec = ''): string {
  const base: Record<string, string> = {
    seLinux: '{rule: RunAsAny}',
    runAsUser: '{rule: RunAsAny}',
    supplementalGroups: '{rule: RunAsAny}',
    fsGroup: '{rule: RunAsAny}',
    volumes: "['*']",
  }
  const own = new Set(spec.split('\n').map((l) => /^ {2}(\w+):/.exec(l)?.[1]).filter(Boolean))
  const lines = Object.entries(base).filter(([k]) => !own.has(k)).map(([k, v]) => `  ${k}: ${v}`)
  return `apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: ${name}}\nspec:\n${[...lines, spec].filter(Boolean).join('\n')}\n`
}

function pod(container = '', podExtra = '', name = 'p'): string {
  return `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: default}\nspec:\n${podExtra}  containers:\n    - name: app\n      image: busybox:1.35\n${container}`
}

/** Who may `use` which policies: user or service account name -> policy names. */
function request(d: Desired, grants: Record<string, string[]>): AdmissionRequest {
  return {
    desired: d,
    changes: changeSet(undefined, d.objects),
    previous: [],
    user: {user: 'alice', groups: ['system:authenticated'], method: 'test'},
    authorize(attrs: Omit<RequestAttributes, 'user' | 'groups'>, as?: UserInfo): boolean {
      expect([attrs.verb, attrs.apiGroup, attrs.resource]).toEqual(['use', 'policy', 'podsecuritypolicies'])
      return (grants[as?.user ?? 'alice'] ?? []).includes(attrs.name ?? '')
    },
  }
}

const rules = (ds: Denial[]): string[] => ds.map((d) => d.rule)
const admitPSP = (grants: Record<string, string[]>, ...docs: string[]): string[] => rules(podSecurityPolicy.admit(request(desired(...docs), grants), undefined) as Denial[])
const ALICE = {alice: ['restricted', 'privileged']}
const PREFIX = 'unable to validate against any pod security policy: '
const one = (policy: string, ...errs: string[]) => [`${PREFIX}[PodSecurityPolicy ${policy}: ${errs.join(', ')}]`]

interface Case {
  name: string
  policy: string
  pod: string
  /** The policy's violations; none: admitted. */
  refused?: string[]
}

const CASES: Case[] = [
  {name: 'a plain pod under an open policy', policy: '', pod: pod()},
  {name: 'privileged refused', policy: '', pod: pod('      securityContext: {privileged: true}\n'), refused: ['spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed']},
  {name: 'privileged allowed', policy: '  privileged: true', pod: pod('      securityContext: {privileged: true}\n')},
  {name: 'hostNetwork refused', policy: '', pod: pod('', '  hostNetwork: true\n'), refused: ['spec.securityContext.hostNetwork: Invalid value: true: Host network is not allowed to be used']},
  {name: 'hostPID and hostIPC refused', policy: '  hostIPC: false', pod: pod('', '  hostPID: true\n  hostIPC: true\n'), refused: ['spec.securityContext.hostPID: Invalid value: true: Host PID is not allowed to be used', 'spec.securityContext.hostIPC: Invalid value: true: Host IPC is not allowed to be used']},
  {name: 'hostPort outside the ranges', policy: '  hostPorts: [{min: 8000, max: 8080}]', pod: pod('      ports: [{containerPort: 80, hostPort: 80}]\n'), refused: ['spec.containers[0].ports[0].hostPort: Invalid value: 80: Host port 80 is not allowed to be used. Allowed ports: [{8000 8080}]']},
  {name: 'hostPort inside the ranges', policy: '  hostPorts: [{min: 8000, max: 8080}]', pod: pod('      ports: [{containerPort: 80, hostPort: 8080}]\n')},
  {name: 'volume type not listed', policy: '  volumes: [configMap, secret]', pod: pod('', '  volumes: [{name: a, configMap: {name: c, optional: true}}, {name: b, emptyDir: {}}]\n'), refused: ['spec.volumes[1]: Invalid value: "emptyDir": emptyDir volumes are not allowed to be used']},
  {name: 'volume type kgit does not run, by its index', policy: '  volumes: [emptyDir]', pod: pod('', '  volumes: [{name: a, nfs: {server: s, path: /x}}, {name: b, emptyDir: {}}]\n'), refused: ['spec.volumes[0]: Invalid value: "nfs": nfs volumes are not allowed to be used']},
  {name: 'hostPath outside allowedHostPaths', policy: '  allowedHostPaths: [{pathPrefix: /foo}]', pod: pod('', '  volumes: [{name: h, hostPath: {path: /foobar}}]\n'), refused: ['spec.volumes[0].hostPath.pathPrefix: Invalid value: "/foobar": is not allowed to be used']},
  {name: 'hostPath under a read-only prefix, mounted read-write', policy: '  allowedHostPaths: [{pathPrefix: /foo, readOnly: true}]', pod: pod('      volumeMounts: [{name: h, mountPath: /h}]\n', '  volumes: [{name: h, hostPath: {path: /foo/bar}}]\n'), refused: ['spec.containers[0].volumeMounts[0].readOnly: Invalid value: false: must be read-only']},
  {name: 'hostPath under a read-only prefix, mounted read-only', policy: '  allowedHostPaths: [{pathPrefix: /foo, readOnly: true}]', pod: pod('      volumeMounts: [{name: h, mountPath: /h, readOnly: true}]\n', '  volumes: [{name: h, hostPath: {path: /foo/bar}}]\n')},
  {name: 'runAsUser MustRunAs without a user (kgit does not default it)', policy: '  runAsUser: {rule: MustRunAs, ranges: [{min: 1000, max: 2000}]}', pod: pod(), refused: ['spec.containers[0].securityContext.runAsUser: Required value']},
  {name: 'runAsUser MustRunAs out of range', policy: '  runAsUser: {rule: MustRunAs, ranges: [{min: 1000, max: 2000}]}', pod: pod('      securityContext: {runAsUser: 999}\n'), refused: ['spec.containers[0].securityContext.runAsUser: Invalid value: 999: must be in the ranges: [{1000 2000}]']},
  {name: 'runAsUser MustRunAs from the pod level', policy: '  runAsUser: {rule: MustRunAs, ranges: [{min: 1000, max: 2000}]}', pod: pod('', '  securityContext: {runAsUser: 1500}\n')},
  {name: 'MustRunAsNonRoot without runAsNonRoot', policy: '  runAsUser: {rule: MustRunAsNonRoot}', pod: pod(), refused: ['spec.containers[0].securityContext.runAsNonRoot: Required value: must be true']},
  {name: 'MustRunAsNonRoot with uid 0', policy: '  runAsUser: {rule: MustRunAsNonRoot}', pod: pod('      securityContext: {runAsUser: 0}\n'), refused: ['spec.containers[0].securityContext.runAsUser: Invalid value: 0: running with the root UID is forbidden']},
  {name: 'MustRunAsNonRoot with runAsNonRoot false', policy: '  runAsUser: {rule: MustRunAsNonRoot}', pod: pod('      securityContext: {runAsNonRoot: false, runAsUser: 5}\n'), refused: ['spec.containers[0].securityContext.runAsNonRoot: Invalid value: false: must be true']},
  {name: 'runAsGroup MustRunAs', policy: '  runAsGroup: {rule: MustRunAs, ranges: [{min: 1, max: 10}]}', pod: pod('      securityContext: {runAsUser: 5, runAsGroup: 20}\n'), refused: ['spec.containers[0].securityContext.runAsGroup: Invalid value: [20]: group 20 must be in the ranges: [{1 10}]']},
  {name: 'fsGroup MustRunAs without one', policy: '  fsGroup: {rule: MustRunAs, ranges: [{min: 1, max: 10}]}', pod: pod(), refused: ['spec.securityContext.fsGroup: Invalid value: []: unable to validate empty groups against required ranges']},
  {name: 'fsGroup MayRunAs without one', policy: '  fsGroup: {rule: MayRunAs, ranges: [{min: 1, max: 10}]}', pod: pod()},
  {name: 'supplementalGroups MayRunAs out of range', policy: '  supplementalGroups: {rule: MayRunAs, ranges: [{min: 1, max: 10}]}', pod: pod('', '  securityContext: {supplementalGroups: [5, 50]}\n'), refused: ['spec.securityContext.supplementalGroups: Invalid value: [5,50]: group 50 must be in the ranges: [{1 10}]']},
  {name: 'capability not allowed', policy: '  allowedCapabilities: [NET_BIND_SERVICE]', pod: pod('      securityContext: {capabilities: {add: [NET_BIND_SERVICE, SYS_ADMIN]}}\n'), refused: ['spec.containers[0].securityContext.capabilities.add: Invalid value: "SYS_ADMIN": capability may not be added']},
  {name: 'capability allowed by *', policy: "  allowedCapabilities: ['*']", pod: pod('      securityContext: {capabilities: {add: [SYS_ADMIN]}}\n')},
  {name: 'default-added capability may be added', policy: '  defaultAddCapabilities: [CHOWN]', pod: pod('      securityContext: {capabilities: {add: [CAP_CHOWN]}}\n')},
  {name: 'required drop missing', policy: '  requiredDropCapabilities: [ALL]', pod: pod('      securityContext: {capabilities: {drop: [NET_RAW]}}\n'), refused: ['spec.containers[0].securityContext.capabilities.drop: Invalid value: ["NET_RAW"]: ALL is required to be dropped but was not found']},
  {name: 'required drop with no capabilities at all', policy: '  requiredDropCapabilities: [ALL]', pod: pod(), refused: ['spec.containers[0].securityContext.capabilities: Invalid value: null: required capabilities are not set on the securityContext']},
  {name: 'readOnlyRootFilesystem unset and false', policy: '  readOnlyRootFilesystem: true', pod: pod('      securityContext: {readOnlyRootFilesystem: false}\n'), refused: ['spec.containers[0].securityContext.readOnlyRootFilesystem: Invalid value: false: ReadOnlyRootFilesystem must be set to true']},
  {name: 'privilege escalation not allowed, unset', policy: '  allowPrivilegeEscalation: false', pod: pod(), refused: ['spec.containers[0].securityContext.allowPrivilegeEscalation: Invalid value: null: Allowing privilege escalation for containers is not allowed']},
  {name: 'privilege escalation not allowed, set false', policy: '  allowPrivilegeEscalation: false', pod: pod('      securityContext: {allowPrivilegeEscalation: false}\n')},
  {name: 'seLinux MustRunAs, other level', policy: '  seLinux: {rule: MustRunAs, seLinuxOptions: {level: "s0:c1"}}', pod: pod('      securityContext: {seLinuxOptions: {level: "s0:c2"}}\n'), refused: ['spec.containers[0].securityContext.seLinuxOptions.level: Invalid value: "s0:c2": must be s0:c1']},
  {name: 'seLinux MustRunAs, none given', policy: '  seLinux: {rule: MustRunAs, seLinuxOptions: {level: "s0:c1"}}', pod: pod(), refused: ['spec.containers[0].securityContext.seLinuxOptions: Required value']},
]

describe('PodSecurityPolicy plugin: one policy, one pod', () => {
  it.each(CASES)('$name', (c) => {
    const out = admitPSP({alice: ['only']}, psp('only', c.policy), c.pod)
    expect(out).toEqual(c.refused ? one('only', ...c.refused) : [])
  })
})

describe('PodSecurityPolicy plugin: which policies, whose', () => {
  const restricted = psp('restricted', '  runAsUser: {rule: MustRunAsNonRoot}')
  const privileged = psp('privileged', '  privileged: true')
  const priv = pod('      securityContext: {privileged: true}\n')

  it('admits a pod when any usable policy allows it, trying them in name order', () => {
    expect(admitPSP(ALICE, privileged, restricted, priv)).toEqual([])
  })

  it('names every policy it tried and why each refused', () => {
    expect(admitPSP({alice: ['restricted', 'b-nohost']}, privileged, restricted, psp('b-nohost'), priv)).toEqual([
      `${PREFIX}[PodSecurityPolicy b-nohost: spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed; PodSecurityPolicy restricted: spec.containers[0].securityContext.runAsNonRoot: Required value: must be true, spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed]`,
    ])
  })

  it("uses the policies the pod's service account may use", () => {
    const saPod = pod('      securityContext: {privileged: true}\n', '  serviceAccountName: builder\n')
    const sa = `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: builder}\n`
    expect(admitPSP({'system:serviceaccount:default:builder': ['privileged']}, privileged, sa, saPod)).toEqual([])
    expect(admitPSP({'system:serviceaccount:default:default': ['privileged']}, privileged, priv)).toEqual([])
    expect(admitPSP({'system:serviceaccount:other:default': ['privileged']}, privileged, priv)).toEqual([
      `${PREFIX}[] (user "alice" and service account default/default: neither may use any of the 1 PodSecurityPolicies of the revision (privileged); grant "use" on policy/podsecuritypolicies with a Role or ClusterRole)`,
    ])
  })

  it('refuses every pod when the revision has no policy (Kubernetes with the plugin on)', () => {
    expect(admitPSP(ALICE, pod())).toEqual([`${PREFIX}[] (user "alice" and service account default/default: the revision has no PodSecurityPolicy; grant "use" on policy/podsecuritypolicies with a Role or ClusterRole)`])
  })

  it('checks the templates of workloads with their paths, and names the object and where it is written', () => {
    const deploy = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: app, image: busybox:1.35, securityContext: {privileged: true}}]\n`
    const ds = podSecurityPolicy.admit(request(desired(restricted, deploy), ALICE), undefined) as Denial[]
    expect(ds).toEqual([
      {
        plugin: 'PodSecurityPolicy', kind: 'Deployment', namespace: 'default', name: 'web', pos: {file: 'm.yaml', line: 11, path: ''},
        rule: `${PREFIX}[PodSecurityPolicy restricted: spec.template.spec.containers[0].securityContext.runAsNonRoot: Required value: must be true, spec.template.spec.containers[0].securityContext.privileged: Invalid value: true: Privileged containers are not allowed]`,
      },
    ])
  })

  it('leaves deletions and objects without pods alone', () => {
    const d = desired(restricted, `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n`)
    const req = {...request(d, ALICE), changes: [...changeSet(undefined, d.objects), {verb: 'delete' as const, object: desired(priv).objects[0]!}]}
    expect(podSecurityPolicy.admit(req, undefined)).toEqual([])
  })
})

describe('PodSecurityPolicy objects', () => {
  const messages = (...docs: string[]) => load(...docs).errors.map((e) => e.message)

  it('reads both served versions as policy/v1beta1 with defaults', () => {
    const d = desired(psp('a').replace('policy/v1beta1', 'extensions/v1beta1'))
    const o = d.objects[0]!
    expect(o.kind === 'PodSecurityPolicy' && o.apiVersion).toBe('policy/v1beta1')
    expect(o.kind === 'PodSecurityPolicy' && o.spec).toEqual({
      privileged: false, defaultAddCapabilities: [], requiredDropCapabilities: [], allowedCapabilities: [], volumes: ['*'], hostNetwork: false, hostPID: false, hostIPC: false, hostPorts: [], allowedHostPaths: [],
      seLinux: {rule: 'RunAsAny'}, runAsUser: {rule: 'RunAsAny', ranges: []}, supplementalGroups: {rule: 'RunAsAny', ranges: []}, fsGroup: {rule: 'RunAsAny', ranges: []}, readOnlyRootFilesystem: false, allowPrivilegeEscalation: true,
    })
  })

  it('refuses bad policies with file, line and field', () => {
    expect(messages(psp('a', '  runAsUser: {rule: MustRunAs}'))).toEqual(['m.yaml:9 spec.runAsUser.ranges: Required value: ranges must be supplied for MustRunAs'])
    expect(messages(psp('a', '  fsGroup: {rule: MustRunAs, ranges: [{min: 10, max: 5}]}'))).toEqual(['m.yaml:9 spec.fsGroup.ranges[0]: Invalid value: 10-5: min cannot be greater than max'])
    expect(messages(psp('a', '  volumes: [emptyDirs]'))).toEqual([expect.stringMatching(/^m\.yaml:9 spec\.volumes\[0\]: Unsupported value: "emptyDirs": supported values: "\*", "azureFile"/)])
    expect(messages(psp('a', '  allowPrivilegeEscalation: false\n  defaultAllowPrivilegeEscalation: true'))).toEqual(['m.yaml:11 spec.defaultAllowPrivilegeEscalation: Invalid value: true: Cannot set DefaultAllowPrivilegeEscalation to true without also setting AllowPrivilegeEscalation to true'])
    expect(messages(psp('a', '  allowedCapabilities: [NET_RAW]\n  requiredDropCapabilities: [NET_RAW]'))).toEqual(['m.yaml:10 spec.allowedCapabilities[0]: Invalid value: "NET_RAW": capability is listed in allowedCapabilities and requiredDropCapabilities'])
    expect(messages(psp('a', '  seLinux: {rule: MustRunAs}'))).toEqual(['m.yaml:9 spec.seLinux.seLinuxOptions: Required value: seLinuxOptions must be given for rule MustRunAs'])
  })
})

describe('SecurityContextDeny plugin', () => {
  const deny = (...docs: string[]) => rules(securityContextDeny.admit(request(desired(...docs), {}), undefined) as Denial[])

  it('refuses the fields Kubernetes refuses, at pod and container level', () => {
    expect(deny(pod('      securityContext: {runAsUser: 5, seLinuxOptions: {level: "s0"}}\n', '  securityContext: {runAsUser: 1, fsGroup: 2, supplementalGroups: [3], seLinuxOptions: {type: t}}\n'))).toEqual([
      'spec.securityContext.seLinuxOptions: Forbidden: pod.Spec.SecurityContext.SELinuxOptions is forbidden',
      'spec.securityContext.runAsUser: Forbidden: pod.Spec.SecurityContext.RunAsUser is forbidden',
      'spec.securityContext.supplementalGroups: Forbidden: pod.Spec.SecurityContext.SupplementalGroups is forbidden',
      'spec.securityContext.fsGroup: Forbidden: pod.Spec.SecurityContext.FSGroup is forbidden',
      'spec.containers[0].securityContext.seLinuxOptions: Forbidden: SecurityContext.SELinuxOptions is forbidden',
      'spec.containers[0].securityContext.runAsUser: Forbidden: SecurityContext.RunAsUser is forbidden',
    ])
  })

  it('lets the other fields through', () => {
    expect(deny(pod('      securityContext: {privileged: true, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}, runAsNonRoot: true}\n', '  securityContext: {runAsNonRoot: true}\n'))).toEqual([])
  })
})
