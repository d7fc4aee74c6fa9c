import {UsageError} from './errors.js'
import {CRON_JOB_LABEL} from './marks.js'
import {byText} from './order.js'
import type {KObject, NodeObservation, ObservedContainer, ObservedPod} from './types.js'

/** What `kgit logs` and `kgit exec` were pointed at: a pod, or a workload whose pod is picked. */
export interface PodRef {
  kind: 'Pod' | 'Deployment' | 'DaemonSet' | 'StatefulSet'
  name: string
}

const KINDS: Record<string, PodRef['kind']> = {
  pod: 'Pod',
  pods: 'Pod',
  po: 'Pod',
  deployment: 'Deployment',
  deployments: 'Deployment',
  deploy: 'Deployment',
  'deployment.apps': 'Deployment',
  'deployments.apps': 'Deployment',
  daemonset: 'DaemonSet',
  daemonsets: 'DaemonSet',
  ds: 'DaemonSet',
  'daemonset.apps': 'DaemonSet',
  'daemonsets.apps': 'DaemonSet',
  statefulset: 'StatefulSet',
  statefulsets: 'StatefulSet',
  sts: 'StatefulSet',
  'statefulset.apps': 'StatefulSet',
  'statefulsets.apps': 'StatefulSet',
}

/** `NAME`, `pod/NAME`, `deployment/NAME`, `daemonset/NAME` or `statefulset/NAME` (kubectl's spellings). */
export function parsePodRef(arg: string): PodRef {
  const i = arg.indexOf('/')
  if (i < 0) return {kind: 'Pod', name: arg}
  const kind = KINDS[arg.slice(0, i).toLowerCase()]
  const name = arg.slice(i + 1)
  if (!kind) throw new UsageError(`cannot find a pod for "${arg}": this kgit version accepts POD, pod/NAME, deployment/NAME, daemonset/NAME or statefulset/NAME`)
  if (name === '' || name.includes('/')) throw new UsageError(`"${arg}" is not a valid name: expected ${arg.slice(0, i)}/NAME`)
  return {kind, name}
}

/** Kubernetes' "not found", with what else the user should know (nodes that did not answer). */
export class PodNotFoundError extends Error {
  override name = 'PodNotFoundError'
  constructor(
    readonly resource: string,
    readonly namespace: string,
    readonly unreachable: {node: string; reason: string}[],
  ) {
    super(`${resource} not found in namespace "${namespace}"`)
  }
}

export interface FoundPod {
  pod: ObservedPod
  /** kubectl's `Found N pods, using pod/X`, when a workload had several. */
  note?: string
}

/**
 * The pod a reference names in a namespace, among the reachable nodes. A workload's
 * pods are ranked as kubectl ranks them for logs: running first, then the oldest.
 */
export function findPod(ref: PodRef, namespace: string, nodes: NodeObservation[]): FoundPod {
  const unreachable = nodes.flatMap((n) => (n.reachable ? [] : [{node: n.node, reason: n.reason}]))
  const pods = nodes.flatMap((n) => (n.reachable ? n.pods : [])).filter((p) => p.namespace === namespace)
  if (ref.kind === 'Pod') {
    const pod = pods.find((p) => p.name === ref.name)
    if (!pod) throw new PodNotFoundError(`pods "${ref.name}"`, namespace, unreachable)
    return {pod}
  }
  const mine = pods.filter((p) => p.owner?.kind === ref.kind && p.owner.name === ref.name).sort(byLogging)
  if (mine.length === 0) throw new PodNotFoundError(`pods of ${ref.kind.toLowerCase()}s.apps "${ref.name}"`, namespace, unreachable)
  const pod = mine[0]!
  return mine.length > 1 ? {pod, note: `Found ${mine.length} pods, using pod/${pod.name}`} : {pod}
}

function byLogging(a: ObservedPod, b: ObservedPod): number {
  const running = Number(b.status === 'Running') - Number(a.status === 'Running')
  return running || byText(a.created, b.created) || byText(a.name, b.name)
}

/** What the revision says about a pod's containers: their order and the default-container annotation. */
export interface ContainerHints {
  order: string[]
  defaultContainer?: string
}

export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container'

/**
 * The template a running pod came from, if the revision still has it with the same
 * containers (a pod of an older template keeps the order kgit observed).
 */
export function containerHints(objects: KObject[], pod: ObservedPod): ContainerHints | undefined {
  const cron = pod.owner?.kind === 'Job' ? pod.labels[CRON_JOB_LABEL] : undefined
  const owner = cron !== undefined ? {kind: 'CronJob', name: cron} : (pod.owner ?? {kind: 'Pod', name: pod.name})
  const o = objects.find((x) => x.kind === owner.kind && x.metadata.name === owner.name && x.metadata.namespace === pod.namespace)
  if (!o || !('notes' in o)) return undefined
  const tpl = o.kind === 'Pod' ? undefined : o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec.template
  const [spec, annotations] = tpl ? [tpl.spec, tpl.metadata.annotations] : o.kind === 'Pod' ? [o.spec, o.metadata.annotations] : [undefined, {}]
  if (!spec) return undefined
  const order = spec.containers.map((c) => c.name)
  const observed = pod.containers.map((c) => c.name)
  if (order.length !== observed.length || !order.every((n) => observed.includes(n))) return undefined
  return {order, defaultContainer: annotations[DEFAULT_CONTAINER_ANNOTATION]}
}

export interface ChosenContainer {
  container: ObservedContainer
  /** kubectl's `Defaulted container "X" out of: X, Y`. */
  note?: string
}

/**
 * The container asked for; without one, kubectl's rule: the default-container
 * annotation, else the first container (with a note when there were several).
 */
export function chooseContainer(pod: ObservedPod, requested: string | undefined, hints?: ContainerHints): ChosenContainer {
  const order = hints?.order ?? pod.containers.map((c) => c.name)
  const byName = (n: string | undefined) => pod.containers.find((c) => c.name === n)
  if (requested !== undefined) {
    const c = byName(requested)
    if (!c) throw new UsageError(`container "${requested}" is not valid for pod "${pod.name}" in namespace "${pod.namespace}": choose one of: ${order.join(', ')}`)
    return {container: c}
  }
  const annotated = byName(hints?.defaultContainer)
  if (annotated) return {container: annotated}
  const first = byName(order[0])
  if (!first) throw new UsageError(`pod "${pod.name}" in namespace "${pod.namespace}" has no containers on node ${pod.node}`)
  return order.length > 1 ? {container: first, note: `Defaulted container "${first.name}" out of: ${order.join(', ')}`} : {container: first}
}
