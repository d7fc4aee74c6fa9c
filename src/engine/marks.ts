/**
 * kgit's marks on what it creates on a node. Facts only look at objects carrying
 * MANAGED, so kgit never sees or touches anything it does not own.
 */
export const LABEL = {
  managed: 'kgit.dev/managed',
  namespace: 'kgit.dev/namespace',
  name: 'kgit.dev/name',
  owner: 'kgit.dev/owner',
  templateHash: 'kgit.dev/template-hash',
  specHash: 'kgit.dev/spec-hash',
  grace: 'kgit.dev/grace',
  labels: 'kgit.dev/labels',
  pod: 'kgit.dev/pod',
  container: 'kgit.dev/container',
  /** The pod's probes: JSON [{c: container, k: ready|live, p: periodSeconds, t: timeoutSeconds}]. */
  probes: 'kgit.dev/probes',
  /** The pod spec it was started with (JSON), so a plan can show which fields change. */
  spec: 'kgit.dev/spec',
  /** Set when its object carried `kgit.dev/prune: disabled`: kept when the object leaves git. */
  keep: 'kgit.dev/keep',
  /** On containers podman restarts on failure (restartPolicy OnFailure): their restarts are read. */
  restart: 'kgit.dev/restart',
  /** A pod's address on the pod network (ADR 0017). */
  ip: 'kgit.dev/ip',
} as const

/** The podman network kgit makes on every node for its pods, with the node's slice of podCIDR. */
export const POD_NETWORK = 'kgit'
/** Routes kgit adds between nodes carry this protocol number (`ip route ... proto 215`). */
export const ROUTE_PROTO = 215

/** The annotation that keeps an object's pods when the object is removed from git. */
export const PRUNE_ANNOTATION = 'kgit.dev/prune'

export const MANAGED_FILTER = `label=${LABEL.managed}=true`

/** podman pod name for a Kubernetes pod: namespaces and names never contain "_". */
export function podmanPodName(namespace: string, name: string): string {
  return `${namespace}_${name}`
}

export function podmanContainerName(namespace: string, pod: string, container: string): string {
  return `${namespace}_${pod}_${container}`
}

/** podman volume name of a pod's emptyDir: one per pod instance. */
export function podmanVolumeName(namespace: string, pod: string, volume: string): string {
  return `${namespace}_${pod}_${volume}`
}

/**
 * The Kubernetes label on a CronJob's child Job and its pods, naming the CronJob: children
 * are known from the pods too, should the records lose them (ADR 0012).
 */
export const CRON_JOB_LABEL = 'kgit.dev/cronjob'
