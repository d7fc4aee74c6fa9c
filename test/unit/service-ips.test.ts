import {describe, expect, it} from 'vitest'
import {byEndpoint, proxyServices, serviceEndpoints} from '../../src/engine/controllers/endpoints.js'
import {allocateClusterIPs, allocateNodePorts} from '../../src/engine/controllers/service-ips.js'
import {serviceState} from '../../src/engine/controllers/services.js'
import type {NetPod, ServiceObject, ServicePort} from '../../src/engine/types.js'

function service(key: string, spec: Partial<ServiceObject['spec']> = {}): ServiceObject {
  const [namespace, name] = key.split('/') as [string, string]
  return {
    kind: 'Service', apiVersion: 'v1', source: {file: `manifests/${name}.yaml`, line: 1}, metadata: {namespace, name, labels: {}, annotations: {}},
    spec: {type: 'ClusterIP', ports: [{name: '', protocol: 'TCP', port: 80, targetPort: 80}], clusterIP: '', sessionAffinity: 'None', affinityTimeoutSeconds: 10800, publishNotReadyAddresses: false, internalTrafficPolicy: 'Cluster', ...spec},
  }
}

const nodePort = (key: string, ports: Partial<ServicePort>[]): ServiceObject => service(key, {type: 'NodePort', ports: ports.map((p, i) => ({name: `p${i}`, protocol: 'TCP', port: 80 + i, targetPort: 80 + i, ...p}))})
const none = new Map<string, string>()
const keys = (n: number): ServiceObject[] => Array.from({length: n}, (_, i) => service(`ns-${i % 3}/svc-${i}`))

describe('allocateClusterIPs', () => {
  it('gives the same IPs for the same input, whatever the order, and never network, .1 or broadcast', () => {
    const a = allocateClusterIPs(keys(40), '10.96.0.0/24', none)
    const b = allocateClusterIPs(keys(40).reverse(), '10.96.0.0/24', none)
    expect(a.errors).toEqual([])
    expect([...a.ips].sort()).toEqual([...b.ips].sort())
    expect(new Set(a.ips.values()).size).toBe(40)
    for (const ip of a.ips.values()) expect(['10.96.0.0', '10.96.0.1', '10.96.0.255']).not.toContain(ip)
  })

  it('gives a Service its hash-preferred IP again when all state is lost, whatever else is in the revision', () => {
    const alone = allocateClusterIPs([service('shop/web')], '10.96.0.0/16', none).ips.get('shop/web')
    const crowded = allocateClusterIPs([...keys(50), service('shop/web')], '10.96.0.0/16', none).ips.get('shop/web')
    expect(alone).toBe('10.96.165.68') // pinned: a change of the hash would move every Service's IP
    expect(crowded).toBe(alone)
  })

  it('keeps a previous IP, lets an explicit clusterIP win over it, and skips headless and ExternalName Services', () => {
    const previous = new Map([['shop/web', '10.96.7.7'], ['shop/api', '10.96.8.8'], ['shop/old', '10.97.0.1']])
    const r = allocateClusterIPs([service('shop/web'), service('shop/api'), service('shop/pin', {clusterIP: '10.96.8.8'}), service('shop/old'), service('shop/db', {clusterIP: 'None'}), service('shop/ext', {type: 'ExternalName', externalName: 'x.example.com'})], '10.96.0.0/16', previous)
    expect(r.errors).toEqual([])
    expect(r.ips.get('shop/web')).toBe('10.96.7.7')
    expect(r.ips.get('shop/pin')).toBe('10.96.8.8')
    expect(r.ips.get('shop/api')).not.toBe('10.96.8.8')
    expect(r.ips.get('shop/old')).toMatch(/^10\.96\./)
    expect([...r.ips.keys()].sort()).toEqual(['shop/api', 'shop/old', 'shop/pin', 'shop/web'])
  })

  it('probes to the next free address on a collision', () => {
    // In a /29 (5 usable addresses) every Service's preferred slot is shared with others.
    const r = allocateClusterIPs(keys(5), '10.96.0.0/29', none)
    expect(r.errors).toEqual([])
    expect([...r.ips.values()].sort()).toEqual(['10.96.0.2', '10.96.0.3', '10.96.0.4', '10.96.0.5', '10.96.0.6'])
  })

  it.each([
    ['exhaustion', [...keys(5), service('zz/last')], '10.96.0.0/29', ['manifests/last.yaml:1 spec.clusterIP: no free cluster IP left in serviceCIDR 10.96.0.0/29 (8 addresses, 8 taken or reserved): widen spec.network.serviceCIDR in kgit.yaml']],
    ['explicit outside', [service('a/x', {clusterIP: '10.1.0.5'})], '10.96.0.0/16', ["manifests/x.yaml:1 spec.clusterIP: clusterIP 10.1.0.5 is not in the cluster's serviceCIDR 10.96.0.0/16 (kgit.yaml spec.network.serviceCIDR)"]],
    ['explicit twice', [service('a/x', {clusterIP: '10.96.0.9'}), service('a/y', {clusterIP: '10.96.0.9'})], '10.96.0.0/16', ['manifests/y.yaml:1 spec.clusterIP: clusterIP 10.96.0.9 is already taken by Service a/x']],
  ])('refuses: %s', (_, services, cidr, messages) => {
    expect(allocateClusterIPs(services, cidr, none).errors.map((e) => e.message)).toEqual(messages)
  })

  it('never gives out a reserved address (e.g. the DNS service IP)', () => {
    const r = allocateClusterIPs(keys(5), '10.96.0.0/29', none, ['10.96.0.3'])
    expect([...r.ips.values()]).not.toContain('10.96.0.3')
    expect(r.errors).toHaveLength(1)
  })
})

describe('allocateNodePorts', () => {
  it('keeps explicit and previous nodePorts and hash-prefers new ones in 30000-32767', () => {
    const services = [nodePort('shop/web', [{nodePort: 30080}, {}]), nodePort('shop/api', [{}]), service('shop/internal')]
    const r = allocateNodePorts(services, new Map([['shop/api:p0', 31000]]))
    expect(r.errors).toEqual([])
    expect(r.nodePorts.get('shop/web:p0')).toBe(30080)
    expect(r.nodePorts.get('shop/api:p0')).toBe(31000)
    const fresh = r.nodePorts.get('shop/web:p1')!
    expect(fresh).toBeGreaterThanOrEqual(30000)
    expect(fresh).toBeLessThanOrEqual(32767)
    expect(allocateNodePorts([...services].reverse(), new Map()).nodePorts.get('shop/web:p1')).toBe(fresh)
    expect([...r.nodePorts.keys()].sort()).toEqual(['shop/api:p0', 'shop/web:p0', 'shop/web:p1'])
  })

  it('moves a previous nodePort that git now gives to another Service, and refuses one taken twice in git', () => {
    const r = allocateNodePorts([nodePort('a/x', [{nodePort: 30500}]), nodePort('a/y', [{}])], new Map([['a/y:p0', 30500]]))
    expect(r.nodePorts.get('a/y:p0')).not.toBe(30500)
    const twice = allocateNodePorts([nodePort('a/x', [{nodePort: 30500}]), nodePort('a/y', [{nodePort: 30500}])], new Map())
    expect(twice.errors.map((e) => e.message)).toEqual(['manifests/y.yaml:1 spec.ports[0].nodePort: nodePort 30500 is already taken by Service port a/x:p0'])
  })
})

function pod(name: string, ip: string, extra: Partial<NetPod> = {}): NetPod {
  return {namespace: 'shop', name, node: 'n1', ip, labels: {app: 'web'}, ready: true, ports: [{name: 'http', containerPort: 8080, protocol: 'TCP'}], ...extra}
}

describe('serviceEndpoints', () => {
  const web = service('shop/web', {selector: {app: 'web'}, ports: [{name: 'http', protocol: 'TCP', port: 80, targetPort: 'http'}, {name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 9090}]})
  const pods = [
    pod('web-b', '10.244.1.10'),
    pod('web-a', '10.244.0.9'),
    pod('web-nohttp', '10.244.0.20', {ports: [{name: 'http', containerPort: 8080, protocol: 'UDP'}]}),
    pod('web-starting', '10.244.2.3', {ready: false}),
    pod('other-ns', '10.244.2.4', {namespace: 'blog'}),
    pod('other-app', '10.244.2.5', {labels: {app: 'db'}}),
    pod('no-ip', ''),
  ]

  it('matches the selector in its namespace, resolves named ports per pod, splits ready from not ready, sorted', () => {
    const r = serviceEndpoints(web, pods)
    expect(r.ready.map((e) => `${e.portName} ${e.ip}:${e.port} ${e.pod}`)).toEqual([
      'http 10.244.0.9:8080 web-a',
      'http 10.244.1.10:8080 web-b',
      'metrics 10.244.0.9:9090 web-a',
      'metrics 10.244.0.20:9090 web-nohttp',
      'metrics 10.244.1.10:9090 web-b',
    ])
    expect(r.notReady.map((e) => `${e.portName} ${e.ip}:${e.port}`)).toEqual(['http 10.244.2.3:8080', 'metrics 10.244.2.3:9090'])
  })

  it('publishes not-ready pods when asked, and has none without a selector', () => {
    const r = serviceEndpoints({...web, spec: {...web.spec, publishNotReadyAddresses: true}}, pods)
    expect(r.notReady).toEqual([])
    expect(r.ready.map((e) => e.ip)).toContain('10.244.2.3')
    expect(serviceEndpoints(service('shop/manual'), pods)).toEqual({ready: [], notReady: []})
  })

  it('names a pod by hostname when its subdomain is the Service', () => {
    const db = service('shop/db', {clusterIP: 'None', selector: {app: 'web'}, ports: [{name: '', protocol: 'TCP', port: 5432, targetPort: 5432}]})
    const r = serviceEndpoints(db, [pod('db-0', '10.244.0.3', {hostname: 'db-0', subdomain: 'db'}), pod('x', '10.244.0.4', {hostname: 'x', subdomain: 'other'})])
    expect(r.ready.map((e) => e.hostname)).toEqual(['db-0', undefined])
    expect([...r.ready].sort(byEndpoint)).toEqual(r.ready)
  })

  it('lists the addresses of a headless Service without ports (port 0), for DNS', () => {
    const db = service('shop/db', {clusterIP: 'None', selector: {app: 'web'}, ports: []})
    expect(serviceEndpoints(db, [pod('db-0', '10.244.0.3')]).ready).toEqual([{portName: '', protocol: 'TCP', ip: '10.244.0.3', port: 0, pod: 'db-0', node: 'n1'}])
  })

  it('feeds the rules: ready endpoints per port, nodePorts, no headless Service', () => {
    const np = {...web, spec: {...web.spec, type: 'NodePort' as const}}
    const out = proxyServices({services: [np, service('shop/db', {clusterIP: 'None'})], clusterIPs: new Map([['shop/web', '10.96.0.10']]), nodePorts: new Map([['shop/web:http', 30080]]), pods})
    expect(out).toEqual([{
      namespace: 'shop', name: 'web', clusterIP: '10.96.0.10', sessionAffinity: 'None', affinityTimeoutSeconds: 10800,
      ports: [
        {name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, endpoints: [{ip: '10.244.0.9', port: 8080}, {ip: '10.244.1.10', port: 8080}]},
        {name: 'metrics', protocol: 'TCP', port: 9090, endpoints: [{ip: '10.244.0.9', port: 9090}, {ip: '10.244.0.20', port: 9090}, {ip: '10.244.1.10', port: 9090}]},
      ],
    }])
  })
})

describe('serviceState', () => {
  const web = service('shop/web', {type: 'NodePort', selector: {app: 'web'}, ports: [{name: 'http', protocol: 'TCP', port: 80, targetPort: 'http'}]})
  const db = service('shop/db', {clusterIP: 'None', selector: {app: 'db'}, ports: [{name: '', protocol: 'TCP', port: 5432, targetPort: 5432}]})
  const ext = service('shop/ext', {type: 'ExternalName', externalName: 'x.example.com', ports: []})
  const pods = [pod('web-a', '10.244.0.9'), pod('db-0', '10.244.1.4', {labels: {app: 'db'}, hostname: 'db-0', subdomain: 'db'}), pod('db-1', '10.244.0.4', {labels: {app: 'db'}, hostname: 'db-1', subdomain: 'db'})]
  const network = {podCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16'}

  it('allocates, finds endpoints, renders rules and names, and keeps what the rules held through a loss of every other state', () => {
    const first = serviceState({services: [web, db, ext], network, pods, previousRules: []})
    expect(first.errors).toEqual([])
    expect(first.names).toEqual([
      {namespace: 'shop', name: 'db', ips: ['10.244.0.4', '10.244.1.4'], pods: [{hostname: 'db-1', ip: '10.244.0.4'}, {hostname: 'db-0', ip: '10.244.1.4'}]},
      // ExternalName: the node resolves the host when it writes the hosts file.
      {namespace: 'shop', name: 'ext', ips: ['=x.example.com']},
      {namespace: 'shop', name: 'web', ips: [first.clusterIPs.get('shop/web')]},
    ])
    expect(first.endpoints.get('shop/web')!.ready.map((e) => `${e.ip}:${e.port}`)).toEqual(['10.244.0.9:8080'])
    expect(first.rules.rules.some((r) => r.includes('--to-destination 10.244.0.9:8080'))).toBe(true)
    expect(serviceState({services: [ext, db, web], network, pods: [...pods].reverse(), previousRules: first.rules.rules}).rules).toEqual(first.rules)
    // An explicit IP now takes web's address; web keeps it no more, but its nodePort stays.
    const pin = service('shop/pin', {clusterIP: first.clusterIPs.get('shop/web')!})
    const second = serviceState({services: [web, db, ext, pin], network, pods, previousRules: first.rules.rules})
    expect(second.clusterIPs.get('shop/pin')).toBe(first.clusterIPs.get('shop/web'))
    expect(second.clusterIPs.get('shop/web')).not.toBe(first.clusterIPs.get('shop/web'))
    expect(second.nodePorts).toEqual(first.nodePorts)
  })
})
