import {LocalTransport} from '../local-transport.js'
import {labNodeCommand, type LabState} from './lab-state.js'

/**
 * A transport to a lab node without SSH: the command runs locally inside the node's
 * network namespace with the node's podman environment, as its sshd would run it.
 * For tests and benchmarks that check a node behind kgit's back.
 */
export function labTransport(state: LabState, node: string): LocalTransport {
  const probe = labNodeCommand(state, node, ['true'])
  return new LocalTransport(node, {wrap: [probe.file, ...probe.args.slice(0, -1)], env: probe.env})
}
