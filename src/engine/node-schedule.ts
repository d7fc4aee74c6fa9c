import {ErrorList, UsageError} from './errors.js'
import {GitSource} from './exec/git-source.js'
import {commitFile, diffText, readyToCommit} from './exec/git-history.js'
import {parseCluster} from './manifest/cluster.js'
import {removeNode, setNodeSchedule, type NodeSchedule} from './manifest/set-node.js'

export type ScheduleAction = 'cordon' | 'uncordon' | 'drain'

/** What each command writes on the node (drain: cordoned, and its pods moved away). */
const WANT: Record<ScheduleAction, NodeSchedule> = {
  cordon: {unschedulable: true, drain: false},
  drain: {unschedulable: true, drain: true},
  uncordon: {unschedulable: false, drain: false},
}

const CLUSTER_FILE = 'kgit.yaml'

export interface ScheduleOptions {
  /** Repository directory (any folder inside it). */
  dir: string
  node: string
  action: ScheduleAction
  /** Compute and return the diff, change nothing. */
  dryRun?: boolean
}

export interface ScheduleResult {
  /** False when the node already was as asked: nothing committed. */
  changed: boolean
  /** `node/n2 cordoned`, or `node n2 is already cordoned`. */
  message: string
  file: string
  branch?: string
  diff?: string
  /** The new commit (not with dryRun, not when nothing changed). */
  commit?: string
}

/**
 * Writes a commit on the current branch that sets a node's scheduling fields in the
 * kgit.yaml of HEAD (`kgit cordon`, `uncordon`, `drain`). Refuses an unknown node (naming
 * the known ones), a detached HEAD, a kgit.yaml with uncommitted changes and a git without
 * user.name / user.email; a node already as asked is no change, not an error.
 */
export async function scheduleNode(opts: ScheduleOptions): Promise<ScheduleResult> {
  const {source, commit} = await GitSource.openAt(opts.dir, 'HEAD')
  const file = await source.readFile(commit, CLUSTER_FILE)
  if (!file) throw new UsageError(`${CLUSTER_FILE} is not in commit ${commit.slice(0, 12)} at the top of ${source.root}: kgit ${opts.action} edits the nodes there`)
  const old = Buffer.from(file.content).toString('utf8')
  const {cluster, errors} = parseCluster(CLUSTER_FILE, old)
  if (!cluster) throw new ErrorList(errors)
  const node = cluster.nodes.find((n) => n.name === opts.node)
  if (!node) throw new UsageError(`node "${opts.node}" is not in ${CLUSTER_FILE} (nodes: ${cluster.nodes.map((n) => n.name).join(', ') || 'none'})`)
  const already = alreadyMessage(opts.action, node)
  if (already) return {changed: false, message: `node ${opts.node} ${already}`, file: CLUSTER_FILE}
  const branch = await readyToCommit(source.root, CLUSTER_FILE, `kgit ${opts.action}`)
  const text = setNodeSchedule(CLUSTER_FILE, old, opts.node, WANT[opts.action])
  const message = `kgit ${opts.action} ${opts.node}`
  const result: ScheduleResult = {changed: true, message: `node/${opts.node} ${opts.action === 'drain' ? 'drained' : `${opts.action}ed`}`, file: CLUSTER_FILE, branch, diff: await diffText(CLUSTER_FILE, old, text)}
  if (opts.dryRun) return result
  return {...result, commit: await commitFile({root: source.root, file: CLUSTER_FILE, text, old, message})}
}

/** Why there is nothing to do, or undefined. */
function alreadyMessage(action: ScheduleAction, node: {unschedulable: boolean; drain: boolean}): string | undefined {
  if (action === 'cordon' && node.unschedulable) return node.drain ? 'is already cordoned (and drained: kgit uncordon opens it)' : 'is already cordoned'
  if (action === 'drain' && node.drain) return 'is already drained'
  if (action === 'uncordon' && !node.unschedulable) return 'is already schedulable'
  return undefined
}

/**
 * `kgit node forget NODE`: a commit that removes the node from kgit.yaml, as `kubectl
 * delete node` removes a Node. kgit stops looking at it, so what the records place there
 * (a StatefulSet's ordinals, bare Pods) is started on other nodes by the next apply.
 * Only for a machine that is gone: kgit does not stop what it may still run.
 */
export async function forgetNode(opts: Omit<ScheduleOptions, 'action'>): Promise<ScheduleResult> {
  const {source, commit} = await GitSource.openAt(opts.dir, 'HEAD')
  const file = await source.readFile(commit, CLUSTER_FILE)
  if (!file) throw new UsageError(`${CLUSTER_FILE} is not in commit ${commit.slice(0, 12)} at the top of ${source.root}: kgit node forget edits the nodes there`)
  const old = Buffer.from(file.content).toString('utf8')
  const {cluster, errors} = parseCluster(CLUSTER_FILE, old)
  if (!cluster) throw new ErrorList(errors)
  if (!cluster.nodes.some((n) => n.name === opts.node)) throw new UsageError(`node "${opts.node}" is not in ${CLUSTER_FILE} (nodes: ${cluster.nodes.map((n) => n.name).join(', ') || 'none'})`)
  const branch = await readyToCommit(source.root, CLUSTER_FILE, 'kgit node forget')
  const text = removeNode(CLUSTER_FILE, old, opts.node)
  const result: ScheduleResult = {changed: true, message: `node/${opts.node} forgotten`, file: CLUSTER_FILE, branch, diff: await diffText(CLUSTER_FILE, old, text)}
  if (opts.dryRun) return result
  return {...result, commit: await commitFile({root: source.root, file: CLUSTER_FILE, text, old, message: `kgit node forget ${opts.node}`})}
}
