import {describe, expect, it} from 'vitest'
import {loadDesired, type LoadResult} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import type {ServiceObject} from '../../src/engine/types.js'

const CLUSTER = `apiVersion: kgit.dev/v1alpha1
kind: Cluster
metadata: {name: t}
spec:
  network: {podCIDR: 10.244.0.0/16, serviceCIDR: 10.96.0.0/16}
  nodes: [{name: n1, address: 10.0.0.1}]
`

function load(...docs: string[]): LoadResult {
  const enc = new TextEncoder()
  return loadDesired({revision: 'r', clusterFile: {path: 'kgit.yaml', content: enc.encode(CLUSTER)}, files: [{path: 'manifests/web.yaml', content: enc.encode(docs.join('---\n'))}], schema})
}

const svc = (spec: string, name = 'web'): string => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: default}\nspec:\n${spec}`

function read(spec: string): ServiceObject {
  const r = load(svc(spec))
  if (!r.desired) throw new Error(r.errors.map((e) => e.message).join('\n'))
  return r.desired.objects[0] as ServiceObject
}

describe('Service: defaults', () => {
  it('reads a ClusterIP Service with Kubernetes defaults', () => {
    expect(read('  selector: {app: web}\n  ports: [{port: 80}]\n').spec).toEqual({
      type: 'ClusterIP', selector: {app: 'web'}, clusterIP: '', ports: [{name: '', protocol: 'TCP', port: 80, targetPort: 80}],
      sessionAffinity: 'None', affinityTimeoutSeconds: 10800, publishNotReadyAddresses: false, internalTrafficPolicy: 'Cluster',
    })
  })

  it.each([
    ['named targetPort', '  ports: [{port: 80, targetPort: http}]\n', {targetPort: 'http'}],
    ['numeric string targetPort', '  ports: [{port: 80, targetPort: "8080"}]\n', {targetPort: 8080}],
    ['targetPort 0 means the port', '  ports: [{port: 80, targetPort: 0}]\n', {targetPort: 80}],
    ['UDP', '  ports: [{port: 53, protocol: UDP}]\n', {protocol: 'UDP', targetPort: 53}],
  ])('%s', (_, spec, port) => {
    expect(read(spec).spec.ports[0]).toMatchObject(port)
  })

  it('reads NodePort, headless, ExternalName and ClientIP affinity', () => {
    expect(read('  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]\n').spec).toMatchObject({type: 'NodePort', externalTrafficPolicy: 'Cluster', ports: [{nodePort: 30080}]})
    expect(read('  clusterIP: None\n  selector: {app: db}\n').spec).toMatchObject({clusterIP: 'None', ports: []})
    expect(read('  type: ExternalName\n  externalName: db.example.com\n').spec).toMatchObject({type: 'ExternalName', externalName: 'db.example.com', clusterIP: ''})
    expect(read('  ports: [{port: 80}]\n  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}\n').spec).toMatchObject({sessionAffinity: 'ClientIP', affinityTimeoutSeconds: 60})
    expect(read('  ports: [{port: 80}]\n  clusterIP: 10.96.5.5\n  clusterIPs: [10.96.5.5]\n').spec.clusterIP).toBe('10.96.5.5')
    expect(read('  ports: [{port: 80}]\n  clusterIPs: [10.96.5.6]\n').spec.clusterIP).toBe('10.96.5.6')
  })

  it('serves a LoadBalancer as a NodePort, with a warning (no address pool yet)', () => {
    const r = load(svc('  type: LoadBalancer\n  ports: [{port: 80}]\n'))
    expect(r.warnings).toEqual(['manifests/web.yaml:5 spec.type: kgit has no load balancer address pool yet: this Service is served as a NodePort on every node'])
    expect(read('  type: LoadBalancer\n  ports: [{port: 80}]\n').spec.type).toBe('NodePort')
  })

  it('warns that Local traffic policies are routed as Cluster', () => {
    expect(load(svc('  type: NodePort\n  ports: [{port: 80}]\n  externalTrafficPolicy: Local\n')).warnings).toEqual(['manifests/web.yaml:7 spec.externalTrafficPolicy: Local is routed as Cluster by kgit: a nodePort reaches endpoints on every node and the client address is masqueraded'])
  })
})

describe('Service: validation messages', () => {
  it.each([
    ['nodePort out of range', '  type: NodePort\n  ports:\n    - {name: a, port: 80}\n    - {name: b, port: 81, nodePort: 80}\n', ['manifests/web.yaml:8 spec.ports[1].nodePort: must be in 30000-32767, got 80']],
    ['nodePort on a ClusterIP Service', '  ports: [{port: 80, nodePort: 30080}]\n', ['manifests/web.yaml:5 spec.ports[0].nodePort: Forbidden: may not be used when type is ClusterIP']],
    ['unnamed port among several', '  ports:\n    - {name: a, port: 80}\n    - {port: 81}\n', ['manifests/web.yaml:7 spec.ports[1].name: Required value: each port needs a name when a Service has more than one']],
    ['duplicate port name', '  ports:\n    - {name: a, port: 80}\n    - {name: a, port: 81}\n', ['manifests/web.yaml:7 spec.ports[1].name: duplicate port name "a" (also spec.ports[0])']],
    ['duplicate port', '  ports:\n    - {name: a, port: 80}\n    - {name: b, port: 80}\n', ['manifests/web.yaml:7 spec.ports[1].port: duplicate port 80/TCP (also spec.ports[0])']],
    ['no ports', '  selector: {app: web}\n', ['manifests/web.yaml:4 spec.ports: Required value: a Service needs at least one port (only headless and ExternalName Services may have none)']],
    ['port 0', '  ports: [{port: 0}]\n', ['manifests/web.yaml:5 spec.ports[0].port: must be at least 1, got 0']],
    ['bad targetPort name', '  ports: [{port: 80, targetPort: Http_Port}]\n', ['manifests/web.yaml:5 spec.ports[0].targetPort: must be a port number or an IANA service name (at most 15 lowercase letters, digits and "-", with a letter), got "Http_Port"']],
    ['targetPort too big', '  ports: [{port: 80, targetPort: 70000}]\n', ['manifests/web.yaml:5 spec.ports[0].targetPort: must be in 1-65535, got 70000']],
    ['clusterIP not an address', '  ports: [{port: 80}]\n  clusterIP: 10.96.0\n', ['manifests/web.yaml:6 spec.clusterIP: must be "", "None" or an IPv4 address, got "10.96.0"']],
    ['clusterIPs differ', '  ports: [{port: 80}]\n  clusterIP: 10.96.0.5\n  clusterIPs: [10.96.0.6]\n', ['manifests/web.yaml:7 spec.clusterIPs: must be [clusterIP] (kgit runs single-stack IPv4): got [10.96.0.6] with clusterIP "10.96.0.5"']],
    ['headless NodePort', '  type: NodePort\n  clusterIP: None\n  ports: [{port: 80}]\n', ['manifests/web.yaml:6 spec.clusterIP: may not be set to "None" for type NodePort']],
    ['ExternalName without a name', '  type: ExternalName\n', ['manifests/web.yaml:4 spec.externalName: required field is missing']],
    ['ExternalName that is no DNS name', '  type: ExternalName\n  externalName: "db_1.example.com"\n', ['manifests/web.yaml:6 spec.externalName: must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".") or an IPv4 address, got "db_1.example.com"']],
    ['ExternalName with a clusterIP', '  type: ExternalName\n  externalName: db.example.com\n  clusterIP: 10.96.0.9\n', ['manifests/web.yaml:7 spec.clusterIP: must not be set for type ExternalName']],
    ['affinity timeout too long', '  ports: [{port: 80}]\n  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 90000}}\n', ['manifests/web.yaml:7 spec.sessionAffinityConfig.clientIP.timeoutSeconds: must be in 1-86400, got 90000']],
    ['affinity config without affinity', '  ports: [{port: 80}]\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}\n', ['manifests/web.yaml:6 spec.sessionAffinityConfig: Forbidden: must not be set when sessionAffinity is None']],
    ['externalTrafficPolicy on ClusterIP', '  ports: [{port: 80}]\n  externalTrafficPolicy: Cluster\n', ['manifests/web.yaml:6 spec.externalTrafficPolicy: may only be set for externally-accessible services (type NodePort), not ClusterIP']],
    ['externalIPs', '  ports: [{port: 80}]\n  externalIPs: [192.0.2.7]\n', ['manifests/web.yaml:6 spec.externalIPs: externalIPs are not supported: kgit routes cluster IPs and nodePorts only (externalIPs let any namespace capture traffic to any address, CVE-2020-8554)']],
    ['dual stack', '  ports: [{port: 80}]\n  ipFamilyPolicy: RequireDualStack\n', ['manifests/web.yaml:6 spec.ipFamilyPolicy: RequireDualStack is not supported: kgit runs single-stack IPv4 Services']],
    ['clusterIP outside serviceCIDR', '  ports: [{port: 80}]\n  clusterIP: 10.97.0.5\n', ["manifests/web.yaml:6 spec.clusterIP: clusterIP 10.97.0.5 is not in the cluster's serviceCIDR 10.96.0.0/16 (kgit.yaml spec.network.serviceCIDR)"]],
    ['clusterIP is the first address', '  ports: [{port: 80}]\n  clusterIP: 10.96.0.1\n', ['manifests/web.yaml:6 spec.clusterIP: clusterIP 10.96.0.1 is reserved: the first address of serviceCIDR 10.96.0.0/16 is never given to a Service (use 10.96.0.2 or above)']],
    ['clusterIP is the broadcast address', '  ports: [{port: 80}]\n  clusterIP: 10.96.255.255\n', ['manifests/web.yaml:6 spec.clusterIP: clusterIP 10.96.255.255 is the broadcast address of serviceCIDR 10.96.0.0/16']],
  ])('%s', (_, spec, messages) => {
    expect(load(svc(spec)).errors.map((e) => e.message)).toEqual(messages)
  })

  it('refuses a nodePort or clusterIP that another Service holds, naming both places', () => {
    const a = svc('  type: NodePort\n  clusterIP: 10.96.0.20\n  ports: [{port: 80, nodePort: 30080}]\n', 'a')
    const b = svc('  type: NodePort\n  clusterIP: 10.96.0.20\n  ports: [{port: 53, protocol: UDP, nodePort: 30080}]\n', 'b')
    expect(load(a, b).errors.map((e) => e.message)).toEqual([
      'manifests/web.yaml:14 spec.clusterIP: clusterIP 10.96.0.20 is already taken by Service default/a (manifests/web.yaml:6 spec.clusterIP)',
      'manifests/web.yaml:15 spec.ports[0].nodePort: nodePort 30080 is already taken by Service default/a (manifests/web.yaml:7 spec.ports[0].nodePort)',
    ])
  })

  it('lets one Service use a nodePort for TCP and UDP', () => {
    expect(load(svc('  type: NodePort\n  ports:\n    - {name: dns, port: 53, protocol: UDP, nodePort: 30053}\n    - {name: dns-tcp, port: 53, nodePort: 30053}\n')).errors).toEqual([])
  })
})
