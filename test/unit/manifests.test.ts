import {describe, expect, it} from 'vitest'
import {parseCluster} from '../../src/engine/manifest/cluster.js'
import {loadDesired, type SourceFile} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'

const CLUSTER = `apiVersion: kgit.dev/v1alpha1
kind: Cluster
metadata: {name: lab}
spec:
  nodes:
    - {name: n1, address: 198.51.100.2}
    - {name: n2, address: 198.51.100.3, port: 2222, labels: {zone: a}}
`

const file = (path: string, text: string | Uint8Array): SourceFile => ({path, content: typeof text === 'string' ? new TextEncoder().encode(text) : text})
const load = (files: SourceFile[]) => loadDesired({revision: 'abc', clusterFile: file('kgit.yaml', CLUSTER), files, schema})
const messages = (files: SourceFile[]) => load(files).errors.map((e) => e.message)

describe('kgit.yaml', () => {
  it('applies defaults', () => {
    const {cluster, errors} = parseCluster('kgit.yaml', CLUSTER)
    expect(errors).toEqual([])
    expect(cluster!.manifests).toEqual(['manifests'])
    expect(cluster!.ssh).toEqual({user: 'root', identityFile: '~/.ssh/id_ed25519', knownHostsFile: 'known_hosts', connectTimeout: 10, controlPersist: 0})
    expect(cluster!.nodes[0]).toEqual({name: 'n1', address: '198.51.100.2', port: 22, labels: {}, taints: [], dataDir: '/var/lib/kgit', unschedulable: false, drain: false})
    expect(cluster!.nodes[1]!.port).toBe(2222)
  })

  it('names file, line and field of every problem at once', () => {
    const bad = `apiVersion: kgit.dev/v1alpha1
kind: Cluster
metadata: {name: lab}
spec:
  network: {podCIDR: 10.0.0.0/8, serviceCIDR: 10.96.0.0/16}
  sssh: {}
  nodes:
    - {name: n1, address: 198.51.100.2}
    - {name: n1, address: 198.51.100.2}
    - {name: Bad_Name, address: "not an address!", port: 70000}
`
    const msgs = parseCluster('kgit.yaml', bad).errors.map((e) => e.message)
    expect(msgs).toContain('kgit.yaml:5 spec.network.serviceCIDR: overlaps podCIDR 10.0.0.0/8')
    expect(msgs).toContain('kgit.yaml:6 spec.sssh: unknown field "sssh" (known: manifests, ssh, runtime, network, nodes, unreachableGracePeriodSeconds, secrets, admission, authentication, authorization, suspend, notifications)')
    expect(msgs).toContain('kgit.yaml:9 spec.nodes[1].name: duplicate node name "n1" (also spec.nodes[0])')
    expect(msgs).toContain('kgit.yaml:9 spec.nodes[1].address: duplicate node address 198.51.100.2:22 (also spec.nodes[0])')
    expect(msgs.some((m) => m.startsWith('kgit.yaml:10 spec.nodes[2].name: must be a DNS-1123 label'))).toBe(true)
    expect(msgs).toContain('kgit.yaml:10 spec.nodes[2].port: must be at most 65535, got 70000')
    expect(msgs.some((m) => m.startsWith('kgit.yaml:10 spec.nodes[2].address: must be an IPv4 address or a host name'))).toBe(true)
  })

  it('rejects bad CIDRs and a missing node list', () => {
    const msgs = parseCluster('kgit.yaml', 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: x}\nspec:\n  network: {podCIDR: 10.0.0.1/8}\n').errors.map((e) => e.message)
    expect(msgs).toContain('kgit.yaml:5 spec.network.podCIDR: must be an IPv4 CIDR such as 10.244.0.0/16 (with no host bits set), got "10.0.0.1/8"')
    expect(msgs).toContain('kgit.yaml:4 spec.nodes: required field is missing')
  })

  it('reads node capacity, reserved and allocatable, and refuses a resource name that is a typo', () => {
    const text = (res: string): string => `apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: x}\nspec:\n  nodes:\n    - name: n1\n      address: 10.0.0.1\n      ${res}\n`
    expect(parseCluster('kgit.yaml', text('capacity: {cpu: "4", memory: 8Gi, pods: 50, example.com/gpu: 2}')).cluster?.nodes[0]?.capacity).toEqual({cpu: 4000, memory: 8 * 2 ** 30, pods: 50, 'example.com/gpu': 2})
    expect(parseCluster('kgit.yaml', text('reserved: {cpus: 500m}')).errors.map((e) => e.message)).toEqual(['kgit.yaml:8 spec.nodes[0].reserved.cpus: unknown resource "cpus": use cpu, memory, ephemeral-storage, pods, hugepages-<size> or an extended resource with a domain (example.com/gpu)'])
    expect(parseCluster('kgit.yaml', text('allocatable: {memory: lots}')).errors.map((e) => e.message)).toEqual(['kgit.yaml:8 spec.nodes[0].allocatable.memory: Invalid value: "lots": must be a quantity such as 500m, 64Mi, 1.5Gi or 2'])
  })
})

const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: busybox:1.36
          ports: [{containerPort: 80}]
`
const NS = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n'

describe('manifests', () => {
  it('reads multi-document files and applies Kubernetes defaults', () => {
    const {desired, errors} = load([file('manifests/app.yaml', NS + '---\n' + DEPLOY + '---\n# only a comment\n')])
    expect(errors).toEqual([])
    const d = desired!.objects.find((o) => o.kind === 'Deployment')!
    expect(d.kind === 'Deployment' && d.spec.replicas).toBe(1)
    const c = d.kind === 'Deployment' ? d.spec.template.spec.containers[0]! : undefined
    expect(c).toMatchObject({imagePullPolicy: 'IfNotPresent', ports: [{containerPort: 80, protocol: 'TCP'}]})
    expect(d.kind === 'Deployment' && d.spec.template.spec).toMatchObject({restartPolicy: 'Always', terminationGracePeriodSeconds: 30})
  })

  it('expands kind: List and accepts the extensions/v1beta1 Deployment', () => {
    const legacy = DEPLOY.replace('apps/v1', 'extensions/v1beta1').replace('  selector: {matchLabels: {app: web}}\n', '')
    const list = `apiVersion: v1\nkind: List\nitems:\n${[NS, legacy].map((d) => '  - ' + d.trim().split('\n').join('\n    ')).join('\n')}\n`
    const {desired, errors} = load([file('manifests/list.yaml', list)])
    expect(errors).toEqual([])
    expect(desired!.objects.map((o) => `${o.kind}/${o.apiVersion}`)).toEqual(['Namespace/v1', 'Deployment/apps/v1'])
  })

  it('points at the file, line and field', () => {
    const bad = DEPLOY.replace('containerPort: 80', 'containerPort: "80"').replace('name: app', 'name: App')
    expect(messages([file('manifests/app.yaml', NS + '---\n' + bad)])).toEqual([
      'manifests/app.yaml:14 spec.template.spec.containers[0].name: must be a DNS-1123 label',
      'manifests/app.yaml:16 spec.template.spec.containers[0].ports[0].containerPort: must be an integer, got string "80"',
    ])
  })

  it('requires the selector to match the template', () => {
    expect(messages([file('m.yaml', NS + '---\n' + DEPLOY.replace('matchLabels: {app: web}', 'matchLabels: {app: other}'))])).toEqual(['m.yaml:11 spec.template.metadata.labels: `selector` does not match template `labels`'])
  })

  it('names both places of a duplicate object and a missing namespace', () => {
    const msgs = messages([file('a.yaml', DEPLOY), file('b.yaml', DEPLOY)])
    expect(msgs).toContain('b.yaml:1: duplicate Deployment "shop/web": also defined at a.yaml:1')
    expect(msgs).toContain('a.yaml:1 metadata.namespace: namespace "shop" does not exist: add a Namespace manifest for it')
  })

  it('rejects hostile files with a clear error', () => {
    const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n'
    const msgs = messages([
      file('bin.yaml', new Uint8Array([0x00, 0x01, 0x02])),
      file('latin1.yaml', new Uint8Array([0x61, 0x3a, 0x20, 0xe9])),
      file('bomb.yaml', bomb),
      file('dup.yaml', 'kind: Pod\nkind: Pod\n'),
      file('tabs.yaml', 'a:\n\t- b\n'),
    ])
    expect(msgs).toContain('bin.yaml: is not a text file (contains NUL bytes)')
    expect(msgs).toContain('latin1.yaml: is not valid UTF-8')
    expect(msgs.some((m) => m.startsWith('bomb.yaml:1: invalid YAML: Excessive alias count'))).toBe(true)
    expect(msgs.some((m) => m.startsWith('dup.yaml:2: invalid YAML: Map keys must be unique'))).toBe(true)
    expect(msgs.some((m) => m.startsWith('tabs.yaml:2: invalid YAML'))).toBe(true)
  })

  it('skips kinds it does not run yet with a warning', () => {
    const {warnings, errors} = load([file('ing.yaml', 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: s}\n')])
    expect(errors).toEqual([])
    expect(warnings).toEqual(['ing.yaml:1: skipped: kind Ingress (networking.k8s.io/v1) is not supported by this version of kgit'])
  })
})

describe('hostile input', () => {
  it('reports deep nesting, huge files and garbage quickly, without crashing', () => {
    const t = Date.now()
    const deep = '['.repeat(50_000) + ']'.repeat(50_000)
    const deepBlock = Array.from({length: 3000}, (_, i) => ' '.repeat(i) + 'k:').join('\n')
    const big = new Uint8Array(9 * 1024 * 1024).fill(0x61)
    const msgs = messages([file('deep.yaml', deep), file('deep2.yaml', deepBlock), file('big.yaml', big), file('rand.yaml', new Uint8Array(Array.from({length: 4096}, (_, i) => (i * 7919) % 255 + 1)))])
    expect(msgs).toContain('deep.yaml:1: invalid YAML: nested too deeply for a manifest')
    expect(msgs.some((m) => /^deep2\.yaml:\d+: invalid YAML: nested too deeply for a manifest$/.test(m))).toBe(true)
    expect(msgs).toContain('big.yaml: file is 9.0 MiB; kgit reads manifest files of at most 8 MiB')
    expect(msgs.some((m) => m.startsWith('rand.yaml'))).toBe(true)
    expect(Date.now() - t).toBeLessThan(10_000)
  })
})

describe('references and features kgit does not run yet', () => {
  const podWith = (spec: string, name = 'p') => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n${spec}`
  it('refuses a Pod whose ServiceAccount, ConfigMap or Secret is not in the revision', () => {
    const r = load([file('p.yaml', podWith('  serviceAccountName: robot\n  containers:\n    - name: c\n      image: busybox:1.35\n      env: [{name: A, valueFrom: {configMapKeyRef: {name: cfg, key: a}}}, {name: B, valueFrom: {secretKeyRef: {name: s, key: b}}}]\n'))])
    expect(r.errors.map((e) => e.message)).toEqual([
      'p.yaml:5 spec.serviceAccountName: ServiceAccount "robot" is not in namespace default of this revision: the API server refuses the pod (error looking up service account default/robot)',
      'p.yaml:9 spec.containers[0].env[0].valueFrom.configMapKeyRef.name: ConfigMap "cfg" is not in namespace default of this revision (add it, or set optional: true)',
      'p.yaml:9 spec.containers[0].env[1].valueFrom.secretKeyRef.name: Secret "s" is not in namespace default of this revision (add it, or set optional: true)',
    ])
  })

  it('accepts references that exist or are optional, and warns about fields it ignores', () => {
    const sa = 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: "1"}\n---\n'
    const r = load([file('p.yaml', sa + podWith('  serviceAccountName: robot\n  nodeSelector: {disk: ssd}\n  dnsPolicy: ClusterFirst\n  containers:\n    - name: c\n      image: busybox:1.35\n      env: [{name: A, valueFrom: {configMapKeyRef: {name: cfg, key: a}}}, {name: B, valueFrom: {secretKeyRef: {name: nope, key: b, optional: true}}}]\n'))])
    expect(r.errors).toEqual([])
    expect(r.warnings).toContain('p.yaml:16 spec.dnsPolicy: dnsPolicy is not acted on by this version of kgit yet; the pod runs without it')
    expect(r.warnings.filter((w) => w.includes('nodeSelector'))).toEqual([])
    expect(r.warnings.filter((w) => w.includes('is not in namespace'))).toEqual([])
    const pod = r.desired!.objects.find((o) => o.kind === 'Pod')
    expect(pod?.kind === 'Pod' && pod.notes.unsupported).toEqual([])
    expect(pod?.kind === 'Pod' && pod.spec.containers[0]!.env).toEqual([{name: 'A', value: '1'}])
    expect(pod?.kind === 'Pod' && pod.spec.nodeSelector).toEqual({disk: 'ssd'})
  })
})

describe('schema verdicts remembered by content', () => {
  const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: "busybox:1.35"}]\n'
  it('lists files that passed cleanly, and skips the schema for files known to pass', () => {
    const r = load([file('ok.yaml', pod), file('bad.yaml', pod.replace('name: p', 'name: q').replace('image:', 'imagee:'))])
    expect(r.schemaClean).toEqual(['ok.yaml'])
    // With every file known good, no schema checker is needed at all.
    const again = loadDesired({revision: 'abc', clusterFile: file('kgit.yaml', CLUSTER), files: [{...file('ok.yaml', pod), schemaChecked: true}]})
    expect(again.errors).toEqual([])
    expect(again.schemaClean).toEqual([])
    expect(() => loadDesired({revision: 'abc', clusterFile: file('kgit.yaml', CLUSTER), files: [file('ok.yaml', pod)]})).toThrow(/no schema checker/)
  })
})

describe('Deployment defaults and strategy', () => {
  it('defaults as Kubernetes does, apps/v1 and extensions/v1beta1 alike', () => {
    const get = (text: string) => {
      const d = load([file('d.yaml', NS + '---\n' + text)]).desired!.objects.find((o) => o.kind === 'Deployment')
      return d?.kind === 'Deployment' ? d.spec : undefined
    }
    expect(get(DEPLOY)).toMatchObject({strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: '25%', maxUnavailable: '25%'}}, minReadySeconds: 0, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, paused: false})
    expect(get(DEPLOY.replace('apps/v1', 'extensions/v1beta1'))).toMatchObject({revisionHistoryLimit: 2147483647, progressDeadlineSeconds: 2147483647})
  })

  it('refuses a strategy that can never progress', () => {
    const bad = DEPLOY.replace('spec:\n  selector', 'spec:\n  strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: "0%"}}\n  selector')
    expect(messages([file('d.yaml', NS + '---\n' + bad)])).toEqual(['d.yaml:9 spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0'])
  })
})
