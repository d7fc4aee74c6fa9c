// The pod network (ADR 0017): every node gets a slice of spec.network.podCIDR, kept once
// given; pods get addresses from their node's slice; nodes route to each other's slices
// through each other's addresses (host-gw).
import {cidrContains, cidrSize, formatCidr, formatIPv4, parseCidr, parseIPv4} from '../manifest/cidr.js'
import type {ClusterSpec} from '../types.js'

export interface SliceAllocation {
  /** node -> its slice (CIDR). */
  slices: Map<string, string>
  /** Nodes that got no slice: podCIDR has no room left. */
  errors: string[]
}

/**
 * Slices for the nodes of kgit.yaml. A node keeps the slice it has (`known`: what the node
 * itself says, else the records) while it still lies in podCIDR at the configured size and
 * no node listed before it holds the same one; new nodes get the lowest free slice, in
 * kgit.yaml's order. Pure and deterministic.
 */
export function allocateSlices(network: ClusterSpec['network'], nodes: readonly string[], known: ReadonlyMap<string, string>): SliceAllocation {
  const pod = parseCidr(network.podCIDR)
  const slices = new Map<string, string>()
  const errors: string[] = []
  if (!pod) return {slices, errors: [`spec.network.podCIDR ${network.podCIDR} is not a CIDR`]}
  const size = 2 ** (32 - network.nodeCIDRMaskSize)
  const taken = new Set<number>()
  for (const node of nodes) {
    const k = known.get(node)
    const c = k ? parseCidr(k) : undefined
    if (!c || c.prefix !== network.nodeCIDRMaskSize || !cidrContains(pod, c.base) || taken.has(c.base)) continue
    slices.set(node, k!)
    taken.add(c.base)
  }
  const count = cidrSize(pod) / size
  let next = 0
  for (const node of nodes) {
    if (slices.has(node)) continue
    while (next < count && taken.has(pod.base + next * size)) next++
    if (next >= count) {
      errors.push(`node ${node}: spec.network.podCIDR ${network.podCIDR} has no free /${network.nodeCIDRMaskSize} slice left (${count} in all); widen podCIDR or raise nodeCIDRMaskSize`)
      continue
    }
    const base = pod.base + next * size
    taken.add(base)
    slices.set(node, formatCidr({base, prefix: network.nodeCIDRMaskSize}))
  }
  return {slices, errors}
}

/** The slice's gateway: its first address, on the node's pod bridge. */
export function sliceGateway(slice: string): string {
  const c = parseCidr(slice)
  if (!c) throw new TypeError(`not a CIDR: ${slice}`)
  return formatIPv4(c.base + 1)
}

/** Whether an address lies in a CIDR. */
export function inCidr(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr)
  const n = parseIPv4(ip)
  return c !== undefined && n !== undefined && cidrContains(c, n)
}

/**
 * Hands out pod addresses in a slice: the lowest free one after the gateway, never the
 * network or broadcast address, never one in `used` (pods that run or are being removed).
 */
export function ipAllocator(slice: string, used: Iterable<string>): () => string | undefined {
  const c = parseCidr(slice)
  const taken = new Set(used)
  let next = 2
  return () => {
    if (!c) return undefined
    const last = cidrSize(c) - 2
    while (next <= last && taken.has(formatIPv4(c.base + next))) next++
    if (next > last) return undefined
    const ip = formatIPv4(c.base + next)
    taken.add(ip)
    next++
    return ip
  }
}

/** A route to another node's pods through that node (host-gw); `via: 'unreachable'`: a route that refuses. */
export interface PodRoute {
  dest: string
  via: string
}

/** The routes node `self` needs: every other node's slice through that node's address. */
export function podRoutes(self: string, slices: ReadonlyMap<string, string>, addresses: ReadonlyMap<string, string>): PodRoute[] {
  return [...slices]
    .filter(([node]) => node !== self && addresses.has(node))
    .map(([node, dest]) => ({dest, via: addresses.get(node)!}))
    .sort((a, b) => (parseCidr(a.dest)?.base ?? 0) - (parseCidr(b.dest)?.base ?? 0))
}
