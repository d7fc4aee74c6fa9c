import {BugError, UsageError} from './errors.js'
import {containerExec, containerLogs, type LogsOptions} from './argv/podman-access.js'
import {canStream, type PtyOptions, type StreamingTransport, type StreamResult} from './exec/transport.js'
import {chooseContainer, containerHints, findPod, parsePodRef, type ContainerHints} from './pod-target.js'
import {loadRevision, observeAll, withClusterFile, type SessionOptions} from './session.js'
import type {ClusterSpec, Observed, ObservedContainer, ObservedPod} from './types.js'
import {enabled} from './admission/chain.js'
import {execRefusal} from './admission/plugins/deny-escalating-exec.js'
import {AdmissionError} from './errors.js'

export interface PodTargetOptions extends SessionOptions {
  /** `POD`, `pod/NAME`, `deployment/NAME` or `daemonset/NAME`. */
  target: string
  namespace: string
  container?: string
  /** kubectl's notes for stderr ("Defaulted container ...", "Found N pods ..."). */
  onNote: (line: string) => void
  /** Authorizes the access once the pod is found (auth.ts checkPodAccess); throws to refuse. */
  access?: (observed: Observed, pod: ObservedPod) => Promise<void>
}

/** Where a streamed command's input and output go. */
export interface StreamIo {
  stdin?: NodeJS.ReadableStream
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  signal?: AbortSignal
  pty?: PtyOptions
}

export interface Target {
  pod: ObservedPod
  container: ObservedContainer
}

/** Streams `podman logs` of a pod's container from its node. */
export function podLogs(opts: PodTargetOptions & {logs: LogsOptions; io: StreamIo}): Promise<StreamResult & Target> {
  return withContainer(opts, async (t, target) => ({...target, ...(await t.stream(containerLogs(target.container.container, opts.logs), opts.io))}))
}

/** Runs a command in a pod's container on its node, stdin/stdout/stderr wired; its exit code is returned. */
export function podExec(opts: PodTargetOptions & {command: string[]; io: StreamIo}): Promise<StreamResult & Target> {
  return withContainer(opts, async (t, target, cluster) => {
    const {container, pod} = target
    // DenyEscalatingExec: judged on the spec the pod runs with, before anything is run on its node.
    const refusal = enabled(cluster.admission, 'DenyEscalatingExec') ? execRefusal(pod, pod.spec) : undefined
    if (refusal) throw new AdmissionError({file: 'kgit.yaml', path: 'spec.admission'}, `exec into pod ${pod.namespace}/${pod.name} refused: ${refusal} (admission plugin DenyEscalatingExec)`)
    if (container.state !== 'running') throw new UsageError(`cannot exec in container "${container.name}" of pod "${pod.name}" in namespace "${pod.namespace}": it is ${container.state}, not running (see: kgit logs ${pod.name} -n ${pod.namespace} -c ${container.name})`)
    const argv = containerExec(container.container, opts.command, {stdin: opts.io.stdin !== undefined, tty: opts.io.pty !== undefined})
    return {...target, ...(await t.stream(argv, opts.io))}
  })
}

/**
 * Finds the pod (reading every node, as `get pods` does) and its container, then runs
 * `fn` on that node's connection; the other nodes are let go at once, as a follow may last.
 */
function withContainer<T>(opts: PodTargetOptions, fn: (t: StreamingTransport, target: Target, cluster: ClusterSpec) => Promise<T>): Promise<T> {
  const ref = parsePodRef(opts.target)
  return withClusterFile({...opts, stream: true}, async (cluster, conns) => {
    const observed = await observeAll(cluster, conns)
    const {pod, note} = findPod(ref, opts.namespace, observed.nodes)
    if (note) opts.onNote(note)
    await opts.access?.(observed, pod)
    // Spec order matters for the default and for listing the valid names when -c is wrong.
    const needsHints = opts.container === undefined ? pod.containers.length > 1 : !pod.containers.some((c) => c.name === opts.container)
    const hints = needsHints ? await revisionHints(opts, pod) : undefined
    const chosen = chooseContainer(pod, opts.container, hints)
    if (chosen.note) opts.onNote(chosen.note)
    const c = await conns.nodes.get(pod.node)
    if (!c || !('transport' in c)) throw new BugError(`node ${pod.node} was observed but has no connection`)
    if (!canStream(c.transport)) throw new BugError(`the transport to node ${pod.node} cannot stream`)
    await Promise.all([...conns.nodes].filter(([n]) => n !== pod.node).map(async ([, p]) => {
      const other = await p
      if ('transport' in other) await other.transport.close()
    }))
    return fn(c.transport, {pod, container: chosen.container}, cluster)
  })
}


/**
 * The container order and default-container annotation live only in git (podman does
 * not keep them). A revision that cannot be read costs only the hint: the observed
 * order is used, which is what `get pods` shows.
 */
async function revisionHints(opts: SessionOptions, pod: ObservedPod): Promise<ContainerHints | undefined> {
  try {
    return containerHints((await loadRevision(opts)).desired.objects, pod)
  } catch {
    return undefined
  }
}
