import {spawn} from 'node:child_process'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {UsageError} from '../errors.js'
import type {CommitChanges, FileChange} from '../controllers/rollout-history.js'
import type {GitSource} from './git-source.js'

const MANIFEST_EXT = /\.(ya?ml|json)$/i
const ZERO = /^0+$/

export interface GitResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs git in `cwd`; never throws on a non-zero exit (callers decide what it means). */
export function git(cwd: string, args: string[], env?: Record<string, string>): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {cwd, stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, ...env}})
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.on('error', (e) => reject(new UsageError(`cannot run git: ${e.message}`, {cause: e})))
    child.on('close', (code) => resolve({code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8')}))
  })
}

async function gitOk(cwd: string, args: string[]): Promise<string> {
  const r = await git(cwd, args)
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`)
  return r.stdout
}

/**
 * The commits of `commit`'s first-parent line that changed manifest files under `paths`,
 * oldest first, with the new content of each changed file: one `git log` and one
 * `git cat-file --batch`, whatever the length of the history.
 */
export async function manifestLog(source: GitSource, commit: string, paths: string[]): Promise<CommitChanges[]> {
  // Settings that would change log's output are pinned; renames read as remove + add.
  const args = ['-c', 'log.showSignature=false', '-c', 'log.showRoot=true', 'log', '--first-parent', '--reverse', '--no-renames', '--no-color', '--raw', '--no-abbrev', '-z', '--format=%x1e%H%x1f%an%x1f%aI%x1f%s', commit, '--', ...paths]
  const records = parseLog(await gitOk(source.root, args))
  const oids = [...new Set(records.flatMap((r) => r.files.flatMap((f) => (f.oid ? [f.oid] : []))))]
  const blobs = await source.readBlobs(oids)
  const byOid = new Map(oids.map((o, i) => [o, blobs[i]]))
  return records.map((r) => ({commit: r.commit, files: r.files.map((f): FileChange => (f.oid ? {path: f.path, content: byOid.get(f.oid) ?? Buffer.alloc(0)} : {path: f.path}))}))
}

interface LogRecord {
  commit: CommitChanges['commit']
  files: {path: string; oid?: string}[]
}

/** `git log -z --raw` records: header NUL, then `:MODE MODE OLD NEW STATUS` NUL `PATH` NUL per file. */
export function parseLog(out: string): LogRecord[] {
  return out
    .split('\x1e')
    .filter((r) => r.length > 0)
    .map((rec) => {
      const [header = '', ...rest] = rec.split('\0')
      const [hash = '', author = '', date = '', subject = ''] = header.split('\x1f')
      const files: LogRecord['files'] = []
      for (let i = 0; i + 1 < rest.length; i += 2) {
        const m = /^\n?:(\d+) (\d+) ([0-9a-f]+) ([0-9a-f]+) (\w+)$/.exec(rest[i]!)
        const path = rest[i + 1]!
        if (!m || !MANIFEST_EXT.test(path)) continue
        const [, , mode, , oid] = m
        // Only regular files are manifests: symlinks and submodules are not read.
        files.push(ZERO.test(oid!) || !mode!.startsWith('100') ? {path} : {path, oid: oid!})
      }
      return {commit: {hash, author, date, subject}, files}
    })
}

/** The branch HEAD is on, or undefined when HEAD is detached. */
export async function currentBranch(root: string): Promise<string | undefined> {
  const r = await git(root, ['symbolic-ref', '-q', '--short', 'HEAD'])
  return r.code === 0 ? r.stdout.trim() : undefined
}

/** Whether `file` has staged or unstaged changes. */
export async function hasChanges(root: string, file: string): Promise<boolean> {
  return (await gitOk(root, ['status', '--porcelain', '--', file])).trim() !== ''
}

/** Which of user.name / user.email git would lack to make a commit. */
export async function missingIdentity(root: string): Promise<string[]> {
  const missing: string[] = []
  for (const [key, env] of [['user.name', 'NAME'], ['user.email', 'EMAIL']] as const) {
    if (process.env[`GIT_AUTHOR_${env}`] && process.env[`GIT_COMMITTER_${env}`]) continue
    if ((await git(root, ['config', key])).stdout.trim() === '') missing.push(key)
  }
  return missing
}

/**
 * What a command that commits `file` needs, checked before it writes anything: a branch
 * (not a detached HEAD), no uncommitted change to that file, and a git identity. Returns
 * the branch; `what` names the command in the errors ("rollout undo", "kgit cordon").
 */
export async function readyToCommit(root: string, file: string, what: string): Promise<string> {
  const branch = await currentBranch(root)
  if (!branch) throw new UsageError(`HEAD is detached in ${root}: ${what} commits on a branch (git switch BRANCH first)`)
  if (await hasChanges(root, file)) throw new UsageError(`${file} has uncommitted changes: commit or stash them first (${what} commits that file)`)
  const missing = await missingIdentity(root)
  if (missing.length > 0) throw new UsageError(`git does not know who you are (${missing.join(' and ')} not set), and ${what} makes a commit: run ${missing.map((k) => `git config --global ${k} ${k === 'user.name' ? '"Your Name"' : 'you@example.com'}`).join(' and ')}`)
  return branch
}

/**
 * Writes `text` to `file` and commits that file alone (other staged changes stay staged).
 * On failure the file gets its old text back. Returns the new commit.
 */
export async function commitFile(opts: {root: string; file: string; text: string; old: string; message: string}): Promise<string> {
  const full = join(opts.root, opts.file)
  await writeFile(full, opts.text)
  const r = await git(opts.root, ['commit', '-q', '--only', '-m', opts.message, '--', opts.file])
  if (r.code !== 0) {
    await writeFile(full, opts.old)
    throw new UsageError(`git commit failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}; ${opts.file} was left as it was`)
  }
  return (await gitOk(opts.root, ['rev-parse', 'HEAD'])).trim()
}

/** A unified diff of `file` from `before` to `after`, as `git diff` prints it. */
export async function diffText(file: string, before: string, after: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kgit-diff-'))
  try {
    for (const [side, text] of [['a', before], ['b', after]] as const) {
      await mkdir(dirname(join(dir, side, file)), {recursive: true})
      await writeFile(join(dir, side, file), text)
    }
    const r = await git(dir, ['diff', '--no-index', '--no-color', '--no-prefix', '--', `a/${file}`, `b/${file}`])
    if (r.code !== 0 && r.code !== 1) throw new Error(`git diff failed (exit ${r.code}): ${r.stderr.trim()}`)
    return r.stdout
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}
