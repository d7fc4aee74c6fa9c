import type {NodeSpec, Resources} from '../types.js'

/**
 * What a node has: the amounts it reports (cpu, memory), each overridden by kgit.yaml's
 * `capacity`; what pods may use: `allocatable` if given, else capacity minus `reserved`.
 */
export function nodeCapacity(spec: Pick<NodeSpec, 'capacity'>, reported: Resources | undefined): Resources {
  return {...(reported ?? {}), ...(spec.capacity ?? {})}
}

export function nodeAllocatable(spec: Pick<NodeSpec, 'capacity' | 'allocatable' | 'reserved'>, reported: Resources | undefined): Resources {
  const cap = nodeCapacity(spec, reported)
  const out: Resources = {...cap}
  for (const [k, v] of Object.entries(spec.reserved ?? {})) if (k in out) out[k] = Math.max(0, out[k]! - v)
  return {...out, ...(spec.allocatable ?? {})}
}
