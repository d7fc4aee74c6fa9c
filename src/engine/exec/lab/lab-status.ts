// `kgit lab status`: is each node's netns there, its sshd alive and answering, and what podman runs.
import {sshdPaths} from './lab-config.js'
import {tryRun} from './lab-exec.js'
import {netnsExists} from './lab-net.js'
import {pidFromFile} from './lab-procs.js'
import {tcpAccepts} from './lab-sshd.js'
import type {LabNode, LabState} from './lab-state.js'
import {checkLabName, labNodeCommand, labStateDir, loadLabState} from './lab-state.js'

export interface LabNodeStatus {
  name: string
  address: string
  netns: boolean
  /** pid of the node's sshd when it is running. */
  sshdPid?: number
  port22: boolean
  /** podman containers on the node (all states, pod infra containers included); undefined when podman could not be asked. */
  containers?: number
  running?: number
  problems: string[]
  healthy: boolean
}

export interface LabStatusReport {
  name: string
  stateDir: string
  /** True when state.json exists and `lab up` finished. */
  up: boolean
  phase?: LabState['phase']
  subnet?: string
  gateway?: string
  bridge?: string
  repoDir?: string
  nodes: LabNodeStatus[]
  /** Up, and every node healthy. */
  healthy: boolean
  problems: string[]
}

/** Counts of the node's podman containers, all and running; undefined with the error when podman fails. */
interface PodmanCounts {
  all?: number
  running?: number
  error?: string
}

async function podmanCounts(state: LabState, node: string): Promise<PodmanCounts> {
  // JSON, because podman 4's `{{.State}}` template prints "Up 5 seconds ago".
  const cmd = labNodeCommand(state, node, ['podman', 'ps', '-a', '--format', 'json'])
  const r = await tryRun(cmd.file, cmd.args, {env: cmd.env})
  if (!r.ok) return {error: `podman ps failed: ${r.stderr.trim().split('\n').pop() ?? ''}`}
  const states = (JSON.parse(r.stdout || '[]') as {State?: string}[]).map((c) => c.State)
  return {all: states.length, running: states.filter((s) => s === 'running').length}
}

async function nodeStatus(state: LabState, node: LabNode): Promise<LabNodeStatus> {
  const netns = await netnsExists(node.netns)
  const sshdPid = await pidFromFile(sshdPaths(node.dir).pidFile, node.dir + '/')
  const [port22, counts] = await Promise.all([tcpAccepts(node.address, 22, 1000), netns ? podmanCounts(state, node.name) : Promise.resolve<PodmanCounts>({})])
  const problems = [
    ...(netns ? [] : [`netns ${node.netns} is missing`]),
    ...(sshdPid !== undefined ? [] : ['sshd is not running']),
    ...(port22 ? [] : [`nothing accepts connections on ${node.address}:22`]),
    ...(counts.error ? [counts.error] : []),
  ]
  const base = {name: node.name, address: node.address, netns, sshdPid, port22}
  return {...base, containers: counts.all, running: counts.running, problems, healthy: problems.length === 0}
}

/** Health of lab `name`, node by node. */
export async function labStatus(opts: {name: string}): Promise<LabStatusReport> {
  checkLabName(opts.name)
  const stateDir = labStateDir(opts.name)
  const state = await loadLabState(opts.name)
  if (!state) {
    return {name: opts.name, stateDir, up: false, nodes: [], healthy: false, problems: [`lab ${opts.name} is not up (no ${stateDir}/state.json)`]}
  }
  const nodes = await Promise.all(state.nodes.map((n) => nodeStatus(state, n)))
  const up = state.phase !== 'creating'
  const problems = up ? [] : [`lab ${opts.name} is still being created, or its \`lab up\` crashed; run: kgit lab down --name ${opts.name}`]
  const {subnet, gateway, bridge, repoDir, phase} = state
  return {name: state.name, stateDir, up, phase, subnet, gateway, bridge, repoDir, nodes, healthy: up && nodes.every((n) => n.healthy), problems}
}
