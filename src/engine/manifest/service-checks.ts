import {ManifestError, formatPos, type SourcePos} from '../errors.js'
import type {KObject, ServiceObject} from '../types.js'
import {cidrContains, cidrSize, formatIPv4, parseCidr, parseIPv4} from './cidr.js'
import type {PathPart} from './yaml-docs.js'

/** Where a field of an object is (file, line, path): the loader knows each object's document. */
export type PosOf = (o: KObject, path: PathPart[]) => SourcePos

/**
 * Checks of Services against each other and against kgit.yaml, before any node is read:
 * an explicit clusterIP must be an allocatable address of serviceCIDR and belong to one
 * Service only; a nodePort given in git belongs to one Service only (whatever the protocol,
 * as Kubernetes' single nodePort allocator has it).
 */
export function checkServices(objects: readonly KObject[], serviceCIDR: string | undefined, posOf: PosOf): ManifestError[] {
  const errors: ManifestError[] = []
  const services = objects.filter((o): o is ServiceObject => o.kind === 'Service')
  const ips = new Map<string, ServiceObject>()
  const nodePorts = new Map<number, {svc: ServiceObject; index: number}>()
  for (const s of services) {
    const ip = s.spec.clusterIP
    if (ip !== '' && ip !== 'None') {
      const problem = serviceCIDR === undefined ? undefined : clusterIPProblem(ip, serviceCIDR)
      const prev = ips.get(ip)
      if (problem) errors.push(new ManifestError(posOf(s, ['spec', 'clusterIP']), problem))
      else if (prev) errors.push(new ManifestError(posOf(s, ['spec', 'clusterIP']), `clusterIP ${ip} is already taken by Service ${name(prev)} (${formatPos(posOf(prev, ['spec', 'clusterIP']))})`))
      else ips.set(ip, s)
    }
    s.spec.ports.forEach((p, index) => {
      if (p.nodePort === undefined) return
      const prev = nodePorts.get(p.nodePort)
      if (prev && prev.svc !== s) errors.push(new ManifestError(posOf(s, ['spec', 'ports', index, 'nodePort']), `nodePort ${p.nodePort} is already taken by Service ${name(prev.svc)} (${formatPos(posOf(prev.svc, ['spec', 'ports', prev.index, 'nodePort']))})`))
      else if (!prev) nodePorts.set(p.nodePort, {svc: s, index})
    })
  }
  return errors
}

/**
 * Why an address cannot be a cluster IP of serviceCIDR: outside it, or its network,
 * broadcast or first address (Kubernetes gives the first to the kubernetes Service).
 */
export function clusterIPProblem(ip: string, serviceCIDR: string): string | undefined {
  const cidr = parseCidr(serviceCIDR)
  const n = parseIPv4(ip)
  if (!cidr || n === undefined) return undefined
  if (!cidrContains(cidr, n)) return `clusterIP ${ip} is not in the cluster's serviceCIDR ${serviceCIDR} (kgit.yaml spec.network.serviceCIDR)`
  const size = cidrSize(cidr)
  if (n === cidr.base || n === cidr.base + size - 1) return `clusterIP ${ip} is the ${n === cidr.base ? 'network' : 'broadcast'} address of serviceCIDR ${serviceCIDR}`
  if (n === cidr.base + 1) return `clusterIP ${ip} is reserved: the first address of serviceCIDR ${serviceCIDR} is never given to a Service (use ${formatIPv4(cidr.base + 2)} or above)`
  return undefined
}

function name(s: ServiceObject): string {
  return `${s.metadata.namespace}/${s.metadata.name}`
}
