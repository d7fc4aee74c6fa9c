import {LABEL, podmanContainerName, podmanPodName} from '../marks.js'
import type {ContainerSpec, DesiredPod, StrayContainer} from '../types.js'
import {containerIdFile, podIdFile, probesStart} from './probes.js'

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
  const probes = pod.spec.containers.flatMap((c) => [
    ...(c.readinessProbe ? [{c: c.name, k: 'ready', p: c.readinessProbe.periodSeconds, t: c.readinessProbe.timeoutSeconds}] : []),
    ...(c.livenessProbe ? [{c: c.name, k: 'live', p: c.livenessProbe.periodSeconds, t: c.livenessProbe.timeoutSeconds}] : []),
  ])
  if (probes.length > 0) l[LABEL.probes] = JSON.stringify(probes)
  if (pod.keep) l[LABEL.keep] = 'true'
  l[LABEL.spec] = JSON.stringify(pod.spec)
  return l
}

/** Where a node keeps kgit's files, and the probe loop script to install there. */
export interface NodeContext {
  dataDir: string
  probeScript: string
}

/** `podman pod create`: the pod's shared network, hostname and published ports. */
export function podCreate(pod: DesiredPod, dataDir: string): string[] {
  const name = podmanPodName(pod.namespace, pod.name)
  const ports = pod.spec.containers.flatMap((c) =>
    c.ports.filter((p) => p.hostPort !== undefined).flatMap((p) => ['--publish', `${p.hostIP ? p.hostIP + ':' : ''}${p.hostPort}:${p.containerPort}/${p.protocol.toLowerCase()}`]),
  )
  const hostname = (pod.spec.hostname ?? pod.name).slice(0, 63).replace(/[.-]+$/, '')
  // The ID file tells kgit's pod from one made by hand with the same name and labels.
  return ['podman', 'pod', 'create', '--name', name, '--infra-name', `${name}_infra`, '--pod-id-file', podIdFile(dataDir, pod.namespace, pod.name), '--hostname', hostname, ...labelArgs(podLabels(pod)), ...ports]
}

/** `podman run --detach` of one container into its pod (starting the pod's infra container with the first). */
export function containerRun(pod: DesiredPod, c: ContainerSpec, dataDir: string): string[] {
  const podName = podmanPodName(pod.namespace, pod.name)
  const labels = {[LABEL.managed]: 'true', [LABEL.pod]: podName, [LABEL.container]: c.name, [LABEL.namespace]: pod.namespace}
  const argv = ['podman', 'run', '--detach', '--pod', podName, '--name', podmanContainerName(pod.namespace, pod.name, c.name), '--cidfile', containerIdFile(dataDir, pod.namespace, pod.name, c.name), ...labelArgs(labels)]
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

/** Clears what an earlier instance of the pod left (ID files, probe specs) and makes the ID folder. */
export function podPrepare(dataDir: string, namespace: string, name: string): string[] {
  return ['sh', '-c', 'mkdir -p "$1/ids" || exit 1; rm -f "$1/probes/$2"_* "$1/ids/$2.pod" "$1/ids/$2"_*.ctr; exit 0', 'kgit-pod-prepare', dataDir, podmanPodName(namespace, name)]
}

/**
 * Every step that starts a pod, in order: the pod, then each container started into
 * it (one podman process per container; create + start would be two), then its probes.
 */
export function podRun(pod: DesiredPod, node: NodeContext): string[][] {
  const probes = probesStart(pod, node.dataDir, node.probeScript)
  return [podPrepare(node.dataDir, pod.namespace, pod.name), podCreate(pod, node.dataDir), ...pod.spec.containers.map((c) => containerRun(pod, c, node.dataDir)), ...(probes ? [probes] : [])]
}

/** Removes a container or pod that carries kgit's labels but that kgit did not start. */
export function strayRm(s: StrayContainer): string[] {
  return s.pod ? ['podman', 'pod', 'rm', '--force', '--time', '0', s.pod] : ['podman', 'rm', '--force', '--time', '0', s.id]
}
