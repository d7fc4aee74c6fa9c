import {chmod, mkdir, readFile, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {simpleGit} from 'simple-git'
import {UsageError} from '../errors.js'
import {packagePath} from '../package-root.js'

const TEMPLATES = packagePath('templates', 'hooks')
const MARK = '# kgit-hook:'

export interface HookInstall {
  gitDir: string
  branch: string
  /** The command the hooks run kgit with: a path, or argv (node and bin/run.js). */
  kgit: string | string[]
  layout: 'plain' | 'd'
  force: boolean
}

/** A word for sh, single-quoted. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`
}

/** The hook scripts with kgit's command and the branch filled in. */
export async function renderHook(name: 'pre-receive' | 'post-receive', kgit: string | string[], branch: string): Promise<string> {
  const text = await readFile(join(TEMPLATES, name), 'utf8')
  const cmd = (Array.isArray(kgit) ? kgit : [kgit]).map(shellWord).join(' ')
  return text.replaceAll('@KGIT@', cmd).replaceAll('@BRANCH@', shellWord(branch))
}

/** Writes both hooks into a bare repository; refuses to replace hooks kgit did not write unless forced. */
export async function installHooks(opts: HookInstall): Promise<string[] & {log: string}> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(opts.branch) || opts.branch.includes('..')) throw new UsageError(`--branch ${opts.branch}: not a branch name`)
  const gitDir = resolve(opts.gitDir)
  const bare = await simpleGit({baseDir: gitDir})
    .revparse(['--is-bare-repository'])
    .catch((err: Error) => {
      throw new UsageError(`--git-dir ${opts.gitDir}: not a git repository (${err.message.trim()})`, {cause: err})
    })
  if (bare.trim() !== 'true') throw new UsageError(`--git-dir ${opts.gitDir}: not a bare repository (hooks go where pushes arrive: git init --bare, or your git server's repository directory)`)
  const written = [] as unknown as string[] & {log: string}
  for (const name of ['pre-receive', 'post-receive'] as const) {
    const path = opts.layout === 'd' ? join(gitDir, 'hooks', `${name}.d`, 'kgit') : join(gitDir, 'hooks', name)
    const old = await readFile(path, 'utf8').catch(() => undefined)
    if (old !== undefined && !old.includes(MARK) && !opts.force) throw new UsageError(`${path} exists and was not written by kgit: move it aside, chain it (--layout d), or replace it with --force`)
    await mkdir(dirname(path), {recursive: true})
    await writeFile(path, await renderHook(name, opts.kgit, opts.branch))
    await chmod(path, 0o755)
    written.push(path)
  }
  written.log = join(gitDir, 'kgit-hook.log')
  return written
}
