import {LABEL, podmanContainerName, podmanPodName} from '../marks.js'
import type {ContainerSpec, DesiredPod} from '../types.js'

const RESTART = {Always: 'always', OnFailure: 'on-failure', Never: 'no'} as const
const PULL = {Always: 'always', IfNotPresent: 'missing', Never: 'never'} as const

function labelArgs(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`])
}

/** The labels that mark a pod as kgit's and say what it is. */
export function podLabels(pod: DesiredPod): Record<string, string> {
  const l: Record<string, string> = {
    [LABEL.managed]: 'true',
    [LABEL.namespace]: pod.namespace,
    [LABEL.name]: pod.name,
    [LABEL.specHash]: pod.specHash,
    [LABEL.grace]: String(pod.spec.terminationGracePeriodSeconds),
    [LABEL.labels]: JSON.stringify(pod.labels),
  }
  if (pod.owner) l[LABEL.owner] = `${pod.owner.kind}/${pod.owner.name}`
  if (pod.templateHash) l[LABEL.templateHash] = pod.templateHash
  return l
}

/** `podman pod create`: the pod's shared network, hostname and published ports. */
export function podCreate(pod: DesiredPod): string[] {
  const name = podmanPodName(pod.namespace, pod.name)
  const ports = pod.spec.containers.flatMap((c) =>
    c.ports.filter((p) => p.hostPort !== undefined).flatMap((p) => ['--publish', `${p.hostIP ? p.hostIP + ':' : ''}${p.hostPort}:${p.containerPort}/${p.protocol.toLowerCase()}`]),
  )
  const hostname = (pod.spec.hostname ?? pod.name).slice(0, 63).replace(/[.-]+$/, '')
  return ['podman', 'pod', 'create', '--name', name, '--infra-name', `${name}_infra`, '--hostname', hostname, ...labelArgs(podLabels(pod)), ...ports]
}

/** `podman run --detach` of one container into its pod (starting the pod's infra container with the first). */
export function containerRun(pod: DesiredPod, c: ContainerSpec): string[] {
  const podName = podmanPodName(pod.namespace, pod.name)
  const labels = {[LABEL.managed]: 'true', [LABEL.pod]: podName, [LABEL.container]: c.name, [LABEL.namespace]: pod.namespace}
  const argv = ['podman', 'run', '--detach', '--pod', podName, '--name', podmanContainerName(pod.namespace, pod.name, c.name), ...labelArgs(labels)]
  argv.push('--restart', RESTART[pod.spec.restartPolicy], '--pull', PULL[c.imagePullPolicy])
  for (const e of c.env) argv.push('--env', `${e.name}=${e.value}`)
  if (c.workingDir) argv.push('--workdir', c.workingDir)
  // Kubernetes: `command` replaces the image's ENTRYPOINT, `args` its CMD.
  // An empty command is unset in Kubernetes; podman would clear the image's ENTRYPOINT and CMD.
  if (c.command?.length) argv.push('--entrypoint', JSON.stringify(c.command))
  argv.push('--', c.image)
  if (c.args) argv.push(...c.args)
  return argv
}

/** Stops (SIGTERM, then SIGKILL after the grace period) and removes a pod with its containers. */
export function podRm(podmanName: string, graceSeconds: number): string[] {
  return ['podman', 'pod', 'rm', '--force', '--time', String(graceSeconds), podmanName]
}

/**
 * Every step that starts a pod, in order: the pod, then each container started into
 * it (one podman process per container; create + start would be two).
 */
export function podRun(pod: DesiredPod): string[][] {
  return [podCreate(pod), ...pod.spec.containers.map((c) => containerRun(pod, c))]
}
