import {readFile} from 'node:fs/promises'
import {userInfo} from 'node:os'
import {isAbsolute} from 'node:path'
import {parseAbacPolicies} from './admission/abac.js'
import {abacAuthorizer, alwaysAllow, alwaysDeny, privilegedGroup, rbacAuthorizer, webhookAuthorizer, type Authorizer} from './admission/authorizers.js'
import {DEFAULT_ADMISSION, type AdmissionConfig} from './admission/chain.js'
import {changeSet} from './admission/plugin.js'
import {rbacPolicy, type RbacPolicy} from './admission/rbac.js'
import {AdmissionError, ErrorList, ManifestError, UsageError} from './errors.js'
import {signatureFormat, verifyCommitSignature, verifyGpgCommitSignature} from './exec/commit-signature.js'
import {postJson} from './exec/https-post.js'
import {decryptSecrets} from './exec/secrets.js'
import {latestRecord} from './facts/node-record.js'
import {gateChange, type GateResult} from './gate.js'
import {DEFAULT_AUTHORIZATION, type AuthorizationSpec} from './identity/config.js'
import {parseAllowedSigners, parseUsersFile} from './identity/files.js'
import {PUSHER_KEY_ENV, resolveIdentity, type ResolvedIdentity} from './identity/resolve.js'
import {parseCluster} from './manifest/cluster.js'
import {loadRevision, type Loaded, type RevisionOptions} from './session.js'
import type {ClusterSpec, KObject, Observed} from './types.js'

/**
 * The gate's effects (gate.ts decides): which revision the cluster runs (the nodes'
 * records), its trusted configuration and files, who makes the change, and the
 * authorizers. ADR 0018: everything that decides who may do what comes from the running
 * revision, so a change cannot authorize itself; with no running revision (a first
 * apply) the new revision's kgit.yaml counts and RBAC has no bindings yet.
 */

/** `--as`, `--as-group`, and the pushing key (default: $KGIT_PUSHER_KEY). */
export interface IdentityFlags {
  as?: string
  asGroups?: string[]
  pusherKey?: string
}

/** The revision the cluster runs, as far as authorization is concerned. */
export interface Running {
  commit?: string
  /** Its kgit.yaml (the new revision's when nothing runs yet): whose authentication and authorization count. */
  cluster: ClusterSpec
  /** Reads a file of the trusted revision (relative paths) or of this machine (absolute ones). */
  readTrusted(path: string, field: string): Promise<string>
}

/** The commit the nodes' newest record names, if any. */
export function runningCommit(observed: Observed): string | undefined {
  return latestRecord(observed.nodes.map((n) => (n.reachable ? n.record : undefined)))?.commit
}

/** The running revision's kgit.yaml and a reader of its files; the new revision's when nothing runs. */
export async function runningConfig(loaded: Loaded, observed: Observed, opts: RevisionOptions): Promise<Running> {
  const commit = runningCommit(observed)
  // The running commit's own files, also when it is HEAD but the working tree is read: uncommitted edits are not trusted.
  const fromRepo = commit && (commit !== loaded.commit || opts.workingTree) ? commit : undefined
  const read = async (path: string, field: string): Promise<string> => {
    if (isAbsolute(path)) return readFile(path, 'utf8').catch((err: Error) => {
      throw new UsageError(`cannot read ${path} (kgit.yaml ${field}): ${err.message}`, {cause: err})
    })
    const f = fromRepo ? await loaded.source.readFile(fromRepo, path) : await loaded.reader.readFile(loaded.commit, path)
    if (!f) throw new UsageError(`${path} (kgit.yaml ${field}) is not in ${fromRepo ? `the revision the cluster runs, ${fromRepo.slice(0, 12)}` : `commit ${loaded.commit.slice(0, 12)}`}`)
    return f.content.toString()
  }
  if (!fromRepo || opts.clusterFile) return {...(commit ? {commit} : {}), cluster: loaded.desired.cluster, readTrusted: read}
  const file = await loaded.source.readFile(fromRepo, 'kgit.yaml').catch(() => undefined)
  if (!file) throw new UsageError(`the cluster runs commit ${fromRepo.slice(0, 12)} (the nodes' records), but its kgit.yaml cannot be read in ${loaded.source.root}: git fetch it, so its authorization applies`)
  const {cluster, errors} = parseCluster(`kgit.yaml (running revision ${fromRepo.slice(0, 12)})`, file.content.toString())
  if (!cluster) throw new ErrorList(errors)
  return {commit, cluster, readTrusted: read}
}

/** Whether the gate has anything to check: authorization other than AlwaysAllow (the running revision's), or admission plugins (the new revision's). */
export function gateNeeded(running: ClusterSpec, next: ClusterSpec): boolean {
  const modes = (running.authorization ?? DEFAULT_AUTHORIZATION).modes
  return modes.some((m) => m !== 'AlwaysAllow') || admissionConfig(next).plugins.length > 0
}

/**
 * The admission plugins the gate runs: the new revision's spec.admission (Kubernetes'
 * defaults when absent). Unlike authorization, admission follows the revision being
 * applied: a change of kgit.yaml is itself authorized first (`update clusters.kgit.dev`,
 * from the running revision), so only whoever may change the cluster's configuration can
 * loosen it, and a plugin turned on applies to the same change that turns it on.
 */
export function admissionConfig(cluster: ClusterSpec): AdmissionConfig {
  return cluster.admission ?? DEFAULT_ADMISSION
}

/** Who makes the change (docs/authorization.md): pushing key, --as, commit signature, local user. */
export async function identify(running: Running, flags: IdentityFlags, signed?: {root: string; commit: string}): Promise<ResolvedIdentity> {
  const auth = running.cluster.authentication
  const pusherKey = flags.pusherKey ?? process.env[PUSHER_KEY_ENV]
  const users = auth?.usersFile ? await readUsers(running, auth.usersFile) : undefined
  let signature
  if ((auth?.allowedSignersFile || auth?.gpgKeysFile) && signed && pusherKey === undefined && flags.as === undefined) {
    const format = await signatureFormat(signed.root, signed.commit)
    if (format === undefined) signature = {good: false, detail: 'the commit is not signed'}
    else if (format === 'ssh' && auth.allowedSignersFile) {
      const text = await running.readTrusted(auth.allowedSignersFile, 'spec.authentication.allowedSignersFile')
      const {errors} = parseAllowedSigners(auth.allowedSignersFile, text)
      if (errors.length > 0) throw new ErrorList(errors)
      signature = await verifyCommitSignature(signed.root, signed.commit, text)
    } else if (format === 'gpg' && auth.gpgKeysFile) {
      signature = await verifyGpgCommitSignature(signed.root, signed.commit, await running.readTrusted(auth.gpgKeysFile, 'spec.authentication.gpgKeysFile'), auth.gpgKeysFile)
    } else signature = {good: false, detail: format === 'ssh' ? 'the commit has an SSH signature, but kgit.yaml names no spec.authentication.allowedSignersFile' : 'the commit has a GPG signature, but kgit.yaml names no spec.authentication.gpgKeysFile'}
  }
  return resolveIdentity({...(auth ? {auth} : {}), ...(users ? {users} : {}), ...(pusherKey !== undefined ? {pusherKey} : {}), ...(flags.as !== undefined ? {as: flags.as} : {}), asGroups: flags.asGroups ?? [], localUser: process.env.USER || userInfo().username, ...(signature ? {signature} : {})})
}

async function readUsers(running: Running, file: string): Promise<{file: string; entries: ReadonlyMap<string, import('./identity/files.js').UserEntry>}> {
  const {users, errors} = parseUsersFile(file, await running.readTrusted(file, 'spec.authentication.usersFile'))
  if (errors.length > 0) throw new ErrorList(errors)
  return {file, entries: users}
}

/** The authorizer chain of spec.authorization; RBAC reads the running revision's Roles and bindings. */
export async function authorizers(running: Running, runningObjects: readonly KObject[]): Promise<{chain: Authorizer[]; rbac?: RbacPolicy}> {
  const spec: AuthorizationSpec = running.cluster.authorization ?? DEFAULT_AUTHORIZATION
  const chain: Authorizer[] = []
  let rbac: RbacPolicy | undefined
  for (const mode of spec.modes) {
    if (mode === 'AlwaysAllow') chain.push(alwaysAllow)
    else if (mode === 'AlwaysDeny') chain.push(alwaysDeny)
    else if (mode === 'RBAC') {
      rbac = rbacPolicy(runningObjects)
      // Kubernetes' apiserver puts the system:masters authorizer in front of RBAC.
      if (!chain.includes(privilegedGroup)) chain.unshift(privilegedGroup)
      chain.push(rbacAuthorizer(rbac))
    } else if (mode === 'ABAC') {
      const file = spec.abac!.policyFile
      const {policies, errors} = parseAbacPolicies(file, await running.readTrusted(file, 'spec.authorization.abac.policyFile'))
      if (errors.length > 0) throw new ErrorList(errors)
      chain.push(abacAuthorizer(policies, file))
    } else chain.push(webhookAuthorizer(spec.webhook!, postJson))
  }
  return {chain, ...(rbac ? {rbac} : {})}
}

/** The objects of the running revision: the new revision's own when it is the same commit, else read again (Secrets decrypted, to compare like with like). */
async function runningObjects(loaded: Loaded, running: Running, opts: RevisionOptions): Promise<KObject[] | undefined> {
  if (!running.commit) return undefined
  if (running.commit === loaded.commit && !opts.workingTree) return loaded.desired.objects
  let prev: Loaded
  try {
    prev = await loadRevision({dir: opts.dir, revision: running.commit, ...(opts.clusterFile ? {clusterFile: opts.clusterFile} : {})})
  } catch (err) {
    throw new UsageError(`the cluster runs commit ${running.commit.slice(0, 12)} (the nodes' records), which cannot be read here to compute the change: ${(err as Error).message}`, {cause: err})
  }
  if (prev.desired.objects.some((o) => o.kind === 'Secret')) await decryptSecrets(prev.desired.objects)
  return prev.desired.objects
}

/** kgit.yaml and the files its authentication and authorization name, as text: a difference is a change of the cluster. */
async function clusterText(read: (path: string) => Promise<string | undefined>, cluster: ClusterSpec): Promise<string> {
  const a = cluster.authentication
  const files = [a?.allowedSignersFile, a?.gpgKeysFile, a?.usersFile, cluster.authorization?.abac?.policyFile].filter((p): p is string => p !== undefined && !isAbsolute(p))
  return JSON.stringify(await Promise.all(['kgit.yaml', ...files].map(async (p) => [p, (await read(p)) ?? null])))
}

/** Who makes a change that changes nothing, when no identity can be found. */
const NOBODY: ResolvedIdentity = {user: 'system:anonymous', groups: ['system:unauthenticated'], method: 'none needed: the revision changes nothing the cluster runs'}

export interface GateRunOptions extends RevisionOptions {
  identity?: IdentityFlags
  /** Check even when nothing is configured (reconcile-check lists every change). */
  always?: boolean
}

/**
 * The whole gate for a loaded revision and the observed nodes: undefined when nothing is
 * configured to check (AlwaysAllow and no admission plugins: today's behaviour).
 */
export async function gateRevision(loaded: Loaded, observed: Observed, opts: GateRunOptions): Promise<(GateResult & {identity: ResolvedIdentity; running: Running}) | undefined> {
  const running = await runningConfig(loaded, observed, opts)
  if (!opts.always && !gateNeeded(running.cluster, loaded.desired.cluster)) return undefined
  const previous = await runningObjects(loaded, running, opts)
  const {chain, rbac} = await authorizers(running, previous ?? [])
  let clusterChanged: {name: string; pos: {file: string; line: number}} | undefined
  if (running.commit && (running.commit !== loaded.commit || opts.workingTree) && !opts.clusterFile) {
    const at = (commit: string) => async (p: string) => (await loaded.source.readFile(commit, p))?.content.toString()
    const now = opts.workingTree ? async (p: string) => (await loaded.reader.readFile(loaded.commit, p))?.content.toString() : at(loaded.commit)
    if ((await clusterText(at(running.commit), running.cluster)) !== (await clusterText(now, loaded.desired.cluster))) clusterChanged = {name: loaded.desired.cluster.name, pos: {file: 'kgit.yaml', line: 1}}
  }
  const signed = opts.workingTree ? undefined : {root: loaded.source.root, commit: loaded.commit}
  const identity = await identify(running, opts.identity ?? {}, signed).catch((err: unknown) => {
    // Re-applying what runs (a reconcile healing drift) changes nothing to authorize: no identity needed.
    if (!clusterChanged && changeSet(previous, loaded.desired.objects).length === 0) return NOBODY
    throw err
  })
  const result = await gateChange({
    desired: loaded.desired, ...(previous ? {previous} : {}), ...(running.commit ? {previousCommit: running.commit} : {}),
    identity, authorizers: chain, ...(rbac ? {escalationPolicy: rbac} : {}), ...(clusterChanged ? {clusterChanged} : {}),
    admission: admissionConfig(loaded.desired.cluster),
  })
  return {...result, identity, running}
}

/** The gate as apply and plan run it: every refusal together, with who asked; nothing is touched. */
export async function enforceGate(loaded: Loaded, observed: Observed, opts: GateRunOptions): Promise<void> {
  const r = await gateRevision(loaded, observed, opts)
  if (!r || r.refusals.length === 0) return
  const who = `user "${r.identity.user}" (groups ${r.identity.groups.join(', ') || 'none'}; ${r.identity.method})`
  throw new ErrorList([...r.refusals.map((f) => (f.placed ? new AdmissionError(f.pos, f.message) : new ManifestError(f.pos, f.message))), new UsageError(`the change is refused for ${who}: nothing was applied on any node`)])
}
