import {cp, mkdir, readdir, rename, stat} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {simpleGit} from 'simple-git'
import {UsageError} from '../errors.js'
import {packagePath} from '../package-root.js'

/** templates/init in the installed package (dist/engine/exec -> package root). */
const TEMPLATE = packagePath('templates', 'init') + '/'

export interface InitResult {
  dir: string
  files: string[]
  committed: boolean
}

/**
 * A new GitOps repository from templates/init: kgit.yaml with comments, known_hosts,
 * an example app, .gitignore and a README; `git init` where needed and a first commit.
 */
export async function initRepo(opts: {dir: string; force?: boolean; commit?: boolean}): Promise<InitResult> {
  const dir = resolve(opts.dir)
  if (!opts.force && (await stat(join(dir, 'kgit.yaml')).catch(() => undefined))) {
    throw new UsageError(`${join(dir, 'kgit.yaml')} already exists; kgit init makes new repositories (--force overwrites the template files)`)
  }
  await mkdir(dir, {recursive: true})
  await cp(TEMPLATE, dir, {recursive: true, force: true})
  // npm drops files named .gitignore from packages, so the template is stored without the dot.
  await rename(join(dir, 'gitignore'), join(dir, '.gitignore'))
  const git = simpleGit({baseDir: dir})
  if (!(await git.checkIsRepo().catch(() => false))) await git.init(['-b', 'main'])
  const files = await listFiles(TEMPLATE)
  if (opts.commit === false) return {dir, files, committed: false}
  await git.add(['kgit.yaml', 'known_hosts', '.gitignore', 'README.md', 'manifests'])
  const who = ['-c', 'user.name=kgit init', '-c', 'user.email=init@kgit.local']
  const hasIdentity = Boolean((await git.raw(['config', '--get', 'user.email']).catch(() => '')).trim())
  await git.raw([...(hasIdentity ? [] : who), 'commit', '-q', '-m', 'kgit init: a new GitOps repository'])
  return {dir, files, committed: true}
}

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(join(root, prefix), {withFileTypes: true})) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)))
    else out.push(rel === 'gitignore' ? '.gitignore' : rel)
  }
  return out.sort()
}
