import {describe, expect, it} from 'vitest'
import {admit, denialMessage, enabled, PLUGINS} from '../../src/engine/admission/chain.js'
import {execRefusal} from '../../src/engine/admission/plugins/deny-escalating-exec.js'
import {parseCluster} from '../../src/engine/manifest/cluster.js'
import type {Desired} from '../../src/engine/types.js'
import {withAdmission, load, request} from '../support/admission.js'
import {deploymentYaml} from '../support/manifests.js'

/** The chain on a whole revision (everything created), as messages. */
async function admitted(admission: string | undefined, ...docs: string[]): Promise<{desired: Desired; messages: string[]}> {
  const r = load(admission, ...docs)
  if (!r.desired) throw new Error(r.errors.join('\n'))
  const denials = await admit(request(r.desired), r.desired.cluster.admission)
  return {desired: r.desired, messages: denials.map(denialMessage)}
}

const plugins = (...names: string[]): string => `    plugins: [${names.join(', ')}]\n`
const ns = (name: string, annotations = ''): string => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}${annotations ? `, annotations: {${annotations}}` : ''}}\n`
const pod = (name: string, opts: {ns?: string; image?: string; extra?: string} = {}): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${opts.ns ?? 'default'}}\nspec:\n${opts.extra ?? ''}  containers: [{name: main, image: "${opts.image ?? 'busybox:1.35'}"}]\n`

describe('kgit.yaml spec.admission', () => {
  const errors = (admission: string): string[] => parseCluster('kgit.yaml', withAdmission(admission)).errors.map((e) => e.message)

  it('has the documented defaults when absent', () => {
    const c = parseCluster('kgit.yaml', withAdmission()).cluster!
    expect(c.admission).toBeUndefined()
    expect(['NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'DefaultStorageClass', 'ResourceQuota'].every((n) => enabled(c.admission, n))).toBe(true)
    expect(['NamespaceExists', 'NamespaceAutoProvision', 'AlwaysPullImages', 'ImagePolicyWebhook', 'AlwaysDeny', 'PodNodeSelector'].some((n) => enabled(c.admission, n))).toBe(false)
  })

  it('takes names, or {name, configuration} as Kubernetes AdmissionConfiguration does', () => {
    const c = parseCluster('kgit.yaml', withAdmission('    plugins:\n      - NamespaceLifecycle\n      - name: PodNodeSelector\n        configuration:\n          podNodeSelectorPluginConfig: {clusterDefaultNodeSelector: "zone=a", dev: "zone=a,disk=ssd"}\n')).cluster!
    expect(c.admission).toEqual({
      plugins: [
        {name: 'NamespaceLifecycle', pos: {file: 'kgit.yaml', line: 9, path: 'spec.admission.plugins[0]'}},
        {name: 'PodNodeSelector', pos: {file: 'kgit.yaml', line: 10, path: 'spec.admission.plugins[1]'}, configuration: {clusterDefaultNodeSelector: {zone: 'a'}, namespaces: {dev: {zone: 'a', disk: 'ssd'}}}},
      ],
    })
    expect(enabled(c.admission, 'ResourceQuota')).toBe(false)
  })

  it.each([
    ['an unknown plugin', '    plugins: [NamespaceLifecycle, PodSecurityPolice]\n', 'kgit.yaml:8 spec.admission.plugins[1]: Unsupported value: "PodSecurityPolice": supported values: "AlwaysAdmit", "NamespaceAutoProvision", "NamespaceLifecycle", "NamespaceExists", "SecurityContextDeny", "LimitRanger", "ServiceAccount", "PodNodeSelector", "AlwaysPullImages", "DefaultStorageClass", "PodSecurityPolicy", "DenyEscalatingExec", "ImagePolicyWebhook", "ResourceQuota", "AlwaysDeny"'],
    ['a plugin listed twice', '    plugins:\n      - ResourceQuota\n      - {name: ResourceQuota}\n', 'kgit.yaml:10 spec.admission.plugins[1].name: ResourceQuota is listed twice (also spec.admission.plugins[0])'],
    ['configuration for a plugin that takes none', '    plugins:\n      - name: AlwaysPullImages\n        configuration: {always: true}\n', 'kgit.yaml:10 spec.admission.plugins[0].configuration: AlwaysPullImages takes no configuration'],
    ['a misspelt field', '    plugin: [AlwaysAdmit]\n', ['kgit.yaml:8 spec.admission.plugin: unknown field "plugin" (known: plugins)', 'kgit.yaml:7 spec.admission.plugins: required field is missing']],
    ['ImagePolicyWebhook without configuration', '    plugins: [ImagePolicyWebhook]\n', 'kgit.yaml:8 spec.admission.plugins[0].configuration: required field is missing'],
    ['ImagePolicyWebhook with neither kubeConfigFile nor url', '    plugins:\n      - name: ImagePolicyWebhook\n        configuration:\n          imagePolicy: {defaultAllow: true}\n', 'kgit.yaml:11 spec.admission.plugins[0].configuration.imagePolicy: needs exactly one of kubeConfigFile and url'],
    ['ImagePolicyWebhook over http', '    plugins:\n      - name: ImagePolicyWebhook\n        configuration:\n          imagePolicy: {url: "http://127.0.0.1:9/review"}\n', 'kgit.yaml:11 spec.admission.plugins[0].configuration.imagePolicy.url: must be an https:// URL, got "http://127.0.0.1:9/review"'],
    ['ImagePolicyWebhook with a relative caFile', '    plugins:\n      - name: ImagePolicyWebhook\n        configuration:\n          imagePolicy:\n            url: "https://127.0.0.1:9/review"\n            caFile: certs/ca.pem\n', 'kgit.yaml:13 spec.admission.plugins[0].configuration.imagePolicy.caFile: must be an absolute path (or ~/...) on the machine that runs kgit, got "certs/ca.pem"'],
    ['ImagePolicyWebhook with a negative TTL', '    plugins:\n      - name: ImagePolicyWebhook\n        configuration:\n          imagePolicy: {url: "https://127.0.0.1:9/review", allowTTL: -1}\n', 'kgit.yaml:11 spec.admission.plugins[0].configuration.imagePolicy.allowTTL: must be at least 0, got -1'],
    ['PodNodeSelector with a bad selector', '    plugins:\n      - name: PodNodeSelector\n        configuration:\n          podNodeSelectorPluginConfig: {dev: "zone in (a)"}\n', 'kgit.yaml:11 spec.admission.plugins[0].configuration.podNodeSelectorPluginConfig.dev: must be a node selector such as "env=prod,zone=a", got "zone in (a)"'],
  ])('refuses %s, naming file, line and field', (_, admission, message) => {
    expect(errors(admission)).toEqual(Array.isArray(message) ? message : [message])
  })
})

describe('namespace plugins', () => {
  it('NamespaceLifecycle (default): an object in a namespace with no Namespace object is refused as the revision is read', () => {
    expect(load(undefined, pod('p', {ns: 'shop'})).errors).toEqual(['manifests/all.yaml:1 metadata.namespace: namespace "shop" does not exist: add a Namespace manifest for it'])
    expect(load(plugins('NamespaceExists'), pod('p', {ns: 'shop'})).errors).toHaveLength(1)
    expect(load(plugins('ResourceQuota'), pod('p', {ns: 'shop'})).errors).toEqual([])
  })

  it('NamespaceExists refuses written objects in a namespace the revision lacks (default, kube-system, kube-public always exist)', async () => {
    const r = load(plugins('ResourceQuota'), pod('p', {ns: 'shop'}), pod('q', {ns: 'kube-system'}))
    const denials = await PLUGINS.NamespaceExists!.admit(request(r.desired!), undefined)
    expect(denials.map(denialMessage)).toEqual(['Pod shop/p (manifests/all.yaml:1 metadata.namespace): namespace "shop" does not exist: add a Namespace manifest for it (admission plugin NamespaceExists)'])
  })

  it('NamespaceAutoProvision adds the missing Namespace to the revision and to the change', async () => {
    const {desired, messages} = await admitted(plugins('NamespaceAutoProvision', 'NamespaceLifecycle'), pod('p', {ns: 'shop'}), pod('q', {ns: 'shop'}))
    expect(messages).toEqual([])
    expect(desired.objects.filter((o) => o.kind === 'Namespace').map((o) => [o.metadata.name, o.source])).toEqual([['shop', {file: 'manifests/all.yaml', line: 1, path: 'metadata.namespace'}]])
  })

  it('NamespaceLifecycle refuses deleting default, kube-system or kube-public, and writing into a namespace the change deletes', async () => {
    const before = load(undefined, ns('kube-system'), ns('shop'), pod('p', {ns: 'shop'})).desired!
    const after = load(plugins('NamespaceAutoProvision', 'NamespaceLifecycle'), pod('p', {ns: 'shop', image: 'busybox:1.36'})).desired!
    // Auto-provisioning is off here: the change deletes namespace shop but updates a pod in it.
    const denials = await PLUGINS.NamespaceLifecycle!.admit(request(after, before.objects), undefined)
    expect(denials.map(denialMessage)).toEqual([
      'Pod shop/p (manifests/all.yaml:1 metadata.namespace): namespace "shop" is deleted by this change: nothing can be updated in it (admission plugin NamespaceLifecycle)',
      'Namespace kube-system (manifests/all.yaml:1): namespace kube-system may not be deleted: Kubernetes needs it (default, kube-system, kube-public are never deleted) (admission plugin NamespaceLifecycle)',
    ])
  })
})

describe('ServiceAccount', () => {
  const robot = pod('p', {extra: '  serviceAccountName: robot\n'})
  it('refuses a Pod naming a ServiceAccount the revision does not have (as the revision is read, when on)', async () => {
    expect(load(undefined, robot).errors).toEqual(['manifests/all.yaml:5 spec.serviceAccountName: ServiceAccount "robot" is not in namespace default of this revision: the API server refuses the pod (error looking up service account default/robot)'])
    const off = load(plugins('ResourceQuota'), robot)
    expect(off.errors).toEqual([])
    expect(off.warnings).toContain('manifests/all.yaml:5 spec.serviceAccountName: ServiceAccount "robot" is not in namespace default of this revision: the pod runs without it (the ServiceAccount admission plugin is off)')
    const denials = await PLUGINS.ServiceAccount!.admit(request(off.desired!), undefined)
    expect(denials.map(denialMessage)).toEqual(['Pod default/p (manifests/all.yaml:1 spec.serviceAccountName): ServiceAccount "robot" is not in namespace default of this revision (error looking up service account) (admission plugin ServiceAccount)'])
    expect(await PLUGINS.ServiceAccount!.admit(request(load(plugins('ResourceQuota'), robot, 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot}\n').desired!), undefined)).toEqual([])
  })
})

describe('DefaultStorageClass', () => {
  const sc = (name: string, dflt: boolean): string => `apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: ${name}\n  annotations: {storageclass.kubernetes.io/is-default-class: "${dflt}"}\nprovisioner: rancher.io/local-path\n`
  const pvc = (name: string, cls?: string): string => `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: ${name}}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n${cls !== undefined ? `  storageClassName: "${cls}"\n` : ''}`
  const classOf = (d: Desired, name: string): string | undefined => d.objects.flatMap((o) => (o.kind === 'PersistentVolumeClaim' && o.metadata.name === name ? [o.spec.storageClassName] : []))[0]

  it('gives claims without storageClassName the default class, and leaves the others', async () => {
    const {desired, messages} = await admitted(undefined, sc('fast', false), sc('local', true), pvc('a'), pvc('b', 'fast'))
    expect(messages).toEqual([])
    expect([classOf(desired, 'a'), classOf(desired, 'b')]).toEqual(['local', 'fast'])
  })

  it('refuses a claim that needs the default when two classes are default', async () => {
    const {messages} = await admitted(undefined, sc('fast', true), sc('local', true), pvc('a'), pvc('b', 'fast'))
    expect(messages).toEqual(['PersistentVolumeClaim default/a (manifests/all.yaml:15 spec.storageClassName): 2 default StorageClasses were found (fast, local, annotated storageclass.kubernetes.io/is-default-class: "true"): keep one, or name the class in storageClassName (admission plugin DefaultStorageClass)'])
  })

  it('does nothing when off', async () => {
    const {desired} = await admitted(plugins('ResourceQuota'), sc('local', true), pvc('a'))
    expect(classOf(desired, 'a')).toBeUndefined()
  })
})

describe('LimitRanger and ResourceQuota follow spec.admission', () => {
  const quota = 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: compute}\nspec:\n  hard: {pods: "1"}\n'
  const limits = 'apiVersion: v1\nkind: LimitRange\nmetadata: {name: limits}\nspec:\n  limits:\n    - type: Container\n      default: {memory: 512Mi}\n'

  it('ResourceQuota refuses a revision over its quota, with the message kgit always gave, naming the plugin', async () => {
    expect((await admitted(undefined, quota, deploymentYaml('web', 2))).messages).toEqual(['ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: pods requested 2 by this revision, hard 1 (admission plugin ResourceQuota)'])
    expect((await admitted(plugins('NamespaceLifecycle'), quota, deploymentYaml('web', 2))).messages).toEqual([])
  })

  it('LimitRanger fills in defaults only when on', () => {
    const memory = (admission?: string): unknown => {
      const d = load(admission, limits, pod('p')).desired!
      const p = d.objects.find((o) => o.kind === 'Pod')!
      return p.kind === 'Pod' ? p.spec.containers[0]!.resources?.limits.memory : undefined
    }
    expect(memory()).toBe(512 * 2 ** 20)
    expect(memory(plugins('LimitRanger'))).toBe(512 * 2 ** 20)
    expect(memory(plugins('ResourceQuota'))).toBeUndefined()
  })
})

describe('PodNodeSelector', () => {
  const cfg = (config: string): string => `    plugins:\n      - name: PodNodeSelector\n        configuration:\n          podNodeSelectorPluginConfig: {${config}}\n`
  const selector = (d: Desired, name: string): unknown => d.objects.flatMap((o) => (o.metadata.name === name && o.kind === 'Pod' ? [o.spec.nodeSelector] : []))[0]
  const annotated = (sel: string): string => ns('dev', `scheduler.alpha.kubernetes.io/node-selector: "${sel}"`)

  it.each([
    ['the cluster default is merged into a pod of a namespace without annotation', 'clusterDefaultNodeSelector: "zone=a"', [ns('dev'), pod('p', {ns: 'dev', extra: '  nodeSelector: {disk: ssd}\n'})], {disk: 'ssd', zone: 'a'}],
    ["the namespace's annotation replaces the cluster default", 'clusterDefaultNodeSelector: "zone=a"', [annotated('zone=b'), pod('p', {ns: 'dev'})], {zone: 'b'}],
    ['an empty annotation means no selector', 'clusterDefaultNodeSelector: "zone=a"', [annotated(''), pod('p', {ns: 'dev'})], undefined],
    ['a pod inside the whitelist', 'dev: "zone=b,disk=ssd"', [annotated('zone=b'), pod('p', {ns: 'dev', extra: '  nodeSelector: {disk: ssd}\n'})], {disk: 'ssd', zone: 'b'}],
  ])('%s', async (_, config, docs, want) => {
    const {desired, messages} = await admitted(cfg(config), ...docs)
    expect(messages).toEqual([])
    expect(selector(desired, 'p')).toEqual(want)
  })

  it.each([
    ["a pod asking another value of the namespace's label", '', [annotated('zone=b'), pod('p', {ns: 'dev', extra: '  nodeSelector: {zone: a}\n'})], 'Pod dev/p (manifests/all.yaml:5 spec.nodeSelector): pod node label selector conflicts with its namespace node label selector: zone=a (namespace dev: zone=b) (admission plugin PodNodeSelector)'],
    ['a merged selector outside the whitelist', 'dev: "zone=b"', [annotated('zone=b'), pod('p', {ns: 'dev', extra: '  nodeSelector: {disk: ssd}\n'})], 'Pod dev/p (manifests/all.yaml:5 spec.nodeSelector): pod node label selector labels conflict with its namespace whitelist: disk=ssd not in zone=b (admission plugin PodNodeSelector)'],
    ['a template of a Deployment', 'clusterDefaultNodeSelector: "zone=a"', [deploymentYaml('web', 1, {podSpec: '      nodeSelector: {zone: c}\n'})], 'Deployment default/web (manifests/all.yaml:1 spec.template.spec.nodeSelector): pod node label selector conflicts with its namespace node label selector: zone=c (namespace default: zone=a) (admission plugin PodNodeSelector)'],
  ])('refuses %s', async (_, config, docs, message) => {
    expect((await admitted(cfg(config), ...docs)).messages).toEqual([message])
  })
})

describe('AlwaysPullImages', () => {
  it('sets imagePullPolicy Always on every container, except podman-local images (localhost/...)', async () => {
    const {desired} = await admitted(plugins('AlwaysPullImages'), pod('a', {image: 'docker.io/library/busybox:1.35'}), pod('b', {image: 'localhost/busybox:1.35'}), deploymentYaml('web', 1, {image: 'registry.example.com/web:1'}))
    const policies = desired.objects.map((o) => (o.kind === 'Pod' ? o.spec.containers[0]!.imagePullPolicy : o.kind === 'Deployment' ? o.spec.template.spec.containers[0]!.imagePullPolicy : undefined))
    expect(policies).toEqual(['Always', 'IfNotPresent', 'Always'])
  })
})

describe('AlwaysAdmit, AlwaysDeny, and denials together', () => {
  it('AlwaysDeny refuses every change; every denial of every plugin is reported at once', async () => {
    const quota = 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: compute}\nspec:\n  hard: {pods: "0"}\n'
    expect((await admitted(plugins('AlwaysAdmit', 'AlwaysDeny', 'ResourceQuota'), quota, pod('p'))).messages).toEqual([
      'ResourceQuota default/compute (manifests/all.yaml:1): exceeded quota in namespace default: pods requested 1 by this revision, hard 0 (admission plugin ResourceQuota)',
      'ResourceQuota default/compute (manifests/all.yaml:1): every change is refused (create ResourceQuota): kgit.yaml spec.admission enables AlwaysDeny (admission plugin AlwaysDeny)',
      'Pod default/p (manifests/all.yaml:7): every change is refused (create Pod): kgit.yaml spec.admission enables AlwaysDeny (admission plugin AlwaysDeny)',
    ])
    expect((await admitted(plugins('AlwaysAdmit'), pod('p'))).messages).toEqual([])
  })
})

describe('DenyEscalatingExec', () => {
  const p = {namespace: 'dev', name: 'web-1'}
  it.each([
    ['an ordinary pod', {containers: [{name: 'main'}]}, undefined],
    ['a privileged container', {containers: [{name: 'main'}, {name: 'tools', securityContext: {privileged: true}}]}, "pod dev/web-1 has privileged containers (tools): exec into it would escalate to the node"],
    ['hostPID', {hostPID: true, containers: [{name: 'main'}]}, "pod dev/web-1 shares the node's PID namespace (hostPID): exec into it would escalate to the node"],
    ['hostIPC', {hostIPC: true, containers: [{name: 'main'}]}, "pod dev/web-1 shares the node's IPC namespace (hostIPC): exec into it would escalate to the node"],
    ['an unknown spec', undefined, 'the spec pod dev/web-1 was started with is unknown, so kgit cannot tell it is not privileged'],
  ])('%s', (_, spec, want) => {
    expect(execRefusal(p, spec)).toBe(want)
  })
})
