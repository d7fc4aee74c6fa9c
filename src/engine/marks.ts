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
} as const

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
