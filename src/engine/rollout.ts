import {readFile} from 'node:fs/promises'
import {ErrorList, UsageError} from './errors.js'
import {deploymentHistory, findDeployment, undoTarget, type DeploymentHistory, type DeploymentRef, type Revision} from './controllers/rollout-history.js'
import {GitSource} from './exec/git-source.js'
import {commitFile, diffText, manifestLog, readyToCommit} from './exec/git-history.js'
import {parseCluster} from './manifest/cluster.js'
import {setPodTemplate} from './manifest/set-template.js'

export interface HistoryOptions {
  /** Repository directory (any folder inside it). */
  dir: string
  /** The commit the history is read back from. */
  revision: string
  /** A cluster file on disk that replaces kgit.yaml from the revision (for spec.manifests). */
  clusterFile?: string
  ref: DeploymentRef
}

export interface HistoryRun {
  history: DeploymentHistory
  commit: string
  source: GitSource
}

/** A Deployment's revisions, from the git log of the manifest paths back from `revision`. */
export async function readHistory(opts: HistoryOptions): Promise<HistoryRun> {
  const {source, commit} = await GitSource.openAt(opts.dir, opts.revision)
  const manifests = await manifestPaths(source, commit, opts.clusterFile)
  const history = deploymentHistory(await manifestLog(source, commit, manifests), opts.ref)
  if (!history) throw new UsageError(`deployment "${opts.ref.name}" is not in namespace ${opts.ref.namespace} at revision ${commit.slice(0, 12)} (read from ${manifests.join(', ')}; -n names the namespace)`)
  return {history, commit, source}
}

async function manifestPaths(source: GitSource, commit: string, clusterFile?: string): Promise<string[]> {
  const file = clusterFile ? {path: clusterFile, content: await readFile(clusterFile)} : await source.readFile(commit, 'kgit.yaml')
  if (!file) throw new UsageError(`kgit.yaml is not in commit ${commit.slice(0, 12)} at the top of ${source.root} (or pass --cluster FILE)`)
  const {cluster, errors} = parseCluster(file.path, Buffer.from(file.content).toString('utf8'))
  if (!cluster) throw new ErrorList(errors)
  return cluster.manifests
}

export interface UndoOptions extends Omit<HistoryOptions, 'revision'> {
  /** Revision number to go back to; the one before the current by default. */
  toRevision?: number
  /** Compute and return the diff, change nothing. */
  dryRun: boolean
}

export interface UndoResult {
  target: Revision
  /** The revision the Deployment was at. */
  from: Revision
  file: string
  branch: string
  message: string
  diff: string
  /** The new commit (not with dryRun). */
  commit?: string
}

/**
 * Writes a new commit on the current branch that puts back the pod template of an earlier
 * revision, in the file that holds the Deployment at HEAD. Refuses a detached HEAD, a file
 * with uncommitted changes, a target equal to the current template, and a git without
 * user.name / user.email.
 */
export async function undoRollout(opts: UndoOptions): Promise<UndoResult> {
  const {source, commit, history} = await readHistory({...opts, revision: 'HEAD'})
  const target = undoTarget(history, opts.ref, opts.toRevision)
  const file = history.file
  const branch = await readyToCommit(source.root, file, 'rollout undo')
  const old = (await source.readFile(commit, file))!.content.toString()
  const now = findDeployment(file, old, opts.ref)
  if (now && 'error' in now) throw new UsageError(`deployment/${opts.ref.name} cannot be read at HEAD (${now.error}): fix or revert that commit first`)
  const text = setPodTemplate({file, text: old, ref: opts.ref, from: {file: target.file, text: target.text, raw: target.raw, hash: target.hash}})
  const message = `kgit rollout undo deployment/${opts.ref.name} to revision ${target.revision} (template of ${target.commit.hash.slice(0, 7)})`
  const result: UndoResult = {target, from: history.current, file, branch, message, diff: await diffText(file, old, text)}
  if (opts.dryRun) return result
  return {...result, commit: await commitFile({root: source.root, file, text, old, message})}
}
