// Services, their names and NetworkPolicy as the network state of each node (ADR 0017).
import type {RuleSet} from '../argv/iptables.js'
import {policyRules} from '../argv/policy-rules.js'
import {namespaceLabels} from '../manifest/network-policy.js'
import type {Desired, DesiredPod, NetworkPolicyObject, Observed, ObservedPod} from '../types.js'
import {netPods, planNetwork, type NetworkSyncAction} from './network.js'

export interface NetworkInputs {
  /** Every pod that runs on a reachable node. */
  live: readonly ObservedPod[]
  /** Pods this step removes: no longer endpoints, so traffic leaves them before they stop. */
  leaving: ReadonlySet<ObservedPod>
  slices: ReadonlyMap<string, string>
  /** Actions that start pods: they get their Service environment variables. */
  starts: readonly ({type: string; pod?: DesiredPod} | {type: string})[]
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

/** The network syncs a plan needs: each reachable node's routes, chains and hosts files. */
export function networkLayers(desired: Desired, observed: Observed, input: NetworkInputs): NetworkSyncAction[] {
  const statefulService = new Map(desired.objects.flatMap((o) => (o.kind === 'StatefulSet' ? [[`${o.metadata.namespace}/${o.metadata.name}`, o.spec.serviceName] as const] : [])))
  const pods = netPods(input.live, input.leaving, (p) => (p.owner?.kind === 'StatefulSet' ? statefulService.get(`${p.namespace}/${p.owner.name}`) : undefined))
  const policies = desired.objects.filter((o): o is NetworkPolicyObject => o.kind === 'NetworkPolicy')
  const namespaces = namespaceLabels(desired.objects)
  // Without policies every node has the same (empty) filter rules: rendered once.
  const open = policies.length === 0 ? policyRules({node: '', pods: [], namespaces, policies}) : undefined
  const filter = (node: string): RuleSet => open ?? policyRules({node, pods, namespaces, policies})
  return planNetwork(desired, observed, input.slices, {nat: [], filter, names: [], namespaces: namespacesOf(desired, input.live)})
}
