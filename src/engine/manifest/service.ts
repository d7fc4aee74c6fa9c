import type {ObjectMeta, ServiceObject, ServicePort} from '../types.js'
import {parseIPv4} from './cidr.js'
import {DNS1123_LABEL, DNS1123_SUBDOMAIN, type FieldReader} from './field-reader.js'
import {checkLabels} from './labels.js'
import type {PathPart} from './yaml-docs.js'

/** Kubernetes' default --service-node-port-range. */
export const NODE_PORT_MIN = 30000
export const NODE_PORT_MAX = 32767
/** sessionAffinityConfig.clientIP.timeoutSeconds: Kubernetes' default (3 hours) and maximum (1 day). */
export const DEFAULT_AFFINITY_TIMEOUT = 10800
const MAX_AFFINITY_TIMEOUT = 86400
const PROTOCOLS = ['TCP', 'UDP', 'SCTP']
/** Fields that only mean something to a cloud load balancer: read as written, never acted on. */
const LOAD_BALANCER_FIELDS = ['loadBalancerIP', 'loadBalancerSourceRanges', 'loadBalancerClass', 'allocateLoadBalancerNodePorts', 'healthCheckNodePort']

/**
 * A v1 Service, defaulted as the API server does. LoadBalancer is served as a NodePort
 * with a warning (no address pool yet); externalIPs are refused (see the README).
 */
export function readService(r: FieldReader, apiVersion: string, source: ServiceObject['source'], metadata: ObjectMeta): ServiceObject {
  r.map(['spec'])
  const type = r.str(['spec', 'type'], {oneOf: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']}) ?? 'ClusterIP'
  // Kubernetes on bare metal without a load balancer does the same: nodePorts, EXTERNAL-IP <pending>.
  if (type === 'LoadBalancer') r.warn(['spec', 'type'], 'kgit has no load balancer address pool yet: this Service is served as a NodePort on every node')
  const kind = type === 'LoadBalancer' ? 'NodePort' : (type as ServiceObject['spec']['type'])
  const clusterIP = readClusterIP(r, kind)
  const ports = readServicePorts(r, kind, clusterIP === 'None')
  const affinity = readAffinity(r)
  const spec: ServiceObject['spec'] = {type: kind, ports, clusterIP, ...affinity, publishNotReadyAddresses: r.bool(['spec', 'publishNotReadyAddresses']) ?? false, ...readPolicies(r, kind)}
  const selector = readSelector(r, kind)
  if (selector) spec.selector = selector
  const externalName = readExternalName(r, kind)
  if (externalName) spec.externalName = externalName
  readUnrouted(r, type)
  return {kind: 'Service', apiVersion, source, metadata, spec}
}

function readSelector(r: FieldReader, type: string): Record<string, string> | undefined {
  if (r.get(['spec', 'selector']) === undefined || r.get(['spec', 'selector']) === null) return undefined
  const selector = r.strMap(['spec', 'selector'])
  checkLabels(r, ['spec', 'selector'], selector)
  if (type === 'ExternalName') r.warn(['spec', 'selector'], 'an ExternalName Service has no endpoints: its selector is ignored')
  return Object.keys(selector).length > 0 ? selector : undefined
}

/** '' (allocate), 'None' (headless) or an IPv4 address; clusterIPs may repeat it (single-stack IPv4). */
function readClusterIP(r: FieldReader, type: string): string {
  const single = r.str(['spec', 'clusterIP'])
  const list = r.strList(['spec', 'clusterIPs'])
  const ip = single ?? list?.[0] ?? ''
  if (list && list.length > 0 && (list.length > 1 || list[0] !== ip)) r.fail(['spec', 'clusterIPs'], `must be [clusterIP] (kgit runs single-stack IPv4): got [${list.join(', ')}] with clusterIP "${ip}"`)
  const at = single !== undefined ? ['spec', 'clusterIP'] : ['spec', 'clusterIPs', 0]
  if (type === 'ExternalName') {
    if (ip !== '') r.fail(at, 'must not be set for type ExternalName')
    return ''
  }
  if (ip === 'None') {
    if (type === 'NodePort') r.fail(at, 'may not be set to "None" for type NodePort')
    return ip
  }
  if (ip !== '' && parseIPv4(ip) === undefined) r.fail(at, `must be "", "None" or an IPv4 address, got "${ip}"`)
  return ip
}

function readServicePorts(r: FieldReader, type: string, headless: boolean): ServicePort[] {
  const items = r.list(['spec', 'ports']) ?? []
  if (items.length === 0 && !headless && type !== 'ExternalName') r.fail(['spec', 'ports'], 'Required value: a Service needs at least one port (only headless and ExternalName Services may have none)')
  const ports = items.map((_, i) => readServicePort(r, ['spec', 'ports', i], type, items.length > 1))
  const names = new Map<string, number>()
  const numbers = new Map<string, number>()
  ports.forEach((p, i) => {
    const prevName = names.get(p.name)
    if (p.name && prevName !== undefined) r.fail(['spec', 'ports', i, 'name'], `duplicate port name "${p.name}" (also spec.ports[${prevName}])`)
    const key = `${p.port}/${p.protocol}`
    const prevPort = numbers.get(key)
    if (p.port > 0 && prevPort !== undefined) r.fail(['spec', 'ports', i, 'port'], `duplicate port ${key} (also spec.ports[${prevPort}])`)
    names.set(p.name, names.get(p.name) ?? i)
    numbers.set(key, numbers.get(key) ?? i)
  })
  checkNodePortsOnce(r, ports)
  return ports
}

function readServicePort(r: FieldReader, p: PathPart[], type: string, several: boolean): ServicePort {
  r.map(p)
  const name = r.str([...p, 'name'], {pattern: DNS1123_LABEL, patternMsg: 'must be a DNS-1123 label: lowercase letters, digits and "-"'}) ?? ''
  if (several && name === '') r.fail([...p, 'name'], 'Required value: each port needs a name when a Service has more than one')
  const port = r.int([...p, 'port'], {required: true, min: 1, max: 65535}) ?? 0
  const protocol = (r.str([...p, 'protocol'], {oneOf: PROTOCOLS}) ?? 'TCP') as ServicePort['protocol']
  const out: ServicePort = {name, protocol, port, targetPort: readTargetPort(r, [...p, 'targetPort']) ?? port}
  const nodePort = r.int([...p, 'nodePort'])
  if (nodePort !== undefined && nodePort !== 0) {
    if (type !== 'NodePort') r.fail([...p, 'nodePort'], `Forbidden: may not be used when type is ${type}`)
    else if (nodePort < NODE_PORT_MIN || nodePort > NODE_PORT_MAX) r.fail([...p, 'nodePort'], `must be in ${NODE_PORT_MIN}-${NODE_PORT_MAX}, got ${nodePort}`)
    else out.nodePort = nodePort
  }
  return out
}

/** A number (1-65535) or a container port's IANA name; 0 or absent: the Service's port. */
function readTargetPort(r: FieldReader, p: PathPart[]): number | string | undefined {
  const v = r.get(p)
  if (v === undefined || v === null || v === 0) return undefined
  if (typeof v === 'string') {
    if (/^[0-9]+$/.test(v)) return readTargetNumber(r, p, Number(v))
    if (!isIanaName(v)) r.fail(p, `must be a port number or an IANA service name (at most 15 lowercase letters, digits and "-", with a letter), got "${v}"`)
    return v
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    r.fail(p, 'must be an integer or a port name')
    return undefined
  }
  return readTargetNumber(r, p, v)
}

/** IANA_SVC_NAME: 1-15 lowercase letters, digits and "-", with a letter, no "--", no "-" at either end. */
export function isIanaName(v: string): boolean {
  return v.length <= 15 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) && /[a-z]/.test(v) && !v.includes('--')
}

function readTargetNumber(r: FieldReader, p: PathPart[], n: number): number | undefined {
  if (n >= 1 && n <= 65535) return n
  r.fail(p, `must be in 1-65535, got ${n}`)
  return undefined
}

/** The same nodePort twice in one Service is allowed only for different protocols. */
function checkNodePortsOnce(r: FieldReader, ports: ServicePort[]): void {
  const seen = new Map<string, number>()
  ports.forEach((p, i) => {
    if (p.nodePort === undefined) return
    const key = `${p.nodePort}/${p.protocol}`
    const prev = seen.get(key)
    if (prev !== undefined) r.fail(['spec', 'ports', i, 'nodePort'], `duplicate nodePort ${key} (also spec.ports[${prev}])`)
    else seen.set(key, i)
  })
}

function readAffinity(r: FieldReader): Pick<ServiceObject['spec'], 'sessionAffinity' | 'affinityTimeoutSeconds'> {
  const sessionAffinity = (r.str(['spec', 'sessionAffinity'], {oneOf: ['None', 'ClientIP']}) ?? 'None') as ServiceObject['spec']['sessionAffinity']
  const path = ['spec', 'sessionAffinityConfig', 'clientIP', 'timeoutSeconds']
  const timeout = r.int(path)
  if (sessionAffinity === 'None' && r.get(['spec', 'sessionAffinityConfig']) !== undefined) r.fail(['spec', 'sessionAffinityConfig'], 'Forbidden: must not be set when sessionAffinity is None')
  else if (timeout !== undefined && (timeout < 1 || timeout > MAX_AFFINITY_TIMEOUT)) r.fail(path, `must be in 1-${MAX_AFFINITY_TIMEOUT}, got ${timeout}`)
  return {sessionAffinity, affinityTimeoutSeconds: timeout !== undefined && timeout >= 1 && timeout <= MAX_AFFINITY_TIMEOUT ? timeout : DEFAULT_AFFINITY_TIMEOUT}
}

/** Traffic policies: Local is recorded but routed as Cluster (every node reaches every endpoint). */
function readPolicies(r: FieldReader, type: string): Pick<ServiceObject['spec'], 'externalTrafficPolicy' | 'internalTrafficPolicy'> {
  const external = r.str(['spec', 'externalTrafficPolicy'], {oneOf: ['Cluster', 'Local']}) as 'Cluster' | 'Local' | undefined
  const internal = (r.str(['spec', 'internalTrafficPolicy'], {oneOf: ['Cluster', 'Local']}) ?? 'Cluster') as 'Cluster' | 'Local'
  if (external !== undefined && type !== 'NodePort') r.fail(['spec', 'externalTrafficPolicy'], `may only be set for externally-accessible services (type NodePort), not ${type}`)
  if (external === 'Local') r.warn(['spec', 'externalTrafficPolicy'], 'Local is routed as Cluster by kgit: a nodePort reaches endpoints on every node and the client address is masqueraded')
  if (internal === 'Local') r.warn(['spec', 'internalTrafficPolicy'], 'Local is routed as Cluster by kgit: the cluster IP reaches endpoints on every node')
  if (type !== 'NodePort') return {internalTrafficPolicy: internal}
  return {externalTrafficPolicy: external ?? 'Cluster', internalTrafficPolicy: internal}
}

function readExternalName(r: FieldReader, type: string): string | undefined {
  const name = r.str(['spec', 'externalName'], {required: type === 'ExternalName'})
  if (name === undefined || name === '') return undefined
  if (type !== 'ExternalName') {
    r.warn(['spec', 'externalName'], `only an ExternalName Service uses externalName; ignored for type ${type}`)
    return undefined
  }
  const host = name.endsWith('.') ? name.slice(0, -1) : name
  if (parseIPv4(name) === undefined && (host.length > 253 || !DNS1123_SUBDOMAIN.test(host))) r.fail(['spec', 'externalName'], `must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".") or an IPv4 address, got "${name}"`)
  return name
}

/** Fields kgit cannot route: externalIPs and IPv6 are refused, load balancer fields warned about. */
function readUnrouted(r: FieldReader, type: string): void {
  const externalIPs = r.strList(['spec', 'externalIPs'])
  if (externalIPs && externalIPs.length > 0) r.fail(['spec', 'externalIPs'], 'externalIPs are not supported: kgit routes cluster IPs and nodePorts only (externalIPs let any namespace capture traffic to any address, CVE-2020-8554)')
  const families = r.strList(['spec', 'ipFamilies']) ?? []
  families.forEach((f, i) => f !== 'IPv4' && r.fail(['spec', 'ipFamilies', i], `kgit runs single-stack IPv4 Services, got "${f}"`))
  const policy = r.str(['spec', 'ipFamilyPolicy'], {oneOf: ['SingleStack', 'PreferDualStack', 'RequireDualStack']})
  if (policy === 'RequireDualStack') r.fail(['spec', 'ipFamilyPolicy'], 'RequireDualStack is not supported: kgit runs single-stack IPv4 Services')
  if (type === 'LoadBalancer') return
  for (const f of LOAD_BALANCER_FIELDS) if (r.get(['spec', f]) !== undefined) r.warn(['spec', f], `only used by type LoadBalancer; ignored for type ${type}`)
}
