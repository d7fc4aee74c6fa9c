import type {Desired} from '../types.js'
import type {Action, Plan} from './plan.js'

/** The per-object annotation that stops kgit changing an object's pods (docs/gitops.md). */
export const SUSPEND_ANNOTATION = 'kgit.dev/suspend'

/** `kind/namespace/name` of the objects whose pods are held (annotation "true"). */
export function suspendedObjects(desired: Desired): Set<string> {
  const out = new Set<string>()
  for (const o of desired.objects) {
    const meta = (o as {metadata?: {name: string; namespace: string; annotations?: Record<string, string>}}).metadata
    if (meta?.annotations?.[SUSPEND_ANNOTATION] === 'true') out.add(`${o.kind}/${meta.namespace}/${meta.name}`)
  }
  return out
}

function ownerOf(a: Action): string | undefined {
  if (a.type === 'sync-network' || a.type === 'remove-stray' || a.type === 'remove-volume') return undefined
  const pod = a.type === 'delete' ? a.old : a.pod
  return pod.owner ? `${pod.owner.kind}/${pod.namespace}/${pod.owner.name}` : `Pod/${pod.namespace}/${pod.name}`
}

/**
 * Suspend (spec.suspend, or the annotation on an object): the actions that would change
 * what is held move to `suspended`, drift included, so reports still show them and apply
 * does nothing about them. A suspended cluster also holds network syncs and rollouts.
 */
export function holdSuspended(desired: Desired, p: Plan): Plan {
  const objects = suspendedObjects(desired)
  if (!desired.cluster.suspend && objects.size === 0) return p
  const held = (a: Action): boolean => desired.cluster.suspend === true || objects.has(ownerOf(a) ?? '')
  const suspended = [...p.network.syncs.filter(held), ...p.actions.filter(held)]
  if (suspended.length === 0 && !desired.cluster.suspend) return p
  return {
    ...p,
    actions: p.actions.filter((a) => !held(a)),
    network: {...p.network, syncs: p.network.syncs.filter((s) => !held(s))},
    waiting: desired.cluster.suspend ? [] : p.waiting.filter((w) => !objects.has(`${w.kind}/${w.namespace}/${w.name}`)),
    suspended,
  }
}
