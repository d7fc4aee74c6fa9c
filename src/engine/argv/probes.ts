import {podmanContainerName, podmanPodName} from '../marks.js'
import type {ContainerSpec, DesiredPod, Probe} from '../types.js'
import {shellQuote} from './shell.js'

export type ProbeKind = 'ready' | 'live'

/** Where kgit keeps per-pod files on a node, under its dataDir. */
export const NODE_DIRS = {ids: 'ids', probes: 'probes', bin: 'bin'} as const

/**
 * The spec file of one probe loop (templates/node/kgit-probe.sh sources it). Every value
 * is a quoted shell word; the node prepends `token=POD_ID` as the first line.
 */
export function probeSpec(pod: DesiredPod, c: ContainerSpec, kind: ProbeKind, p: Probe): string {
  const podName = podmanPodName(pod.namespace, pod.name)
  const v: [string, string | number][] = [
    ['kind', kind],
    ['container', podmanContainerName(pod.namespace, pod.name, c.name)],
    ['infra', `${podName}_infra`],
    ['initial', p.initialDelaySeconds],
    ['period', p.periodSeconds],
    ['timeout', p.timeoutSeconds],
    ['success', p.successThreshold],
    ['failure', p.failureThreshold],
    // Kubernetes kills a container whose liveness probe fails, then restarts it per restartPolicy.
    ['onfail', pod.spec.restartPolicy === 'Never' ? 'stop' : 'restart'],
    ['grace', pod.spec.terminationGracePeriodSeconds],
  ]
  const h = p.handler
  const arrays: string[] = []
  if ('exec' in h) {
    v.push(['mode', 'exec'])
    arrays.push(`cmd=(${h.exec.command.map(shellQuote).join(' ')})`)
  } else if ('tcpSocket' in h) {
    v.push(['mode', 'tcp'], ['host', h.tcpSocket.host ?? '127.0.0.1'], ['port', h.tcpSocket.port])
  } else {
    const g = h.httpGet
    const host = g.host ?? '127.0.0.1'
    const hostHeader = g.headers.find((x) => x.name.toLowerCase() === 'host')?.value ?? `${host}:${g.port}`
    v.push(['mode', 'http'], ['host', host], ['port', g.port], ['path', g.path || '/'], ['scheme', g.scheme], ['hostheader', hostHeader])
    arrays.push(`headers=(${g.headers.filter((x) => x.name.toLowerCase() !== 'host').map((x) => shellQuote(`${x.name}: ${x.value}`)).join(' ')})`)
  }
  return [...v.map(([k, x]) => `${k}=${shellQuote(String(x))}`), ...arrays].join('\n') + '\n'
}

/** Spec file name of one probe: `NS_POD_CONTAINER.ready|live`. */
export function probeFile(pod: Pick<DesiredPod, 'namespace' | 'name'>, container: string, kind: ProbeKind): string {
  return `${podmanContainerName(pod.namespace, pod.name, container)}.${kind}`
}

/** Every probe of a pod: file name and spec text. */
export function podProbes(pod: DesiredPod): {file: string; spec: string}[] {
  return pod.spec.containers.flatMap((c) => [
    ...(c.readinessProbe ? [{file: probeFile(pod, c.name, 'ready'), spec: probeSpec(pod, c, 'ready', c.readinessProbe)}] : []),
    ...(c.livenessProbe ? [{file: probeFile(pod, c.name, 'live'), spec: probeSpec(pod, c, 'live', c.livenessProbe)}] : []),
  ])
}

const INSTALL = [
  'd=$1 pod=$2 script=$3 states=',
  'shift 3',
  'token=$(cat "$d/ids/$pod.pod") || exit 1',
  'mkdir -p "$d/probes" "$d/bin" || exit 1',
  'printf "%s" "$script" >"$d/bin/kgit-probe.$$" && mv -f "$d/bin/kgit-probe.$$" "$d/bin/kgit-probe" || exit 1',
  'while [ $# -gt 1 ]; do',
  '  printf "token=%s\\n%s" "$token" "$2" >"$d/probes/$1.$$" && mv -f "$d/probes/$1.$$" "$d/probes/$1" || exit 1',
  '  setsid -f bash "$d/bin/kgit-probe" "$d/probes/$1" </dev/null >/dev/null 2>&1',
  '  states="$states$d/probes/$1.state\n"',
  '  shift 2',
  'done',
  // The loops write their first state at once: wait for it, so the next look at the node sees them.
  'printf "%b" "$states" | while IFS= read -r f; do i=0; while [ ! -e "$f" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; done',
  'exit 0',
].join('\n')

/**
 * Writes a pod's probe specs and starts one detached loop per probe. `script` is the
 * text of templates/node/kgit-probe.sh; it is installed next to the specs.
 */
export function probesStart(pod: DesiredPod, dataDir: string, script: string): string[] | undefined {
  const probes = podProbes(pod)
  if (probes.length === 0) return undefined
  return ['sh', '-c', INSTALL, 'kgit-probes', dataDir, podmanPodName(pod.namespace, pod.name), script, ...probes.flatMap((p) => [p.file, p.spec])]
}

/** Removes a pod's probe specs (their loops end) and its ID files. Never fails. */
export function podFilesRm(dataDir: string, namespace: string, name: string): string[] {
  return ['sh', '-c', 'rm -f "$1/probes/$2"_* "$1/ids/$2.pod" "$1/ids/$2"_*.ctr; exit 0', 'kgit-pod-files', dataDir, podmanPodName(namespace, name)]
}

export function podIdFile(dataDir: string, namespace: string, name: string): string {
  return `${dataDir}/${NODE_DIRS.ids}/${podmanPodName(namespace, name)}.pod`
}

export function containerIdFile(dataDir: string, namespace: string, name: string, container: string): string {
  return `${dataDir}/${NODE_DIRS.ids}/${podmanContainerName(namespace, name, container)}.ctr`
}
