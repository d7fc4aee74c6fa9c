import type {ProxyService} from '../argv/service-rules.js'
import {parseIPv4} from '../manifest/cidr.js'
import {selectorMatches} from '../manifest/labels.js'
import {byText} from '../order.js'
import type {NetPod, ServiceObject, ServicePort} from '../types.js'
import {hasClusterIP, serviceKey, servicePortName} from './service-ips.js'

/** One address of a Service port: a pod's IP and the port its container listens on. */
export interface Endpoint {
  /** The Service port's name ('' for a single unnamed port). */
  portName: string
  protocol: ServicePort['protocol']
  ip: string
  /** 0 for a Service without ports (a headless one): the address alone. */
  port: number
  /** The pod (same namespace as the Service) and its node. */
  pod: string
  node: string
  /** The pod's spec.hostname when its spec.subdomain names this Service (DNS: HOSTNAME.SVC.NS.svc). */
  hostname?: string
}

export interface ServiceEndpoints {
  ready: Endpoint[]
  notReady: Endpoint[]
}

/**
 * The endpoints of a Service, as the endpoints controller makes them: pods of its namespace
 * whose labels match its selector, one endpoint per Service port the pod has (a named
 * targetPort is looked up among the pod's container ports by name and protocol; a pod
 * without it is no endpoint of that port). Not-ready pods are `notReady` unless the Service
 * publishes them. A Service without selector (or an ExternalName one) has none. Sorted by
 * port name, address and port.
 */
export function serviceEndpoints(svc: ServiceObject, pods: readonly NetPod[]): ServiceEndpoints {
  const out: ServiceEndpoints = {ready: [], notReady: []}
  const selector = svc.spec.selector
  if (!selector || svc.spec.type === 'ExternalName') return out
  const members = pods.filter((p) => p.namespace === svc.metadata.namespace && p.ip !== '' && selectorMatches({matchLabels: selector}, p.labels))
  // A Service without ports (headless) still lists its pods' addresses, for DNS: port 0.
  const ports: ServicePort[] = svc.spec.ports.length > 0 ? svc.spec.ports : [{name: '', protocol: 'TCP', port: 0, targetPort: 0}]
  for (const pod of members) {
    for (const sp of ports) {
      const port = typeof sp.targetPort === 'number' ? sp.targetPort : pod.ports.find((c) => c.name === sp.targetPort && c.protocol === sp.protocol)?.containerPort
      if (port === undefined) continue
      const ep: Endpoint = {portName: sp.name, protocol: sp.protocol, ip: pod.ip, port, pod: pod.name, node: pod.node}
      if (pod.hostname && pod.subdomain === svc.metadata.name) ep.hostname = pod.hostname
      ;(pod.ready || svc.spec.publishNotReadyAddresses ? out.ready : out.notReady).push(ep)
    }
  }
  out.ready.sort(byEndpoint)
  out.notReady.sort(byEndpoint)
  return out
}

/** By port name, then address (numerically), port and pod. */
export function byEndpoint(a: Endpoint, b: Endpoint): number {
  return byText(a.portName, b.portName) || (parseIPv4(a.ip) ?? 0) - (parseIPv4(b.ip) ?? 0) || a.port - b.port || byText(a.pod, b.pod)
}

export interface ProxyInput {
  services: readonly ServiceObject[]
  /** allocateClusterIPs(...).ips */
  clusterIPs: ReadonlyMap<string, string>
  /** allocateNodePorts(...).nodePorts */
  nodePorts: ReadonlyMap<string, number>
  /** Every pod of the cluster with an address on the pod network. */
  pods: readonly NetPod[]
  /** allEndpoints(services, pods), when the caller has it already. */
  endpoints?: ReadonlyMap<string, ServiceEndpoints>
}

/**
 * What argv/service-rules.ts renders: each Service with a cluster IP, its ports, their
 * nodePorts and ready endpoints. Headless and ExternalName Services, and any whose IP is
 * not allocated, are left out (they have no rules).
 */
export function proxyServices(input: ProxyInput): ProxyService[] {
  const out: ProxyService[] = []
  const all = input.endpoints ?? allEndpoints(input.services, input.pods)
  for (const svc of input.services) {
    const clusterIP = input.clusterIPs.get(serviceKey(svc))
    if (!hasClusterIP(svc) || clusterIP === undefined) continue
    const ready = all.get(serviceKey(svc))?.ready ?? []
    const {namespace, name} = svc.metadata
    const ports = svc.spec.ports.map((p) => {
      const nodePort = svc.spec.type === 'NodePort' ? input.nodePorts.get(servicePortName(namespace, name, p)) : undefined
      const endpoints = ready.filter((e) => e.portName === p.name).map((e) => ({ip: e.ip, port: e.port}))
      return {name: p.name, protocol: p.protocol, port: p.port, ...(nodePort !== undefined ? {nodePort} : {}), endpoints}
    })
    out.push({namespace, name, clusterIP, ports, sessionAffinity: svc.spec.sessionAffinity, affinityTimeoutSeconds: svc.spec.affinityTimeoutSeconds})
  }
  return out
}

/** serviceEndpoints of every Service (`namespace/name` ->), through an index of the pods' labels. */
export function allEndpoints(services: readonly ServiceObject[], pods: readonly NetPod[]): Map<string, ServiceEndpoints> {
  const byLabel = labelIndex(pods)
  return new Map(services.map((svc) => {
    const [k, v] = Object.entries(svc.spec.selector ?? {})[0] ?? []
    return [serviceKey(svc), serviceEndpoints(svc, k === undefined ? [] : (byLabel.get(`${svc.metadata.namespace}\0${k}\0${v}`) ?? []))]
  }))
}

/** Pods by `namespace NUL key NUL value` of each of their labels: a selector's candidates without a scan of every pod. */
function labelIndex(pods: readonly NetPod[]): Map<string, NetPod[]> {
  const out = new Map<string, NetPod[]>()
  for (const p of pods) {
    for (const [k, v] of Object.entries(p.labels)) {
      const key = `${p.namespace}\0${k}\0${v}`
      const list = out.get(key)
      if (list) list.push(p)
      else out.set(key, [p])
    }
  }
  return out
}
