import {decide} from './admission/authorizers.js'
import {authorize, impersonate, rbacPolicy, type Decision, type RequestAttributes} from './admission/rbac.js'
import {accessRequest, type AccessArgs} from './admission/rbac-resources.js'
import {decryptSecrets} from './exec/secrets.js'
import {forbidden, type GateResult} from './gate.js'
import {authorizers, gateRevision, identify, runningCommit, runningConfig, type IdentityFlags, type Running} from './gate-run.js'
import type {ResolvedIdentity} from './identity/resolve.js'
import {UsageError} from './errors.js'
import {GitSource} from './exec/git-source.js'
import {WorkingTreeReader} from './exec/working-tree.js'
import {parseCluster} from './manifest/cluster.js'
import {readFile} from 'node:fs/promises'
import {loadRevision, observeCluster, type RevisionOptions} from './session.js'
import type {Observed} from './types.js'

export interface CanIOptions extends RevisionOptions, AccessArgs {
  /** The user asked about, and the groups given for it (Kubernetes completes them as for `--as`). */
  as: string
  asGroups: string[]
  /** Answer for the revision the cluster runs (the nodes' records) instead of `revision` (--revision not given). */
  fromRecords?: boolean
}

export interface CanIResult {
  decision: Decision
  /** The request as asked, user and groups included. */
  request: RequestAttributes
  /** The commit whose Roles and bindings answered. */
  commit: string
  /** RESOURCE is none kgit knows: it was asked about as typed. */
  unknownResource?: string
  /** Why the answer is not the running revision's (no node record...). */
  note?: string
}

/**
 * `kgit auth can-i`: the answer for one request from the revision the cluster runs (the
 * nodes' records; `fromRecords`) or the one given. With spec.authorization, its modes
 * answer, in order; without it, RBAC alone (can-i is an RBAC question then).
 */
export async function canI(opts: CanIOptions): Promise<CanIResult> {
  const {ask, unknownResource} = accessRequest(opts)
  let revision = opts.revision
  let note: string | undefined
  if (opts.fromRecords) {
    const {observed} = await observeCluster({dir: opts.dir, revision: opts.revision, clusterFile: opts.clusterFile, workingTree: opts.workingTree})
    const running = runningCommit(observed)
    if (running) revision = running
    else note = `no node holds a record of an applied revision: answering for ${opts.revision}`
  }
  const loaded = await loadRevision({dir: opts.dir, revision, clusterFile: opts.clusterFile, workingTree: opts.fromRecords && revision !== opts.revision ? false : opts.workingTree})
  const request: RequestAttributes = {...impersonate(opts.as, opts.asGroups), ...ask}
  let decision: Decision
  if (loaded.desired.cluster.authorization) {
    const {chain} = await authorizers(await runningConfigOf(loaded), loaded.desired.objects)
    const d = await decide(chain, request)
    decision = {allowed: d.verdict === 'allow', reason: d.reason}
  } else decision = authorize(rbacPolicy(loaded.desired.objects), request)
  return {decision, request, commit: loaded.commit, ...(unknownResource ? {unknownResource} : {}), ...(note ? {note} : {})}
}

/** A revision as its own trusted revision (it is the one asked about). */
function runningConfigOf(loaded: Awaited<ReturnType<typeof loadRevision>>): Promise<Running> {
  return runningConfig(loaded, {nodes: []}, {dir: loaded.source.root, revision: loaded.commit})
}

export interface WhoamiResult {
  identity: ResolvedIdentity
  /** The commit whose spec.authentication answered (the one the cluster runs), or undefined: the revision's own. */
  trusted?: string
  commit: string
}

/** `kgit auth whoami`: the identity applying this revision would run as, and how it was found. */
export async function whoami(opts: RevisionOptions & {identity: IdentityFlags}): Promise<WhoamiResult> {
  const {observed, loaded} = await observedAndLoaded(opts, false)
  const running = await runningConfig(loaded, observed, opts)
  const identity = await identify(running, opts.identity, opts.workingTree ? undefined : {root: loaded.source.root, commit: loaded.commit})
  return {identity, ...(running.commit ? {trusted: running.commit} : {}), commit: loaded.commit}
}

/** `kgit auth reconcile-check`: every change of the revision against the one the cluster runs, with its verdict. */
export async function reconcileCheck(opts: RevisionOptions & {identity: IdentityFlags}): Promise<GateResult & {identity: ResolvedIdentity; runningCommit?: string; commit: string}> {
  const {observed, loaded} = await observedAndLoaded(opts, true)
  const {running, ...r} = (await gateRevision(loaded, observed, {...opts, always: true}))!
  return {...r, ...(running.commit ? {runningCommit: running.commit} : {}), commit: loaded.commit}
}

/** The nodes (for the running revision) and the revision; Secrets decrypted when changes are compared. */
async function observedAndLoaded(opts: RevisionOptions, decrypt: boolean): Promise<{observed: Observed; loaded: Awaited<ReturnType<typeof loadRevision>>}> {
  const [{observed}, loaded] = await Promise.all([observeCluster(opts), loadRevision(opts)])
  if (decrypt) await decryptSecrets(loaded.desired.objects)
  return {observed, loaded}
}

/**
 * `kgit exec` (`create pods/exec`) and `kgit logs` (`get pods/log`), authorized when
 * the running revision configures spec.authorization: by the local user or --as.
 */
export async function checkPodAccess(opts: RevisionOptions & {identity: IdentityFlags; observed: Observed; verb: 'create' | 'get'; subresource: 'exec' | 'log'; pod: {name: string; namespace: string}}): Promise<void> {
  const commit = runningCommit(opts.observed)
  // Only kgit.yaml first: without spec.authorization there is nothing to check (and no manifests to read).
  if (!(await hasAuthorization({...opts, revision: commit ?? opts.revision, workingTree: commit ? false : opts.workingTree}))) return
  const loaded = await loadRevision({dir: opts.dir, revision: commit ?? opts.revision, clusterFile: opts.clusterFile, workingTree: commit ? false : opts.workingTree})
  const running = await runningConfig(loaded, opts.observed, {dir: opts.dir, revision: loaded.commit, clusterFile: opts.clusterFile})
  const who = await identify(running, opts.identity)
  const {chain} = await authorizers(running, loaded.desired.objects)
  const attrs: RequestAttributes = {user: who.user, groups: who.groups, verb: opts.verb, resource: 'pods', subresource: opts.subresource, apiGroup: '', name: opts.pod.name, namespace: opts.pod.namespace}
  const d = await decide(chain, who.uid ? {...attrs, uid: who.uid} : attrs)
  if (d.verdict !== 'allow') throw new UsageError(`${forbidden(attrs, opts.pod.name)} (${d.reason}; ${who.method})`)
}

async function hasAuthorization(opts: RevisionOptions): Promise<boolean> {
  if (opts.clusterFile) return parseCluster(opts.clusterFile, await readFile(opts.clusterFile, 'utf8')).cluster?.authorization !== undefined
  const {source, commit} = await GitSource.openAt(opts.dir, opts.revision)
  const f = opts.workingTree ? await new WorkingTreeReader(source.root).readFile(commit, 'kgit.yaml') : await source.readFile(commit, 'kgit.yaml')
  // An unreadable kgit.yaml is reported by the full load that follows.
  return !f || parseCluster('kgit.yaml', f.content.toString()).cluster?.authorization !== undefined
}
