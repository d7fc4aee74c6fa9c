// Services, their names and NetworkPolicy as the network state of each node (ADR 0013, 0014, 0017).
import type {RuleSet} from '../argv/iptables.js'
import {policyRules} from '../argv/policy-rules.js'
import {serviceState, type ServiceState} from '../controllers/services.js'
import {namespaceLabels} from '../manifest/network-policy.js'
import type {Desired, DesiredPod, NetworkPolicyObject, NodeRecord, Observed, ObservedPod, ServiceObject} from '../types.js'
import {netPods, planNetwork, type NetworkSyncAction} from './network.js'

export interface NetworkInputs {
  /** Every pod that runs on a reachable node. */
  live: readonly ObservedPod[]
  /** Pods this step removes: no longer endpoints, so traffic leaves them before they stop. */
  leaving: ReadonlySet<ObservedPod>
  slices: ReadonlyMap<string, string>
  /** Pods this step starts: they get their Service environment variables. */
  starts: readonly DesiredPod[]
  /** The cluster's record (cluster IPs and nodePorts kept there). */
  record: NodeRecord | undefined
}

export interface NetworkLayersResult {
  syncs: NetworkSyncAction[]
  services: ServiceState
}

/** The namespaces pods may run in: those of the revision's objects, and default. */
function namespacesOf(desired: Desired, live: readonly ObservedPod[]): string[] {
  const out = new Set<string>(['default'])
  for (const o of desired.objects) {
    if (o.kind === 'Namespace') out.add(o.metadata.name)
    else if ('namespace' in o.metadata && o.metadata.namespace) out.add(o.metadata.namespace)
  }
  for (const p of live) out.add(p.namespace)
  return [...out].sort()
}

/** The network syncs a plan needs (each reachable node's routes, chains and hosts files) and where Services stand. */
export function networkLayers(desired: Desired, observed: Observed, input: NetworkInputs): NetworkLayersResult {
  const statefulService = new Map(desired.objects.flatMap((o) => (o.kind === 'StatefulSet' ? [[`${o.metadata.namespace}/${o.metadata.name}`, o.spec.serviceName] as const] : [])))
  const pods = netPods(input.live, input.leaving, (p) => (p.owner?.kind === 'StatefulSet' ? statefulService.get(`${p.namespace}/${p.owner.name}`) : undefined))
  const {record} = input
  const services = serviceState({
    services: desired.objects.filter((o): o is ServiceObject => o.kind === 'Service'),
    network: desired.cluster.network,
    pods,
    previousRules: [],
    previous: {ips: new Map(Object.entries(record?.clusterIPs ?? {})), nodePorts: new Map(Object.entries(record?.nodePorts ?? {}))},
  })
  for (const p of input.starts) {
    const env = serviceEnv(desired, services, p.namespace)
    if (env.length > 0) p.serviceEnv = env
  }
  const policies = desired.objects.filter((o): o is NetworkPolicyObject => o.kind === 'NetworkPolicy')
  const namespaces = namespaceLabels(desired.objects)
  // Without policies every node has the same (empty) filter rules: rendered once.
  const open = policies.length === 0 ? policyRules({node: '', pods: [], namespaces, policies}) : undefined
  const filter = (node: string): RuleSet => open ?? policyRules({node, pods, namespaces, policies})
  const syncs = planNetwork(desired, observed, input.slices, {nat: [services.rules], filter, names: services.names, namespaces: namespacesOf(desired, input.live)})
  return {syncs, services}
}

/**
 * Kubernetes' environment variables for the Services of a pod's namespace that have a
 * cluster IP (the docker-links form too), as the kubelet sets them when the pod starts.
 */
export function serviceEnv(desired: Desired, state: ServiceState, namespace: string): {name: string; value: string}[] {
  const out: {name: string; value: string}[] = []
  const svcs = desired.objects.filter((o): o is ServiceObject => o.kind === 'Service' && o.metadata.namespace === namespace).sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
  for (const s of svcs) {
    const ip = state.clusterIPs.get(`${namespace}/${s.metadata.name}`)
    if (!ip || s.spec.ports.length === 0) continue
    const base = s.metadata.name.toUpperCase().replace(/-/g, '_')
    const first = s.spec.ports[0]!
    out.push({name: `${base}_SERVICE_HOST`, value: ip}, {name: `${base}_SERVICE_PORT`, value: String(first.port)})
    for (const p of s.spec.ports) if (p.name) out.push({name: `${base}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`, value: String(p.port)})
    out.push({name: `${base}_PORT`, value: `${first.protocol.toLowerCase()}://${ip}:${first.port}`})
    for (const p of s.spec.ports) {
      const pre = `${base}_PORT_${p.port}_${p.protocol}`
      out.push({name: pre, value: `${p.protocol.toLowerCase()}://${ip}:${p.port}`}, {name: `${pre}_PROTO`, value: p.protocol.toLowerCase()}, {name: `${pre}_PORT`, value: String(p.port)}, {name: `${pre}_ADDR`, value: ip})
    }
  }
  return out
}
