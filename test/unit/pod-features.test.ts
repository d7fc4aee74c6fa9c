import {describe, expect, it} from 'vitest'
import {loadDesired, type SourceFile} from '../../src/engine/manifest/load.js'
import {quantityBytes} from '../../src/engine/manifest/volumes.js'
import * as schema from '../../src/engine/manifest/schema.js'
import type {ContainerSpec, KObject, PodSpec} from '../../src/engine/types.js'

const CLUSTER = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: lab}\nspec:\n  nodes: [{name: n1, address: 198.51.100.2}]\n'
const file = (path: string, text: string): SourceFile => ({path, content: new TextEncoder().encode(text)})
const load = (...texts: string[]) => loadDesired({revision: 'abc', clusterFile: file('kgit.yaml', CLUSTER), files: texts.map((t, i) => file(`m${i}.yaml`, t)), schema})
const messages = (...texts: string[]) => load(...texts).errors.map((e) => e.message)
const objects = (...texts: string[]): KObject[] => {
  const r = load(...texts)
  expect(r.errors.map((e) => e.message)).toEqual([])
  return r.desired!.objects
}
const podSpec = (...texts: string[]): PodSpec => {
  const o = objects(...texts).find((x) => x.kind === 'Pod')
  if (o?.kind !== 'Pod') throw new Error('no pod')
  return o.spec
}
const notes = (...texts: string[]) => {
  const o = objects(...texts).find((x) => x.kind === 'Pod')
  return o?.kind === 'Pod' ? o.notes : undefined
}

/** A Pod: `spec` lines at 2 spaces, `container` lines at 6 (inside containers[0]). */
const pod = (spec: string, container = '') => `apiVersion: v1
kind: Pod
metadata: {name: p, labels: {app: p}, annotations: {team: blue}}
spec:
${spec}  containers:
    - name: c
      image: busybox:1.35
${container}`

describe('volumes and volumeMounts', () => {
  it('reads emptyDir and hostPath volumes with their defaults, and the mounts', () => {
    const spec = podSpec(pod('  volumes:\n    - {name: a, emptyDir: {}}\n    - {name: m, emptyDir: {medium: Memory, sizeLimit: 64Mi}}\n    - {name: h, hostPath: {path: /srv/data}}\n', '      volumeMounts: [{name: a, mountPath: /a}, {name: h, mountPath: /h, readOnly: true, subPath: x/y}]\n'))
    expect(spec.volumes).toEqual([
      {name: 'a', emptyDir: {medium: ''}},
      {name: 'm', emptyDir: {medium: 'Memory', sizeLimit: '64Mi'}},
      {name: 'h', hostPath: {path: '/srv/data', type: ''}},
    ])
    expect(spec.containers[0]!.volumeMounts).toEqual([
      {name: 'a', mountPath: '/a', readOnly: false},
      {name: 'h', mountPath: '/h', readOnly: true, subPath: 'x/y'},
    ])
  })

  it('names file, line and field of every bad volume or mount', () => {
    const msgs = messages(pod(
      '  volumes:\n    - {name: a, emptyDir: {sizeLimit: lots}}\n    - {name: h, hostPath: {path: relative/dir, type: Directory}}\n    - {name: a, emptyDir: {}}\n',
      '      volumeMounts:\n        - {name: nope, mountPath: /x}\n        - {name: a, mountPath: rel}\n        - {name: h, mountPath: /x, subPath: ../up}\n        - {name: h, mountPath: /y, subPath: /abs}\n',
    ))
    expect(msgs).toEqual([
      // The schema's message (kgit's own check agrees and is not repeated).
      'm0.yaml:6 spec.volumes[0].emptyDir.sizeLimit: must be a quantity such as 500m, 2 or 128Mi, got string "lots"',
      'm0.yaml:7 spec.volumes[1].hostPath.path: must be an absolute path, got "relative/dir"',
      'm0.yaml:8 spec.volumes[2].name: duplicate volume name "a" (also volumes[0])',
      'm0.yaml:13 spec.containers[0].volumeMounts[0].name: no volume named "nope" in the pod\'s volumes',
      'm0.yaml:14 spec.containers[0].volumeMounts[1].mountPath: must be an absolute path, got "rel"',
      'm0.yaml:15 spec.containers[0].volumeMounts[2].mountPath: must be unique: "/x" is also volumeMounts[0]',
      'm0.yaml:15 spec.containers[0].volumeMounts[2].subPath: must not contain ".."',
      'm0.yaml:16 spec.containers[0].volumeMounts[3].subPath: must be a relative path, got "/abs"',
    ])
  })

  it('reports the volume types it cannot run yet precisely, and runs the rest', () => {
    const n = notes(pod('  volumes:\n    - {name: a, emptyDir: {}}\n    - {name: n, nfs: {server: nfs.example, path: /}}\n', '      volumeMounts: [{name: n, mountPath: /n}, {name: a, mountPath: /a, subPath: s}]\n'))
    expect(n?.unsupported).toEqual(['volumes[1].nfs', 'containers[0].volumeMounts[1].subPath'])
    expect(notes(pod('  volumes: [{name: a, emptyDir: {}}]\n', '      volumeMounts: [{name: a, mountPath: /a}]\n'))?.unsupported).toEqual([])
  })

  it('reads Kubernetes quantities as bytes', () => {
    expect(['64Mi', '1G', '1.5Ki', '100', '1e3', '500m'].map(quantityBytes)).toEqual([67108864, 1e9, 1536, 100, 1000, 1])
  })
})

describe('probes', () => {
  const container = (probe: string) => podSpec(pod('', `      ports: [{name: http, containerPort: 8080}]\n${probe}`)).containers[0]!

  it('fills in Kubernetes defaults and resolves named ports', () => {
    const c: ContainerSpec = container('      livenessProbe: {httpGet: {port: http}}\n      readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 2, failureThreshold: 1, successThreshold: 2}\n')
    expect(c.livenessProbe).toEqual({handler: {httpGet: {path: '/', port: 8080, scheme: 'HTTP', headers: []}}, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3})
    expect(c.readinessProbe).toEqual({handler: {tcpSocket: {port: 8080}}, initialDelaySeconds: 0, periodSeconds: 2, timeoutSeconds: 1, successThreshold: 2, failureThreshold: 1})
    const e = container('      readinessProbe: {exec: {command: [cat, /ready]}, initialDelaySeconds: 5}\n      livenessProbe: {httpGet: {path: /healthz, port: 80, scheme: HTTPS, host: 127.0.0.1, httpHeaders: [{name: X-A, value: b}]}}\n')
    expect(e.readinessProbe?.handler).toEqual({exec: {command: ['cat', '/ready']}})
    expect(e.readinessProbe?.initialDelaySeconds).toBe(5)
    expect(e.livenessProbe?.handler).toEqual({httpGet: {path: '/healthz', port: 80, scheme: 'HTTPS', host: '127.0.0.1', headers: [{name: 'X-A', value: 'b'}]}})
  })

  it('refuses an unknown port name, no or two handlers, and a liveness successThreshold other than 1', () => {
    expect(messages(pod('', '      ports: [{name: http, containerPort: 80}]\n      livenessProbe: {httpGet: {port: web}, successThreshold: 2}\n      readinessProbe: {periodSeconds: 3}\n'))).toEqual([
      'm0.yaml:9 spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
      'm0.yaml:9 spec.containers[0].livenessProbe.httpGet.port: no port named "web" in this container\'s ports (named: http)',
      'm0.yaml:10 spec.containers[0].readinessProbe: must specify a handler type (exec, httpGet, tcpSocket or grpc)',
    ])
    expect(messages(pod('', '      readinessProbe:\n        exec: {command: ["true"]}\n        tcpSocket: {port: 1}\n'))).toEqual(['m0.yaml:10 spec.containers[0].readinessProbe.tcpSocket: may not specify more than 1 handler type (also exec)'])
  })

  it('does not run grpc probes yet; startupProbe is ignored with a warning', () => {
    const r = load(pod('', '      livenessProbe: {grpc: {port: 9000}}\n      startupProbe: {tcpSocket: {port: 1}}\n'))
    expect(r.errors).toEqual([])
    const p = r.desired!.objects[0]!
    expect(p.kind === 'Pod' && p.notes.unsupported).toEqual(['containers[0].livenessProbe.grpc'])
    expect(r.warnings).toEqual(['m0.yaml:9 spec.containers[0].startupProbe: startupProbe is not acted on by this version of kgit yet; the container runs without it'])
  })
})

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {A: "1", b: two, 1st: x}\nbinaryData: {bin: aGk=}\n'

describe('env from ConfigMaps and fields', () => {
  it('resolves envFrom before env, a later name winning; fieldRefs by the pod instance or at once', () => {
    const envFrom = '      envFrom: [{configMapRef: {name: cfg}}, {configMapRef: {name: cfg}, prefix: P_}, {configMapRef: {name: none, optional: true}}]\n'
    const env = '      env:\n        - {name: A, value: override}\n        - {name: K, valueFrom: {configMapKeyRef: {name: cfg, key: b}}}\n        - {name: O, valueFrom: {configMapKeyRef: {name: cfg, key: missing, optional: true}}}\n        - {name: N, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n        - {name: L, valueFrom: {fieldRef: {fieldPath: "metadata.labels[\'app\']"}}}\n        - {name: T, valueFrom: {fieldRef: {fieldPath: "metadata.annotations[\'team\']"}}}\n        - {name: S, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}\n        - {name: H, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}\n'
    const r = load(CM.replace(', 1st: x', '') + '---\n' + pod('', envFrom + env))
    expect(r.errors).toEqual([])
    const p = r.desired!.objects.find((o) => o.kind === 'Pod')!
    expect(p.kind === 'Pod' && p.spec.containers[0]!.env).toEqual([
      {name: 'A', value: 'override'},
      {name: 'b', value: 'two'},
      {name: 'P_A', value: '1'},
      {name: 'P_b', value: 'two'},
      {name: 'K', value: 'two'},
      {name: 'N', value: '', fieldPath: 'metadata.name'},
      {name: 'L', value: '', fieldPath: "metadata.labels['app']"},
      {name: 'T', value: 'blue'},
      {name: 'S', value: 'default'},
      {name: 'H', value: '', fieldPath: 'spec.nodeName'},
    ])
    expect(p.kind === 'Pod' && p.notes.unsupported).toEqual([])
  })

  it('resolves a StatefulSet template\'s env from ConfigMaps as any other workload\'s', () => {
    const sts = 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  serviceName: db\n  replicas: 1\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n      containers:\n        - name: main\n          image: busybox\n          envFrom: [{configMapRef: {name: cfg}, prefix: P_}]\n          env: [{name: K, valueFrom: {configMapKeyRef: {name: cfg, key: b}}}]\n'
    const r = load(CM.replace(', 1st: x', '') + '---\n' + sts)
    expect(r.errors).toEqual([])
    const s = r.desired!.objects.find((o) => o.kind === 'StatefulSet')!
    expect(s.kind === 'StatefulSet' && s.spec.template.spec.containers[0]!.env).toEqual([
      {name: 'P_A', value: '1'},
      {name: 'P_b', value: 'two'},
      {name: 'K', value: 'two'},
    ])
  })

  it('names the pod\'s field when a ConfigMap or key is missing; skips keys that are not variable names', () => {
    const r = load(CM + '---\n' + pod('', '      envFrom: [{configMapRef: {name: gone}}, {configMapRef: {name: cfg}}]\n      env:\n        - {name: X, valueFrom: {configMapKeyRef: {name: cfg, key: nope}}}\n        - {name: Y, valueFrom: {configMapKeyRef: {name: cfg, key: bin}}}\n'))
    expect(r.errors.map((e) => e.message)).toEqual([
      'm0.yaml:14 spec.containers[0].envFrom[0].configMapRef.name: ConfigMap "gone" is not in namespace default of this revision (add it, or set optional: true)',
      'm0.yaml:16 spec.containers[0].env[0].valueFrom.configMapKeyRef.name: ConfigMap "cfg" has no key "nope" in its data (add it, or set optional: true)',
      'm0.yaml:17 spec.containers[0].env[1].valueFrom.configMapKeyRef.name: ConfigMap "cfg" has no key "bin" in its data (binaryData cannot be used in env) (add it, or set optional: true)',
    ])
    expect(r.warnings).toEqual(['m0.yaml:14 spec.containers[0].envFrom[1].configMapRef.name: key "1st" of ConfigMap "cfg" is not a valid environment variable name: skipped, as Kubernetes does'])
  })

  it('runs Secret env (resolved when the revision is read), keeps status fields unsupported; refuses an unknown fieldPath', () => {
    const n = notes(pod('', '      envFrom: [{secretRef: {name: s, optional: true}}]\n      env:\n        - {name: I, valueFrom: {fieldRef: {fieldPath: status.podIP}}}\n        - {name: S, valueFrom: {secretKeyRef: {name: s, key: k, optional: true}}}\n'))
    expect(n?.unsupported).toEqual(['containers[0].env[0].valueFrom.fieldRef'])
    expect(messages(pod('', '      env: [{name: Z, valueFrom: {fieldRef: {fieldPath: spec.nope}}}]\n'))).toEqual([
      'm0.yaml:8 spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.nope": supported values: "metadata.name", "metadata.namespace", "metadata.labels[\'KEY\']", "metadata.annotations[\'KEY\']", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.podIP"',
    ])
  })

  it('reads a ConfigMap: data, binaryData, immutable', () => {
    const cm = objects(CM.replace(', 1st: x', '') + 'immutable: true\n')[0]!
    expect(cm).toMatchObject({kind: 'ConfigMap', data: {A: '1', b: 'two'}, binaryData: {bin: 'aGk='}, immutable: true})
  })
})

const TEMPLATE = `  template:
    metadata: {labels: {app: web, tier: fe}}
    spec:
      containers: [{name: c, image: "busybox:1.35"}]
`

describe('ReplicaSet and ReplicationController', () => {
  it('reads a ReplicaSet in every served version as apps/v1, with defaults', () => {
    const rs = (v: string, selector: string) => `apiVersion: ${v}\nkind: ReplicaSet\nmetadata: {name: web}\nspec:\n${selector}${TEMPLATE}`
    const [a, b] = objects(rs('apps/v1', '  replicas: 3\n  minReadySeconds: 5\n  selector: {matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [fe, be]}]}\n'), rs('extensions/v1beta1', '').replace('name: web', 'name: old'))
    expect(a).toMatchObject({kind: 'ReplicaSet', apiVersion: 'apps/v1', spec: {replicas: 3, minReadySeconds: 5, selector: {matchLabels: {app: 'web'}, matchExpressions: [{key: 'tier', operator: 'In', values: ['fe', 'be']}]}}})
    expect(b).toMatchObject({kind: 'ReplicaSet', apiVersion: 'apps/v1', spec: {replicas: 1, minReadySeconds: 0, selector: {matchLabels: {app: 'web', tier: 'fe'}}}})
    expect(a?.kind === 'ReplicaSet' && a.spec.template.spec.containers[0]!.name).toBe('c')
  })

  it('defaults a ReplicationController\'s selector to the template labels', () => {
    const [rc] = objects(`apiVersion: v1\nkind: ReplicationController\nmetadata: {name: web}\nspec:\n${TEMPLATE}`)
    expect(rc).toMatchObject({kind: 'ReplicationController', apiVersion: 'v1', spec: {replicas: 1, selector: {matchLabels: {app: 'web', tier: 'fe'}}}})
  })

  it('refuses a missing or unmatched selector and a restartPolicy other than Always', () => {
    expect(messages(`apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web}\nspec:\n${TEMPLATE}`)).toEqual(['m0.yaml:4 spec.selector: required field is missing'])
    expect(messages(`apiVersion: v1\nkind: ReplicationController\nmetadata: {name: web}\nspec:\n  selector: {app: other}\n${TEMPLATE.replace('    spec:\n', '    spec:\n      restartPolicy: Never\n')}`)).toEqual([
      'm0.yaml:7 spec.template.metadata.labels: `selector` does not match template `labels`',
      'm0.yaml:9 spec.template.spec.restartPolicy: Unsupported value: "Never": a ReplicationController\'s pods must use restartPolicy Always',
    ])
    expect(messages(`apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web}\nspec:\n  selector: {matchExpressions: [{key: app, operator: Exists, values: [x]}]}\n${TEMPLATE}`)).toEqual([
      "m0.yaml:5 spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    ])
  })
})
