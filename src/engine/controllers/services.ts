// All of the Services' part of the network state in one pure call (ADR 0013): addresses,
// endpoints, the nat rules every node gets, and the names pods resolve.
import type {ManifestError} from '../errors.js'
import type {RuleSet} from '../argv/iptables.js'
import {allocationsFromRules, serviceRules} from '../argv/service-rules.js'
import {byText} from '../order.js'
import type {NetPod, ServiceObject} from '../types.js'
import {allEndpoints, proxyServices, type ServiceEndpoints} from './endpoints.js'
import {allocateClusterIPs, allocateNodePorts, hasClusterIP, serviceKey} from './service-ips.js'
import type {NameEntry} from './service-names.js'

export interface ServiceStateInput {
  services: readonly ServiceObject[]
  network: {podCIDR: string; serviceCIDR: string}
  /** Every pod with an address on the pod network (plan/network.ts netPods). */
  pods: readonly NetPod[]
  /**
   * kgit's nat rule lines as a node holds them (`iptables -t nat -S KGIT-SERVICES` and
   * `-S KGIT-NODEPORTS`, iptables-save, or the restore text last written), from any
   * number of nodes: the cluster IPs and nodePorts Services had, which they keep.
   */
  previousRules: readonly string[]
  /** Allocations kept elsewhere (the nodes' records), used where the rules say nothing. */
  previous?: {ips: ReadonlyMap<string, string>; nodePorts: ReadonlyMap<string, number>}
  /** Addresses of serviceCIDR no Service gets (e.g. a DNS server's). */
  reserved?: readonly string[]
}

export interface ServiceState {
  /** The nat rules of every node. */
  rules: RuleSet
  /** For the hosts files: a Service's cluster IP, or a headless one's ready pods. */
  names: NameEntry[]
  /** `namespace/name` -> cluster IP. */
  clusterIPs: Map<string, string>
  /** servicePortName -> nodePort. */
  nodePorts: Map<string, number>
  /** `namespace/name` -> its endpoints (for `kgit get endpoints`, describe). */
  endpoints: Map<string, ServiceEndpoints>
  /** Allocation problems (a full serviceCIDR...): the Services concerned get no rules. */
  errors: ManifestError[]
}

/** The Services' network state: same input, same output, on any machine. */
export function serviceState(input: ServiceStateInput): ServiceState {
  const fromRules = allocationsFromRules(input.previousRules)
  const previous = {ips: new Map([...(input.previous?.ips ?? []), ...fromRules.ips]), nodePorts: new Map([...(input.previous?.nodePorts ?? []), ...fromRules.nodePorts])}
  const services = [...input.services].sort((a, b) => byText(serviceKey(a), serviceKey(b)))
  const ips = allocateClusterIPs(services, input.network.serviceCIDR, previous.ips, input.reserved)
  const ports = allocateNodePorts(services, previous.nodePorts)
  const endpoints = allEndpoints(services, input.pods)
  const rules = serviceRules({podCIDR: input.network.podCIDR, services: proxyServices({services, clusterIPs: ips.ips, nodePorts: ports.nodePorts, pods: input.pods, endpoints})})
  const names = services.flatMap((s) => nameEntry(s, ips.ips.get(serviceKey(s)), endpoints.get(serviceKey(s))!))
  return {rules, names, clusterIPs: ips.ips, nodePorts: ports.nodePorts, endpoints, errors: [...ips.errors, ...ports.errors]}
}

/**
 * Kubernetes' DNS records as hosts entries: a Service's name -> its cluster IP; a headless
 * one's name -> its ready pods' addresses, and `HOSTNAME.SVC` for pods whose subdomain is
 * the Service. An ExternalName Service needs a CNAME, which a hosts file cannot hold: its
 * name gets the external name's address, an IP as written or a host name the node
 * resolves when it writes the file (`=HOST`, see templates/node/kgit-net.sh).
 */
function nameEntry(s: ServiceObject, clusterIP: string | undefined, eps: ServiceEndpoints): NameEntry[] {
  const {namespace, name} = s.metadata
  if (s.spec.type === 'ExternalName') return s.spec.externalName ? [{namespace, name, ips: [/^[0-9.]+$/.test(s.spec.externalName) ? s.spec.externalName : `=${s.spec.externalName}`]}] : []
  if (hasClusterIP(s)) return clusterIP ? [{namespace, name, ips: [clusterIP]}] : []
  const ready = eps.ready
  const ips = [...new Set(ready.map((e) => e.ip))]
  const pods = [...new Map(ready.filter((e) => e.hostname).map((e) => [e.pod, {hostname: e.hostname!, ip: e.ip}])).values()]
  return [{namespace, name, ips, ...(pods.length > 0 ? {pods} : {})}]
}
