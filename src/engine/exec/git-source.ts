import {spawn} from 'node:child_process'
import {simpleGit, type SimpleGit} from 'simple-git'
import {UsageError} from '../errors.js'
import type {SourceFile} from '../manifest/load.js'

const MANIFEST_EXT = /\.(ya?ml|json)$/i

/** Reads the files of one tree: a commit, or (for experiments) the working tree. */
export interface TreeReader {
  /** The repository's top directory. */
  readonly root: string
  readFile(commit: string, path: string): Promise<SourceFile | undefined>
  /** `missing`: requested paths that name nothing in the tree (a typo must not read as "no objects"). */
  readManifests(commit: string, paths: string[], extra?: string[]): Promise<{files: SourceFile[]; extra: (SourceFile | undefined)[]; missing: string[]}>
}

/** A git repository read at one commit: desired state never comes from the working tree. */
export class GitSource implements TreeReader {
  private constructor(
    readonly root: string,
    private readonly git: SimpleGit,
    /** A bare repository (a git server's, a mirror): no working tree, nothing uncommitted. */
    readonly bare = false,
  ) {}

  /** Opens the repository around `dir` and resolves `revision` there, in one git process. */
  static async openAt(dir: string, revision: string): Promise<{source: GitSource; commit: string}> {
    let git: SimpleGit
    try {
      git = simpleGit({baseDir: dir})
    } catch (err) {
      throw new UsageError(`${dir} does not exist or is not a directory (-C names the GitOps repository)`, {cause: err})
    }
    const notRepo = (err?: unknown) => new UsageError(`${dir} is not inside a git repository: kgit reads desired state from git (git init there, or use kgit lab up / kgit init to make one)`, {cause: err})
    const out = await git.revparse(['--show-toplevel', '--verify', '--quiet', `${revision}^{commit}`]).catch(async (err: unknown) => {
      // A missing revision makes rev-parse fail after printing the top level.
      if (!(await isRepo(git))) throw notRepo(err)
      return ''
    })
    const [root, commit] = out.trim().split('\n')
    if (root && commit && /^[0-9a-f]{40,64}$/.test(commit)) return {source: new GitSource(root, simpleGit({baseDir: root})), commit}
    if (!(await isRepo(git))) throw notRepo()
    // A bare repository (hooks on a git server, reconcile's mirror) has no top level: --show-toplevel fails there.
    const bare = await git.revparse(['--is-bare-repository', '--absolute-git-dir', '--verify', '--quiet', `${revision}^{commit}`]).catch(() => '')
    const [isBare, gitDir, bareCommit] = bare.trim().split('\n')
    if (isBare === 'true' && gitDir && bareCommit && /^[0-9a-f]{40,64}$/.test(bareCommit)) return {source: new GitSource(gitDir, simpleGit({baseDir: gitDir}), true), commit: bareCommit}
    throw new UsageError(`revision "${revision}" is not a commit in ${root || dir}${revision === 'HEAD' ? ' (the repository has no commits yet: commit kgit.yaml and your manifests first)' : ''}`)
  }

  /**
   * Manifest files (.yaml, .yml, .json) under `paths` at `commit`, with their contents,
   * and in the same git process the `extra` files (undefined where absent).
   */
  async readManifests(commit: string, paths: string[], extra: string[] = []): Promise<{files: SourceFile[]; extra: (SourceFile | undefined)[]; missing: string[]}> {
    const listing = await this.git.raw(['ls-tree', '-r', '-z', '--full-tree', commit, '--', ...paths])
    const all = listing.split('\0').filter(Boolean).flatMap((line) => {
      const m = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(line)
      return m ? [{type: m[2]!, oid: m[3]!, path: m[4]!}] : []
    })
    const missing = paths.filter((p) => p !== '.' && !all.some((e) => e.path === p || e.path.startsWith(p.replace(/\/+$/, '') + '/')))
    const entries = all.filter((e) => e.type === 'blob' && MANIFEST_EXT.test(e.path))
    const blobs = await this.catBlobs([...entries.map((e) => e.oid), ...extra.map((p) => `${commit}:${p}`)])
    return {
      missing,
      files: entries.map((e, i) => ({path: e.path, content: blobs[i] ?? Buffer.alloc(0)})),
      extra: extra.map((path, i) => {
        const content = blobs[entries.length + i]
        return content ? {path, content} : undefined
      }),
    }
  }

  /** Author and subject of a commit, for the records the nodes keep. */
  async commitInfo(commit: string): Promise<{author: string; subject: string}> {
    const out = await this.git.raw(['log', '-1', '--format=%an <%ae>%x00%s', commit])
    const [author, subject] = out.trim().split('\0')
    return {author: author ?? '', subject: subject ?? ''}
  }

  /** One file at `commit`, or undefined when it is not there. */
  async readFile(commit: string, path: string): Promise<SourceFile | undefined> {
    const [content] = await this.catBlobs([`${commit}:${path}`])
    return content ? {path, content} : undefined
  }

  /** Objects by name (blob ids, `COMMIT:PATH`) in one git process; undefined where missing. */
  readBlobs(names: string[]): Promise<(Buffer | undefined)[]> {
    return this.catBlobs(names)
  }

  /** Paths with uncommitted changes among `paths` (they are not applied). */
  async uncommitted(paths: string[]): Promise<string[]> {
    if (this.bare) return []
    const status = await this.git.status(['--', ...paths])
    return status.files.map((f) => f.path)
  }

  /**
   * All blobs in one `git cat-file --batch` process instead of one process per file.
   * simple-git cannot feed stdin, and importing execa costs ~200 ms of every run's
   * start-up (the no-op apply budget is 1 s), so this one call spawns git directly.
   */
  private async catBlobs(names: string[]): Promise<(Buffer | undefined)[]> {
    if (names.length === 0) return []
    const buf = await runWithInput('git', ['cat-file', '--batch'], this.root, names.join('\n') + '\n')
    const out: (Buffer | undefined)[] = []
    let pos = 0
    for (const name of names) {
      const nl = buf.indexOf(10, pos)
      const header = buf.subarray(pos, nl).toString('utf8')
      pos = nl + 1
      if (header.endsWith(' missing')) {
        out.push(undefined)
        continue
      }
      const [, type, size] = header.split(' ')
      if (type !== 'blob') throw new Error(`git cat-file: ${name} is a ${type}, not a file`)
      out.push(buf.subarray(pos, pos + Number(size)))
      pos += Number(size) + 1
    }
    return out
  }
}

/** Inside a repository, bare ones included (simple-git's checkIsRepo says false in a bare one). */
function isRepo(git: SimpleGit): Promise<boolean> {
  return git.revparse(['--git-dir']).then(
    () => true,
    () => false,
  )
}

function runWithInput(cmd: string, args: string[], cwd: string, input: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {cwd, stdio: ['pipe', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out))
      else reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}): ${Buffer.concat(err).toString().trim()}`))
    })
    child.stdin.end(input)
  })
}
