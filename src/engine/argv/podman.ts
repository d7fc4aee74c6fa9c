import {posix} from 'node:path'
import {quantityBytes} from '../manifest/volumes.js'
import {LABEL, POD_NETWORK, podmanContainerName, podmanPodName, podmanVolumeName} from '../marks.js'
import {hostsFilePath} from './network.js'
import type {ContainerSpec, DesiredPod, HostPathType, StrayContainer, Volume, VolumeMount} from '../types.js'
import {claimHostPath, claimSteps} from './claims.js'
import {containerEnv, expandVars} from './env.js'
import {containerIdFile, podIdFile, probesStart} from './probes.js'
import {filesVolumeMount, podFilesDir, podFilesWrite, secretEnvArgs} from './pod-files.js'
import {emptyDirOwner, nonRootCheck, securityArgs} from './security.js'

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
  if (pod.ip) l[LABEL.ip] = pod.ip
  l[LABEL.spec] = JSON.stringify(pod.spec)
  return l
}

/** Where a node keeps kgit's files, and the probe loop script to install there. */
export interface NodeContext {
  dataDir: string
  probeScript: string
  /** The node's name, for `fieldRef: spec.nodeName`. */
  node?: string
}

/** `podman pod create`: the pod's shared network, hostname and published ports. */
export function podCreate(pod: DesiredPod, dataDir: string): string[] {
  const name = podmanPodName(pod.namespace, pod.name)
  const ports = pod.spec.containers.flatMap((c) =>
    c.ports.filter((p) => p.hostPort !== undefined).flatMap((p) => ['--publish', `${p.hostIP ? p.hostIP + ':' : ''}${p.hostPort}:${p.containerPort}/${p.protocol.toLowerCase()}`]),
  )
  const hostname = (pod.spec.hostname ?? pod.name).slice(0, 63).replace(/[.-]+$/, '')
  // The ID file tells kgit's pod from one made by hand with the same name and labels.
  // On kgit's pod network with the address the plan picked from the node's slice (ADR 0017).
  // The MAC follows the address (as Docker's does): a reused address keeps its MAC, so
  // neighbour caches of the node and of other pods never point at a removed pod's MAC.
  const net = pod.ip ? ['--network', POD_NETWORK, '--ip', pod.ip, '--mac-address', macOf(pod.ip)] : []
  return ['podman', 'pod', 'create', '--name', name, '--infra-name', `${name}_infra`, '--pod-id-file', podIdFile(dataDir, pod.namespace, pod.name), '--hostname', hostname, ...net, ...labelArgs(podLabels(pod)), ...ports]
}

/** A locally administered MAC from an IPv4 address: 02:6b:A:B:C:D (0x6b, "k"). */
export function macOf(ip: string): string {
  return ['02', '6b', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':')
}

/** Where a pod is being started: `node` fills in `fieldRef: spec.nodeName`; kgit's files live in `dataDir`. */
export interface RunOptions {
  node?: string
  dataDir: string
}

/**
 * Limits as the kubelet sets them: cpu limit as a CFS quota (--cpus), memory limit as
 * the cgroup's memory limit, cpu request as cpu shares (1024 per core, at least 2).
 */
export function resourceArgs(c: ContainerSpec): string[] {
  const out: string[] = []
  const {requests = {}, limits = {}} = c.resources ?? {}
  if (limits.cpu !== undefined && limits.cpu > 0) out.push('--cpus', String(limits.cpu / 1000))
  if (limits.memory !== undefined && limits.memory > 0) out.push('--memory', String(limits.memory))
  if (requests.cpu !== undefined) out.push('--cpu-shares', String(Math.max(2, Math.floor((requests.cpu * 1024) / 1000))))
  return out
}

/** `podman run --detach` of one container into its pod (starting the pod's infra container with the first). */
export function containerRun(pod: DesiredPod, c: ContainerSpec, opts: RunOptions): string[] {
  const {dataDir} = opts
  const podName = podmanPodName(pod.namespace, pod.name)
  const labels: Record<string, string> = {[LABEL.managed]: 'true', [LABEL.pod]: podName, [LABEL.container]: c.name, [LABEL.namespace]: pod.namespace}
  if (pod.spec.restartPolicy === 'OnFailure') labels[LABEL.restart] = 'on-failure'
  const argv = ['podman', 'run', '--detach', '--pod', podName, '--name', podmanContainerName(pod.namespace, pod.name, c.name), '--cidfile', containerIdFile(dataDir, pod.namespace, pod.name, c.name), ...labelArgs(labels)]
  const limit = pod.spec.restartPolicy === 'OnFailure' && pod.restartLimit !== undefined ? `:${pod.restartLimit}` : ''
  argv.push('--restart', RESTART[pod.spec.restartPolicy] + limit, '--pull', PULL[c.imagePullPolicy])
  // Service variables first: the container's own env wins over them, as in Kubernetes.
  const own = containerEnv(pod, c, opts.node)
  const env = [...(pod.serviceEnv ?? []).filter((e) => !own.some((o) => o.name === e.name)), ...own]
  for (const e of env) argv.push('--env', `${e.name}=${e.value}`)
  argv.push(...secretEnvArgs(dataDir, pod, c))
  if (c.workingDir) argv.push('--workdir', c.workingDir)
  argv.push(...resourceArgs(c))
  argv.push(...securityArgs(pod.spec, c))
  argv.push(...mountArgs(pod, c.volumeMounts ?? [], dataDir))
  // Service names: the namespace's hosts file, which kgit rewrites in place as services change.
  if (pod.ip && !(c.volumeMounts ?? []).some((m) => m.mountPath === '/etc/hosts')) argv.push('--volume', `${hostsFilePath(dataDir, pod.namespace)}:/etc/hosts:ro`)
  // Kubernetes expands $(VAR) in command and args with the container's environment.
  const vars = new Map(env.map((e) => [e.name, e.value]))
  // Kubernetes: `command` replaces the image's ENTRYPOINT, `args` its CMD.
  // An empty command is unset in Kubernetes; podman would clear the image's ENTRYPOINT and CMD.
  if (c.command?.length) argv.push('--entrypoint', JSON.stringify(c.command.map((w) => expandVars(w, vars))))
  argv.push('--', c.image)
  if (c.args) argv.push(...c.args.map((w) => expandVars(w, vars)))
  return argv
}

/** `--volume SRC:DST[:ro]` for each mount: a pod's emptyDir is a named volume, a hostPath or a claim a bind mount. */
function mountArgs(pod: DesiredPod, mounts: VolumeMount[], dataDir: string): string[] {
  return mounts.flatMap((m) => {
    const v = pod.spec.volumes?.find((x) => x.name === m.name)
    if (!v) return []
    if ('configMap' in v || 'secret' in v) return filesVolumeMount(dataDir, pod, m)
    if ('emptyDir' in v) return ['--volume', `${podmanVolumeName(pod.namespace, pod.name, v.name)}:${m.mountPath}${m.readOnly ? ':ro' : ''}`]
    const claim = 'persistentVolumeClaim' in v ? pod.claims?.[v.name] : undefined
    const base = 'hostPath' in v ? v.hostPath.path : claim ? claimHostPath(claim, dataDir) : undefined
    if (base === undefined) return []
    const ro = m.readOnly || ('persistentVolumeClaim' in v && (v.persistentVolumeClaim.readOnly || claim!.readOnly))
    return ['--volume', `${m.subPath ? posix.join(base, m.subPath) : base}:${m.mountPath}${ro ? ':ro' : ''}`]
  })
}

const HOST_PATH_TEST: Partial<Record<HostPathType, [string, string]>> = {
  Directory: ['-d', 'a directory'],
  File: ['-f', 'a file'],
  Socket: ['-S', 'a socket'],
  CharDevice: ['-c', 'a character device'],
  BlockDevice: ['-b', 'a block device'],
}

/**
 * What must exist before a pod's containers start: its emptyDir volumes (fresh: those
 * left by an earlier pod of the same name are removed first), and its hostPath paths,
 * created or checked according to their type.
 */
export function volumeSteps(pod: DesiredPod, dataDir: string): string[][] {
  const volumes = pod.spec.volumes ?? []
  const steps: string[][] = [...volumeCleanup(pod.namespace, pod.name, volumes)]
  for (const v of volumes) steps.push(...('emptyDir' in v ? emptyDirSteps(pod, v) : 'hostPath' in v ? hostPathSteps(v.hostPath.path, v.hostPath.type) : []))
  steps.push(...claimSteps(pod, dataDir, hostPathSteps))
  // Kubernetes creates a missing subPath directory of a hostPath or claim volume.
  for (const c of pod.spec.containers) {
    for (const m of c.volumeMounts ?? []) {
      const v = volumes.find((x) => x.name === m.name)
      const claim = v && 'persistentVolumeClaim' in v ? pod.claims?.[v.name] : undefined
      const base = v && 'hostPath' in v ? v.hostPath.path : claim ? claimHostPath(claim, dataDir) : undefined
      if (base !== undefined && m.subPath) steps.push(['mkdir', '-p', '--', posix.join(base, m.subPath)])
    }
  }
  return steps
}

/**
 * An emptyDir: a podman volume. For a pod with a security context (emptyDirOwner) it is
 * made as the kubelet makes it, root-owned with mode 0777, or group fsGroup with 2777;
 * otherwise podman's default stands (owned by the first container's user).
 */
function emptyDirSteps(pod: DesiredPod, v: Extract<Volume, {emptyDir: unknown}>): string[][] {
  const name = podmanVolumeName(pod.namespace, pod.name, v.name)
  const argv = ['podman', 'volume', 'create', ...labelArgs({[LABEL.managed]: 'true', [LABEL.pod]: podmanPodName(pod.namespace, pod.name)})]
  const owner = emptyDirOwner(pod.spec)
  const ownerOpts = owner ? [`uid=0`, `gid=${owner.gid}`] : []
  if (v.emptyDir.medium === 'Memory') {
    argv.push('--opt', 'type=tmpfs', '--opt', 'device=tmpfs')
    // The size as tmpfs pages (nr_blocks, 4 KiB pages): podman before 4.8 refuses `o=size=` on any
    // volume ("Filesystem does not support Project Quota"), and passes nr_blocks to mount as it is.
    const o = [...(v.emptyDir.sizeLimit ? [`nr_blocks=${tmpfsPages(v.emptyDir.sizeLimit)}`] : []), ...ownerOpts, ...(owner ? [`mode=${owner.mode}`] : [])]
    if (o.length > 0) argv.push('--opt', `o=${o.join(',')}`)
    return [[...argv, name]]
  }
  if (!owner) return [[...argv, name]]
  // The uid and gid options keep podman from giving the volume to the first container's user.
  const chmod = ['sh', '-c', 'm=$(podman volume inspect --format "{{.Mountpoint}}" "$1") && chmod "$2" "$m"', 'kgit-emptydir', name, owner.mode]
  return [[...argv, '--opt', `o=${ownerOpts.join(',')}`, name], chmod]
}

/** A size limit as 4 KiB pages, rounded up (tmpfs' nr_blocks counts pages; 4 KiB on x86-64 and most arm64 kernels). */
export function tmpfsPages(sizeLimit: string): number {
  return Math.max(1, Math.ceil(quantityBytes(sizeLimit) / 4096))
}

function hostPathSteps(path: string, type: HostPathType): string[][] {
  if (type === 'DirectoryOrCreate') return [['mkdir', '-p', '--', path]]
  if (type === 'FileOrCreate') return [['mkdir', '-p', '--', posix.dirname(path)], ['touch', '-a', '--', path]]
  const test = HOST_PATH_TEST[type]
  if (!test) return []
  // The path is passed as $1, never spliced into the script.
  const script = `test ${test[0]} "$1" || { echo "hostPath $1 is not ${test[1]} on this node (volume type ${type})" >&2; exit 1; }`
  return [['sh', '-c', script, 'sh', path]]
}

/**
 * Removes a pod's emptyDir volumes (all podman volumes labelled with the pod), tolerating
 * their absence. Run after the pod is removed; with `volumes` known and holding no
 * emptyDir, there is nothing to do.
 */
export function volumeCleanup(namespace: string, name: string, volumes?: Volume[]): string[][] {
  if (volumes && !volumes.some((v) => 'emptyDir' in v)) return []
  return [['podman', 'volume', 'prune', '--force', '--filter', `label=${LABEL.pod}=${podmanPodName(namespace, name)}`]]
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
 * Every step that starts a pod, in order: the pod, its volumes, then each container
 * started into it (one podman process per container; create + start would be two),
 * then its probe loops.
 */
export function podRun(pod: DesiredPod, node: NodeContext): string[][] {
  const probes = probesStart(pod, node.dataDir, node.probeScript)
  const opts: RunOptions = {dataDir: node.dataDir, ...(node.node ? {node: node.node} : {})}
  // The files step reads its payload on stdin: it comes first, before anything else could read it.
  const files = pod.files ? [podFilesWrite(node.dataDir, pod, 'start')] : []
  const auth = pod.files?.auth ? posix.join(podFilesDir(node.dataDir, pod.namespace, pod.name), 'auth.json') : undefined
  const containers = pod.spec.containers.flatMap((c) => {
    const check = nonRootCheck(pod, c, auth)
    return check ? [check, containerRun(pod, c, opts)] : [containerRun(pod, c, opts)]
  })
  return [podPrepare(node.dataDir, pod.namespace, pod.name), ...files, podCreate(pod, node.dataDir), ...volumeSteps(pod, node.dataDir), ...containers, ...(probes ? [probes] : [])]
}

/** Removes a container or pod that carries kgit's labels but that kgit did not start. */
export function strayRm(s: StrayContainer): string[] {
  return s.pod ? ['podman', 'pod', 'rm', '--force', '--time', '0', s.pod] : ['podman', 'rm', '--force', '--time', '0', s.id]
}
