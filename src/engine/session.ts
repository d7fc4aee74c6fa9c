import {ErrorList, ManifestError, UsageError} from './errors.js'
import type {Transport} from './exec/transport.js'
import {applyActions, type ApplyEvent, type ApplyResult} from './exec/apply.js'
import {expandHome, preloadSsh, sshConnector, type Connections, type Connector} from './exec/connect.js'
import {GitSource, type TreeReader} from './exec/git-source.js'
import {WorkingTreeReader} from './exec/working-tree.js'
import {SchemaCache} from './exec/schema-cache.js'
import {isStale, lockedError, lockedNodes, newClaim, onEachNode, releaseClaim, type Claim, type LockOptions} from './exec/cluster-lock.js'
import {describeHolder, lock, parseHolder} from './argv/lock.js'
import {observeNode} from './exec/observe.js'
import {parseCluster} from './manifest/cluster.js'
import {loadDesired, type SourceFile} from './manifest/load.js'
import {plan, type Plan} from './plan/plan.js'
import type {ClusterSpec, Desired, NodeObservation, Observed} from './types.js'
import {readFile} from 'node:fs/promises'
import {isAbsolute, relative, resolve} from 'node:path'

export interface RevisionOptions {
  /** Repository directory (any folder inside it). */
  dir: string
  revision: string
  /** A cluster file on disk that replaces kgit.yaml from the revision. */
  clusterFile?: string
  /** Read the working tree, uncommitted edits included, instead of the revision (local experiments). */
  workingTree?: boolean
  /** Only these files or folders (paths on disk) instead of spec.manifests. */
  paths?: string[]
}

export interface Loaded {
  desired: Desired
  source: GitSource
  reader: TreeReader
  commit: string
  warnings: string[]
  uncommitted: string[]
  /** Text of the pinned known_hosts file when it lives in the revision. */
  knownHosts?: string
}

/** Reads and validates a revision. Throws ErrorList with every problem; touches no node. */
export async function loadRevision(opts: RevisionOptions): Promise<Loaded> {
  const {source, reader, commit} = await openReader(opts)
  const clusterFile = await readClusterFile(reader, commit, opts.clusterFile)
  const {cluster} = parseCluster(clusterFile.path, clusterFile.content.toString())
  const manifests = opts.paths?.length ? inRepo(source.root, opts.dir, opts.paths) : (cluster?.manifests ?? ['manifests'])
  // known_hosts comes from the same commit; read it with the manifests, in one git process.
  const kh = cluster && !isAbsolute(expandHome(cluster.ssh.knownHostsFile)) ? [cluster.ssh.knownHostsFile] : []
  const [{files, extra, missing}, uncommitted] = await Promise.all([reader.readManifests(commit, manifests, kh), opts.clusterFile || opts.workingTree ? [] : source.uncommitted(['kgit.yaml', ...manifests])])
  if (missing.length > 0) throw new ErrorList(missing.map((m) => missingPath(m, opts, cluster?.manifests ?? [], commit)))
  const cache = await SchemaCache.open()
  const {files: marked, keys} = cache.mark(files)
  // The Kubernetes schemas cost ~0.3 s to load: only when some file was not seen before.
  const schema = marked.every((f) => f.schemaChecked) ? undefined : await import('./manifest/schema.js')
  const {desired, errors, warnings, schemaClean} = loadDesired({revision: opts.workingTree ? `${commit}+working-tree` : commit, clusterFile, files: marked, schema})
  await cache.remember(schemaClean.map((p) => keys.get(p)!))
  if (!desired) throw new ErrorList(errors)
  return {desired, source, reader, commit, warnings, uncommitted, knownHosts: extra[0]?.content.toString()}
}

/**
 * A manifest path that names nothing is an error, never "no objects": read as empty, a
 * typo in spec.manifests would make apply remove every pod.
 */
function missingPath(path: string, opts: RevisionOptions, fromCluster: string[], commit: string): Error {
  const where = opts.workingTree ? 'the working tree' : `commit ${commit.slice(0, 12)}`
  const i = fromCluster.indexOf(path)
  if (!opts.paths?.length && i >= 0) return new ManifestError({file: opts.clusterFile ?? 'kgit.yaml', path: `spec.manifests[${i}]`}, `"${path}" is not in ${where} (no such file or folder; keep an empty folder with a .gitkeep to mean "no objects")`)
  return new UsageError(`${path} is not in ${where}`)
}

/** Paths given on the command line, as paths inside the repository. */
function inRepo(root: string, base: string, paths: string[]): string[] {
  return paths.map((p) => {
    const rel = relative(root, resolve(base, p))
    if (rel.startsWith('..') || isAbsolute(rel)) throw new UsageError(`${p} is not inside the repository ${root}`)
    return rel === '' ? '.' : rel
  })
}

async function readClusterFile(source: TreeReader, commit: string, override?: string): Promise<SourceFile> {
  if (override) {
    const content = await readFile(override).catch((err: Error) => {
      throw new UsageError(`cannot read cluster file ${override}: ${err.message}`, {cause: err})
    })
    return {path: override, content}
  }
  const f = await source.readFile(commit, 'kgit.yaml')
  if (!f) throw new UsageError(`kgit.yaml is not in commit ${commit.slice(0, 12)} at the top of ${source.root} (kgit lab up or kgit init write one; or pass --cluster FILE)`)
  return f
}

export interface PlanRun extends Loaded {
  plan: Plan
  observed: Observed
}

export interface SessionOptions extends RevisionOptions {
  connector?: Connector
  /** Take the cluster lock (apply): observe and lock in one round trip per node. */
  lock?: LockOptions
}

/** Load, connect, observe every node in one round trip, and plan. */
export async function planRevision<T>(opts: SessionOptions, then?: (run: PlanRun, conns: Connections) => Promise<T>): Promise<{run: PlanRun; result?: T}> {
  if (!opts.connector) void preloadSsh()
  const loaded = await loadRevision(opts)
  const connect = opts.connector ?? sshConnector(loaded.reader, loaded.commit, loaded.knownHosts)
  const cluster = loaded.desired.cluster
  const conns = await connect(cluster)
  const claim = opts.lock ? newClaim(cluster, loaded.desired.revision, opts.lock.command) : undefined
  try {
    // Optimistic: a run with nothing to do needs no lock (it changes nothing), so a no-op
    // costs one round trip per node. Only a run that will act takes the lock and reads again.
    let observed: Observed = {nodes: await observeAll(cluster, conns)}
    let planned = plan(loaded.desired, observed)
    if (claim && planned.actions.length > 0) {
      observed = {nodes: await observeLocked(cluster, conns, claim, opts.lock!)}
      planned = plan(loaded.desired, observed)
    }
    const run: PlanRun = {...loaded, observed, plan: planned}
    return {run, result: then ? await then(run, conns) : undefined}
  } finally {
    if (claim?.taken) await releaseClaim(cluster, conns, claim.token)
    await conns.close()
  }
}

/** Plan, then carry the plan out. */
export async function applyRevision(opts: SessionOptions, onEvent: (e: ApplyEvent) => void, beforeApply?: (run: PlanRun) => void | Promise<void>): Promise<{run: PlanRun; result: ApplyResult}> {
  const {run, result} = await planRevision(opts, async (r, conns) => {
    await beforeApply?.(r)
    const transports = new Map<string, Transport>()
    for (const [node, p] of conns.nodes) {
      const c = await p
      if ('transport' in c) transports.set(node, c.transport)
    }
    return applyActions(r.plan.actions, transports, onEvent)
  })
  return {run, result: result!}
}

/**
 * Connects to the nodes of the revision's cluster file alone (manifests are not read),
 * runs `fn`, and closes the connections.
 */
export async function withClusterFile<T>(opts: SessionOptions, fn: (cluster: ClusterSpec, conns: Connections, commit: string) => Promise<T>): Promise<T> {
  if (!opts.connector) void preloadSsh()
  const {reader, commit} = await openReader(opts)
  const clusterFile = await readClusterFile(reader, commit, opts.clusterFile)
  const {cluster, errors} = parseCluster(clusterFile.path, clusterFile.content.toString())
  if (!cluster) throw new ErrorList(errors)
  const conns = await (opts.connector ?? sshConnector(reader, commit))(cluster)
  try {
    return await fn(cluster, conns, commit)
  } finally {
    await conns.close()
  }
}

/** The repository at a revision, or its working tree with --working-tree. */
async function openReader(opts: RevisionOptions): Promise<{source: GitSource; reader: TreeReader; commit: string}> {
  const {source, commit} = await GitSource.openAt(opts.dir, opts.revision)
  return {source, commit, reader: opts.workingTree ? new WorkingTreeReader(source.root) : source}
}

/** Live pods, read from every node; needs only the cluster file of the revision. */
export function observeCluster(opts: SessionOptions): Promise<{observed: Observed; cluster: ClusterSpec; commit: string}> {
  return withClusterFile(opts, async (cluster, conns, commit) => ({observed: {nodes: await observeAll(cluster, conns)}, cluster, commit}))
}

function observeAll(cluster: ClusterSpec, conns: Connections, claim?: Claim): Promise<NodeObservation[]> {
  return Promise.all(
    cluster.nodes.map(async (n): Promise<NodeObservation> => {
      const c = await conns.nodes.get(n.name)
      if (!c) return {node: n.name, reachable: false, reason: 'not connected'}
      return 'transport' in c ? observeNode(c.transport, claim?.requestFor(n.name)) : {node: n.name, reachable: false, reason: c.unreachable}
    }),
  )
}

/**
 * Observes with the lock taken on every node. Another run's lock: give back what we
 * took, then wait (up to the timeout) or fail naming the holder. A lock whose holder
 * process on this machine is gone is broken, with a note.
 */
async function observeLocked(cluster: ClusterSpec, conns: Connections, claim: Claim, opts: LockOptions): Promise<NodeObservation[]> {
  const deadline = Date.now() + opts.timeoutMs
  let told = false
  for (;;) {
    claim.taken = true
    const obs = await observeAll(cluster, conns, claim)
    const locked = lockedNodes(obs)
    if (locked.length === 0) return obs
    await releaseClaim(cluster, conns, claim.token)
    const stale = locked.filter((l) => isStale(l.holder))
    if (stale.length === locked.length) {
      opts.onNote?.(`breaking a lock left by ${describeHolder(stale[0]!.holder)}: that process is gone`)
      const dirs = new Set(stale.map((l) => l.node))
      await onEachNode({...cluster, nodes: cluster.nodes.filter((n) => dirs.has(n.name))}, conns, (dir) => lock.break(dir))
      continue
    }
    if (Date.now() >= deadline) throw lockedError(locked, opts.timeoutMs)
    if (!told) opts.onNote?.(`waiting for the cluster lock held by ${describeHolder(locked[0]!.holder)}...`)
    told = true
    await new Promise((r) => setTimeout(r, 500 + Math.random() * 1000))
  }
}

/** Removes the cluster lock on every reachable node; returns who held it, per node. */
export function unlockCluster(opts: SessionOptions): Promise<{node: string; holder: string}[]> {
  return withClusterFile(opts, async (cluster, conns) => {
    const held = await onEachNode(cluster, conns, (dir) => lock.break(dir))
    return [...held].filter(([, h]) => h.trim() !== '').map(([node, h]) => ({node, holder: describeHolder(parseHolder(h))}))
  })
}
