import type {AdmissionPlugin} from '../plugin.js'

/** The fields of a running pod's spec DenyEscalatingExec reads (set by the SecurityContext reading when given). */
export interface EscalationFields {
  hostPID?: boolean
  hostIPC?: boolean
  containers: {name: string; securityContext?: {privileged?: boolean}}[]
}

/**
 * Kubernetes' DenyEscalatingExec: `kgit exec` (create pods/exec) into a pod that is
 * privileged or shares the node's PID or IPC namespace is refused, as such a shell
 * reaches the node itself. It judges changes to nothing: kgit exec asks `execRefusal`
 * about the pod as it runs (the spec it was started with).
 */
export const DenyEscalatingExec: AdmissionPlugin = {name: 'DenyEscalatingExec', mutating: false, admit: () => []}

/** Why an exec into the pod is refused, or undefined when it is allowed. */
export function execRefusal(pod: {namespace: string; name: string}, spec: EscalationFields | undefined): string | undefined {
  if (!spec) return `the spec pod ${pod.namespace}/${pod.name} was started with is unknown, so kgit cannot tell it is not privileged`
  if (spec.hostPID) return `pod ${pod.namespace}/${pod.name} shares the node's PID namespace (hostPID): exec into it would escalate to the node`
  if (spec.hostIPC) return `pod ${pod.namespace}/${pod.name} shares the node's IPC namespace (hostIPC): exec into it would escalate to the node`
  const privileged = spec.containers.filter((c) => c.securityContext?.privileged).map((c) => c.name)
  if (privileged.length > 0) return `pod ${pod.namespace}/${pod.name} has privileged containers (${privileged.join(', ')}): exec into it would escalate to the node`
  return undefined
}
