import {ManifestError} from '../errors.js'
import {cidrContains, cidrSize, formatIPv4, parseCidr, parseIPv4} from '../manifest/cidr.js'
import {clusterIPProblem} from '../manifest/service-checks.js'
import {NODE_PORT_MAX, NODE_PORT_MIN} from '../manifest/service.js'
import {byText} from '../order.js'
import type {ServiceObject, ServicePort} from '../types.js'
import {fnv32a} from './hash.js'

export interface ClusterIPs {
  /** `namespace/name` -> cluster IP, for every Service that has one (explicit ones included). */
  ips: Map<string, string>
  errors: ManifestError[]
}

export interface NodePorts {
  /** servicePortName (`namespace/name:portName`, or `namespace/name` for an unnamed port) -> nodePort, for every port of every NodePort Service. */
  nodePorts: Map<string, number>
  errors: ManifestError[]
}

/** `namespace/name`: how allocations and the rules' comments name a Service. */
export function serviceKey(s: Pick<ServiceObject, 'metadata'>): string {
  return `${s.metadata.namespace}/${s.metadata.name}`
}

/** kube-proxy's ServicePortName: `namespace/name:portName`, or `namespace/name` for an unnamed single port. */
export function servicePortName(namespace: string, name: string, port: Pick<ServicePort, 'name'>): string {
  return port.name === '' ? `${namespace}/${name}` : `${namespace}/${name}:${port.name}`
}

/** Services that get a cluster IP: ClusterIP and NodePort ones that are not headless. */
export function hasClusterIP(s: ServiceObject): boolean {
  return s.spec.type !== 'ExternalName' && s.spec.clusterIP !== 'None'
}

/**
 * Gives every Service that needs one a cluster IP of `serviceCIDR`, deterministically:
 * an explicit spec.clusterIP wins; an IP the Service had before (`previous`, read from the
 * nodes' rules) is kept while it is in serviceCIDR and nobody asks for it explicitly; any
 * other Service gets the free address nearest after a slot chosen by a hash of its
 * `namespace/name`, so a Service gets the same IP again even when every node's state is
 * lost. Network, broadcast and first address (and `reserved`, e.g. a DNS address) are never
 * given out.
 */
export function allocateClusterIPs(services: readonly ServiceObject[], serviceCIDR: string, previous: ReadonlyMap<string, string>, reserved: readonly string[] = []): ClusterIPs {
  const cidr = parseCidr(serviceCIDR)
  if (!cidr) return {ips: new Map(), errors: [new ManifestError({file: 'kgit.yaml', path: 'spec.network.serviceCIDR'}, `must be an IPv4 CIDR, got "${serviceCIDR}"`)]}
  const size = cidrSize(cidr)
  const taken = new Set<number>([cidr.base, cidr.base + 1, cidr.base + size - 1, ...reserved.map((ip) => parseIPv4(ip) ?? -1)])
  const sorted = services.filter(hasClusterIP).sort((a, b) => byText(serviceKey(a), serviceKey(b)))
  const ips = new Map<string, string>()
  const errors: ManifestError[] = []
  const owner = new Map<number, string>()
  for (const s of sorted.filter((x) => x.spec.clusterIP !== '')) {
    const n = parseIPv4(s.spec.clusterIP)!
    const problem = clusterIPProblem(s.spec.clusterIP, serviceCIDR) ?? (owner.has(n) ? `clusterIP ${s.spec.clusterIP} is already taken by Service ${owner.get(n)}` : taken.has(n) ? `clusterIP ${s.spec.clusterIP} is reserved by kgit` : undefined)
    if (problem) errors.push(new ManifestError({...s.source, path: 'spec.clusterIP'}, problem))
    else ips.set(serviceKey(s), s.spec.clusterIP)
    taken.add(n)
    owner.set(n, serviceKey(s))
  }
  const want: ServiceObject[] = []
  for (const s of sorted.filter((x) => x.spec.clusterIP === '')) {
    const before = previous.get(serviceKey(s))
    const n = before === undefined ? undefined : parseIPv4(before)
    if (n === undefined || !cidrContains(cidr, n) || taken.has(n)) want.push(s)
    else {
      taken.add(n)
      ips.set(serviceKey(s), before!)
    }
  }
  for (const s of want) {
    const slot = probe(fnv32a(serviceKey(s)), cidr.base, size, taken)
    if (slot === undefined) errors.push(new ManifestError({...s.source, path: 'spec.clusterIP'}, `no free cluster IP left in serviceCIDR ${serviceCIDR} (${size} addresses, ${taken.size} taken or reserved): widen spec.network.serviceCIDR in kgit.yaml`))
    else ips.set(serviceKey(s), formatIPv4(slot))
  }
  return {ips, errors}
}

/** The first free number of [base, base+size) from a hashed start, wrapping around; marks it taken. */
function probe(hash: number, base: number, size: number, taken: Set<number>): number | undefined {
  const start = hash % size
  for (let k = 0; k < size; k++) {
    const n = base + ((start + k) % size)
    if (!taken.has(n)) {
      taken.add(n)
      return n
    }
  }
  return undefined
}

/**
 * Gives every port of a NodePort Service a nodePort in 30000-32767, as allocateClusterIPs
 * gives IPs: a nodePort in git wins, a previous one (keyed by servicePortName) is kept while
 * no other port asks for it, a new one is hash-preferred from the servicePortName.
 */
export function allocateNodePorts(services: readonly ServiceObject[], previous: ReadonlyMap<string, number>): NodePorts {
  const sorted = services.filter((s) => s.spec.type === 'NodePort').sort((a, b) => byText(serviceKey(a), serviceKey(b)))
  const ports = sorted.flatMap((s) => s.spec.ports.map((port, index) => ({s, port, index, key: servicePortName(s.metadata.namespace, s.metadata.name, port)})))
  const nodePorts = new Map<string, number>()
  const errors: ManifestError[] = []
  const owner = new Map<number, string>()
  for (const {s, port, index, key} of ports.filter((p) => p.port.nodePort !== undefined)) {
    const n = port.nodePort!
    const other = owner.get(n)
    if (other !== undefined && other !== key && !other.startsWith(serviceKey(s) + ':')) errors.push(new ManifestError({...s.source, path: `spec.ports[${index}].nodePort`}, `nodePort ${n} is already taken by Service port ${other}`))
    else nodePorts.set(key, n)
    owner.set(n, owner.get(n) ?? key)
  }
  const taken = new Set(owner.keys())
  const size = NODE_PORT_MAX - NODE_PORT_MIN + 1
  const want = ports.filter((p) => p.port.nodePort === undefined)
  const fresh = want.filter(({key}) => {
    const n = previous.get(key)
    if (n === undefined || n < NODE_PORT_MIN || n > NODE_PORT_MAX || taken.has(n)) return true
    taken.add(n)
    nodePorts.set(key, n)
    return false
  })
  for (const {s, key} of fresh) {
    const n = probe(fnv32a(key), NODE_PORT_MIN, size, taken)
    if (n === undefined) errors.push(new ManifestError({...s.source, path: 'spec.ports'}, `no free nodePort left in ${NODE_PORT_MIN}-${NODE_PORT_MAX}`))
    else nodePorts.set(key, n)
  }
  return {nodePorts, errors}
}
