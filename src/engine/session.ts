import {ErrorList, ManifestError, UsageError} from './errors.js'
import {applyActions, type ApplyEvent, type ApplyResult, type NodeHandle} from './exec/apply.js'
import {latestRecord} from './facts/node-record.js'
import {nextRecord, staleRecords, type CommitInfo} from './plan/records.js'
import {recordWrite} from './argv/records.js'
import {hostname, userInfo} from 'node:os'
import {expandHome, preloadSsh, sshConnector, type Connections, type Connector} from './exec/connect.js'
import {GitSource, type TreeReader} from './exec/git-source.js'
import {WorkingTreeReader} from './exec/working-tree.js'
import {SchemaCache} from './exec/schema-cache.js'
import {isStale, lockedError, lockedNodes, newClaim, onEachNode, releaseClaim, type Claim, type LockOptions} from './exec/cluster-lock.js'
import {describeHolder, lock, parseHolder} from './argv/lock.js'
import {observeNode} from './exec/observe.js'
import {decryptSecrets} from './exec/secrets.js'
import {parseCluster} from './manifest/cluster.js'
import {loadDesired, type SourceFile} from './manifest/load.js'
import {plan, planActions, type Action, type Plan} from './plan/plan.js'
import {cronMarks, isJobAction, jobMarks, jobsWaiting, unrecordedCronJobs, unrecordedJobs} from './plan/jobs.js'
import {checkPlanQuotas, planQuotaChange} from './admission/quota.js'
import {admit as admitChange, denialErrors, enabled, mutate} from './admission/chain.js'
import {changeSet} from './admission/plugin.js'
import {enforceGate, runningCommit, type IdentityFlags} from './gate-run.js'
import type {ClusterSpec, Desired, NodeObservation, NodeRecord, NodeSpec, Observed} from './types.js'
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
  /**
   * Run the admission checks (ResourceQuota) and refuse what they refuse, before any node
   * is touched: the revision's end state when it is read, and the plan once nodes are observed.
   */
  admission?: boolean
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
  await admitRevision(desired, opts.admission === true)
  return {desired, source, reader, commit, warnings, uncommitted, knownHosts: extra[0]?.content.toString()}
}

/**
 * The admission chain (kgit.yaml spec.admission) on a revision read alone: every object
 * counts as created, by the local user. The mutating plugins run on every read (kgit keeps
 * no mutated copy, so plan and apply must see the same objects); the validating ones, and
 * the denials, only when the revision is validated alone (`kgit validate`: no node is
 * asked which revision runs, so every object counts as created). plan, diff and apply run
 * the validating plugins in the gate instead (gate-run.ts), on the real change.
 */
async function admitRevision(desired: Desired, validate: boolean): Promise<void> {
  const req = {desired, changes: changeSet(undefined, desired.objects), previous: [], user: {user: userInfo().username, groups: [], method: 'local user'}, authorize: () => true}
  const denials = validate ? await admitChange(req, desired.cluster.admission) : await mutate(req, desired.cluster.admission)
  if (validate && denials.length > 0) throw new ErrorList(denialErrors(denials))
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
  /** The commit's author and subject (runs that may write the nodes' records). */
  commitInfo?: CommitInfo
}

export interface SessionOptions extends RevisionOptions {
  connector?: Connector
  /** Take the cluster lock (apply): observe and lock in one round trip per node. */
  lock?: LockOptions
  /** The run streams (logs -f, exec -i): direct connections, not a connection keeper. */
  stream?: boolean
  /** Who makes the change (--as, --as-group); with `admission`, the change is authorized for them (gate.ts). */
  identity?: IdentityFlags
}

/** Load, connect, observe every node in one round trip, and plan. */
export async function planRevision<T>(opts: SessionOptions, then?: (run: PlanRun, conns: Connections) => Promise<T>): Promise<{run: PlanRun; result?: T}> {
  if (!opts.connector) void preloadSsh()
  // Only the mutating admission plugins here: the validating ones run in the gate, on the
  // change from the revision the cluster runs, for whoever makes it (gate-run.ts).
  const loaded = await loadRevision({...opts, admission: false})
  // Secrets are decrypted in memory before any node is touched: a missing or wrong key stops here.
  await decryptSecrets(loaded.desired.objects)
  const connect = opts.connector ?? sshConnector(loaded.reader, loaded.commit, loaded.knownHosts)
  const cluster = loaded.desired.cluster
  const conns = await connect(cluster)
  const claim = opts.lock ? newClaim(cluster, loaded.desired.revision, opts.lock.command) : undefined
  try {
    // Optimistic: a run with nothing to do needs no lock (it changes nothing), so a no-op
    // costs one round trip per node. Only a run that will act takes the lock and reads again.
    let observed = await observeAll(cluster, conns)
    // Authorization and admission of the change, before the lock is taken or anything is done (issue 9).
    if (opts.admission) await enforceGate(loaded, observed, opts)
    let planned = plan(loaded.desired, observed)
    // Records are kept for commits only, not for working-tree experiments.
    const info = claim && !loaded.desired.revision.includes('+') ? await commitInfo(loaded) : undefined
    if (claim && !cluster.suspend && (planActions(planned).length > 0 || planned.waiting.length > 0 || jobsWaiting(planned).length > 0 || (info && staleRecords(observed, recordFor(info, observed, cluster.nodes, planned)).length > 0))) {
      const before = runningCommit(observed)
      observed = await observeLocked(cluster, conns, claim, opts.lock!)
      // Another run applied a revision meanwhile: its policy is the one that counts now.
      if (opts.admission && runningCommit(observed) !== before) await enforceGate(loaded, observed, opts)
      planned = plan(loaded.desired, observed)
    }
    if (opts.admission) admit(loaded.desired, planned, observed, (errors) => {
      throw new ErrorList(errors)
    })
    const run: PlanRun = {...loaded, observed, plan: planned, ...(info ? {commitInfo: info} : {})}
    return {run, result: then ? await then(run, conns) : undefined}
  } finally {
    if (claim?.taken) await releaseClaim(cluster, conns, claim.token)
    await conns.close()
  }
}

/** ResourceQuota on a plan step: `refuse` gets every violation, and nothing of the step is done. */
function admit(desired: Desired, p: Plan, observed: Observed, refuse: (errors: Error[]) => void): void {
  if (!enabled(desired.cluster.admission, 'ResourceQuota') || !desired.objects.some((o) => o.kind === 'ResourceQuota')) return
  const errors = checkPlanQuotas(desired.objects, planQuotaChange(p, observed))
  if (errors.length > 0) refuse(errors)
}

/** Observes every node again and plans, on connections a run already holds (watching a rollout). */
export async function replan(run: PlanRun, conns: Connections): Promise<{plan: Plan; observed: Observed}> {
  const observed = await observeAll(run.desired.cluster, conns)
  return {plan: plan(run.desired, observed), observed}
}

async function commitInfo(loaded: Loaded): Promise<CommitInfo> {
  const {author, subject} = await loaded.source.commitInfo(loaded.commit)
  return {revision: loaded.desired.revision, author, subject}
}

function recordFor(info: CommitInfo, observed: Observed, nodes: readonly NodeSpec[], p: Plan): NodeRecord {
  const prev = latestRecord(observed.nodes.map((n) => (n.reachable ? n.record : undefined)))
  return nextRecord(prev, observed, info, {now: new Date(observed.at ?? Date.now()).toISOString(), by: `${userInfo().username}@${hostname()}`, nodes, jobs: jobMarks(p), cronJobs: cronMarks(p), podCIDRs: p.network.slices, clusterIPs: Object.fromEntries(p.network.services.clusterIPs), nodePorts: Object.fromEntries(p.network.services.nodePorts)})
}

export interface ApplyHooks {
  onEvent: (e: ApplyEvent) => void
  /** Called once with the first plan, before anything is done. */
  beforeApply?: (run: PlanRun) => void | Promise<void>
  /** Called when a step is done and the rollouts wait for pods to become available. */
  onWait?: (p: Plan) => void
  /**
   * How often to look again while rollouts wait (ms): by default 1 s after a step, then
   * every 2 s while nothing changes (each look is a round trip to every node, ~0.1 s of a
   * node's CPU: a fleet should not pay that every second for a rollout that waits).
   */
  pollMs?: number
  /** How long to wait for running Jobs to finish (ms; default 5 minutes; 0: start their pods and return). */
  jobWaitMs?: number
}

/** How long apply waits for Jobs by default. */
export const DEFAULT_JOB_WAIT_MS = 300_000

/**
 * Plan, carry the plan out, and go on step by step until the nodes match git: each
 * step observes again (the lock stays held) and plans the next actions, so rolling
 * updates advance as pods become available. Stops when nothing is left to do, when an
 * action fails, or when every waiting rollout passed its progress deadline. Then the
 * nodes' records are brought up to date.
 */
export async function applyRevision(opts: SessionOptions, hooks: ApplyHooks): Promise<{run: PlanRun; result: ApplyResult; final: Plan}> {
  let final: Plan | undefined
  const {run, result} = await planRevision({...opts, admission: true}, async (r, conns) => {
    await hooks.beforeApply?.(r)
    // spec.suspend: nothing is changed, not even the records (they would claim the commit runs).
    if (r.desired.cluster.suspend) return {done: [], failed: []}
    const handles = new Map<string, NodeHandle>()
    for (const n of r.desired.cluster.nodes) {
      const c = await conns.nodes.get(n.name)
      if (c && 'transport' in c) handles.set(n.name, {transport: c.transport, dataDir: n.dataDir})
    }
    const total: ApplyResult = {done: [], failed: []}
    let current = r.plan
    let observed = r.observed
    // Pods this run started: one that needs replacing again right away fails as it starts
    // (a crash loop); it is reported, not replaced again and again.
    const started = new Set<string>()
    const synced = new Set<string>()
    const waitFrom = Date.now()
    // Looks in a row that found nothing to do: the first comes after 1 s, the next ones after 2 s.
    let idle = 0
    for (;;) {
      // A pod this run started that the next step would replace or remove: it fails as it
      // starts, or what the node shows is not what kgit made. Report it, never churn.
      const again = current.actions.filter((a): a is Extract<Action, {type: 'replace' | 'delete'}> => (a.type === 'replace' || a.type === 'delete') && started.has(podKey(a.node, a.old)) && !isJobAction(a))
      for (const a of again) total.failed.push({action: a, error: new Error(`pod ${a.old.namespace}/${a.old.name} on node ${a.node}, started by this run, would be ${a.type === 'delete' ? 'removed' : 'replaced'} again (${a.reason}); see: kgit describe pod ${a.old.name} -n ${a.old.namespace}`)})
      // The same network state written twice in one run: the node does not keep it. Report it, never loop.
      const resync = current.network.syncs.filter((s) => synced.has(`${s.node} ${s.hash}`))
      for (const s of resync) total.failed.push({action: s, error: new Error(`node ${s.node} does not keep the network state kgit wrote in this run (${s.reason}); see: kgit plan, and iptables-save on the node`)})
      if (again.length > 0 || resync.length > 0) break
      for (const s of current.network.syncs) synced.add(`${s.node} ${s.hash}`)
      for (const a of current.actions) if (a.type === 'create' || a.type === 'replace') started.add(podKey(a.node, a.pod))
      // A Job's end is recorded before its pods are touched: a finished run never starts again (ADR 0010).
      // So is a CronJob's new schedule, before its child's pods are made (ADR 0012).
      const prev = latestRecord(observed.nodes.map((n) => (n.reachable ? n.record : undefined)))
      const record = r.commitInfo && (unrecordedJobs(current, prev).length > 0 || unrecordedCronJobs(current, prev).length > 0)
      if (r.commitInfo && record) {
        await writeRecords(r.desired.cluster, conns, observed, recordFor(r.commitInfo, observed, r.desired.cluster.nodes, current))
      }
      const jobWait = Date.now() - waitFrom < (hooks.jobWaitMs ?? DEFAULT_JOB_WAIT_MS) && jobsWaiting(current).length > 0
      if (planActions(current).length > 0) {
        idle = 0
        const res = await applyActions(planActions(current), handles, hooks.onEvent)
        total.done.push(...res.done)
        total.failed.push(...res.failed)
        if (res.failed.length > 0) break
      } else if (current.waiting.length === 0 && !jobWait && !record) break
      else {
        hooks.onWait?.(current)
        await new Promise((ok) => setTimeout(ok, hooks.pollMs ?? (idle++ === 0 ? 1000 : 2000)))
      }
      observed = await observeAll(r.desired.cluster, conns)
      current = plan(r.desired, observed)
      // A later step (a rollout's next pods) may not fit the quota: it is refused, as Kubernetes refuses the pod.
      let refused = false
      admit(r.desired, current, observed, (errors) => {
        const first = current.actions.find((a) => a.type === 'create' || a.type === 'replace')!
        for (const error of errors) total.failed.push({action: first, error})
        refused = true
      })
      if (refused) break
    }
    final = current
    if (r.commitInfo) await writeRecords(r.desired.cluster, conns, observed, recordFor(r.commitInfo, observed, r.desired.cluster.nodes, current))
    return total
  })
  return {run, result: result!, final: final ?? run.plan}
}

function podKey(node: string, p: {namespace: string; name: string}): string {
  return `${node}/${p.namespace}/${p.name}`
}

/** record.json on every reachable node whose copy differs (through stdin: it can be large). */
async function writeRecords(cluster: ClusterSpec, conns: Connections, observed: Observed, record: NodeRecord): Promise<void> {
  const stale = new Map(staleRecords(observed, record).map((s) => [s.node, s.record]))
  await Promise.all(
    cluster.nodes
      .filter((n) => stale.has(n.name))
      .map(async (n) => {
        const c = await conns.nodes.get(n.name)
        if (c && 'transport' in c) await c.transport.exec([recordWrite(n.dataDir)], {stdin: JSON.stringify(stale.get(n.name)), timeoutMs: 30_000}).catch(() => undefined)
      }),
  )
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
  const conns = await (opts.connector ?? sshConnector(reader, commit, undefined, {persist: !opts.stream}))(cluster)
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
  return withClusterFile(opts, async (cluster, conns, commit) => ({observed: await observeAll(cluster, conns), cluster, commit}))
}

/** Every node in one round trip each, in parallel; a node that fails is recorded, not fatal. */
export async function observeAll(cluster: ClusterSpec, conns: Connections, claim?: Claim): Promise<Observed> {
  const nodes = await observeNodes(cluster, conns, claim)
  return {nodes, at: Date.now()}
}

function observeNodes(cluster: ClusterSpec, conns: Connections, claim?: Claim): Promise<NodeObservation[]> {
  return Promise.all(
    cluster.nodes.map(async (n): Promise<NodeObservation> => {
      const c = await conns.nodes.get(n.name)
      if (!c) return {node: n.name, reachable: false, reason: 'not connected'}
      return 'transport' in c ? observeNode(c.transport, n.dataDir, claim?.requestFor(n.name)) : {node: n.name, reachable: false, reason: c.unreachable}
    }),
  )
}

/**
 * Observes with the lock taken on every node. Another run's lock: give back what we
 * took, then wait (up to the timeout) or fail naming the holder. A lock whose holder
 * process on this machine is gone is broken, with a note.
 */
async function observeLocked(cluster: ClusterSpec, conns: Connections, claim: Claim, opts: LockOptions): Promise<Observed> {
  const deadline = Date.now() + opts.timeoutMs
  let told = false
  for (;;) {
    claim.taken = true
    const obs = await observeAll(cluster, conns, claim)
    const locked = lockedNodes(obs.nodes)
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
