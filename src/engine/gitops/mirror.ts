import {createHash} from 'node:crypto'
import {mkdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'
import {simpleGit} from 'simple-git'
import {UsageError} from '../errors.js'

/** Where `kgit reconcile` takes desired state from when it fetches: a remote branch. */
export interface RemoteSpec {
  /** A URL (ssh://, https://, git@host:path, a path) or the name of a remote of the repository in `dir`. */
  remote: string
  branch: string
  /** The local bare mirror; default: under the cache dir, named after the URL. */
  mirror?: string
  /** The repository whose remotes a name refers to (-C). */
  dir: string
}

export interface Fetched {
  mirror: string
  url: string
  /** The branch's commit after the fetch. */
  commit: string
  /** Its commit before the fetch (undefined on the first fetch). */
  before?: string
}

/** A fetch that failed: `kgit reconcile` exits with its own code and changes nothing. */
export class FetchError extends Error {}

/** Another run is fetching into the same mirror (two cron runs at once): this one skips, as with the cluster lock. */
export class MirrorBusyError extends Error {}

/** A fetch lock older than this is from a run that died. */
const STALE_FETCH_MS = 600_000

/**
 * Runs `fn` holding the mirror's fetch lock (a file made with O_EXCL): two runs fetching
 * into one mirror at once would fail on git's ref locks, or apply in turn.
 */
async function withFetchLock<T>(mirror: string, fn: () => Promise<T>): Promise<T> {
  const file = join(mirror, 'kgit-fetch.lock')
  const mine = `${process.pid} ${Date.now()}`
  try {
    await writeFile(file, mine, {flag: 'wx'})
  } catch {
    const [pid, at] = (await readFile(file, 'utf8').catch(() => '0 0')).split(' ')
    if (Date.now() - Number(at) < STALE_FETCH_MS) throw new MirrorBusyError(`another run (pid ${pid}) is fetching into ${mirror}`)
    await rm(file, {force: true})
    await writeFile(file, mine, {flag: 'wx'}).catch(() => {
      throw new MirrorBusyError(`another run is fetching into ${mirror}`)
    })
  }
  try {
    return await fn()
  } finally {
    if ((await readFile(file, 'utf8').catch(() => '')) === mine) await rm(file, {force: true})
  }
}

/** The default mirror for a URL: $KGIT_CACHE_DIR/mirrors/<hash>.git (XDG cache otherwise). */
export function defaultMirror(url: string): string {
  const base = process.env.KGIT_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kgit')
  return join(base, 'mirrors', `${createHash('sha256').update(url).digest('hex').slice(0, 16)}.git`)
}

/** A remote's name in `dir` resolved to its URL; anything else is taken as a URL or path. */
async function remoteUrl(spec: RemoteSpec): Promise<string> {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(spec.remote) && !(await stat(resolve(spec.dir, spec.remote)).catch(() => undefined))) {
    const url = await simpleGit({baseDir: spec.dir}).remote(['get-url', spec.remote]).catch(() => undefined)
    if (!url) throw new UsageError(`--remote ${spec.remote}: not a remote of the repository in ${spec.dir} (git remote -v lists them), and not a URL`)
    return url.trim()
  }
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(spec.remote) || /^[^/]+@[^/:]+:/.test(spec.remote) || isAbsolute(spec.remote) ? spec.remote : resolve(spec.dir, spec.remote)
}

/**
 * Fetches the branch into a bare mirror (made on first use), one git process when the
 * mirror exists. The mirror's refs/heads/BRANCH is what reconcile applies.
 */
export async function fetchMirror(spec: RemoteSpec): Promise<Fetched> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(spec.branch) || spec.branch.includes('..')) throw new UsageError(`--branch ${spec.branch}: not a branch name`)
  const url = await remoteUrl(spec)
  const mirror = spec.mirror ? resolve(spec.dir, spec.mirror) : defaultMirror(url)
  const ref = `refs/heads/${spec.branch}`
  await mkdir(mirror, {recursive: true})
  // Made under the fetch lock: two first runs at once would both `git init` it (and one fail on git's config lock).
  return withFetchLock(mirror, async () => {
    if (!(await stat(join(mirror, 'HEAD')).catch(() => undefined))) await simpleGit({baseDir: mirror}).init(true)
    return fetchLocked(mirror, url, ref, spec.branch)
  })
}

async function fetchLocked(mirror: string, url: string, ref: string, branch: string): Promise<Fetched> {
  const git = simpleGit({baseDir: mirror})
  const before = (await git.raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => '')).trim() || undefined
  try {
    // A forced update: the remote is the truth, a rewritten branch is followed.
    await git.raw(['fetch', '--quiet', '--no-tags', '--', url, `+${ref}:${ref}`])
  } catch (err) {
    throw new FetchError(`cannot fetch ${branch} from ${url} into ${mirror}: ${(err as Error).message.trim().split('\n').slice(-2).join(' ')}`, {cause: err})
  }
  const commit = (await git.raw(['rev-parse', '--verify', `${ref}^{commit}`])).trim()
  return {mirror, url, commit, ...(before ? {before} : {})}
}
