// The GitOps repository `lab up` leaves ready to use: kgit.yaml, known_hosts, manifests/.
import {mkdir, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {UsageError} from '../../errors.js'
import {REPO_GITIGNORE, clusterYaml, knownHostsLine} from './lab-config.js'
import {run, tryRun} from './lab-exec.js'
import type {LabState} from './lab-state.js'

const AUTHOR = {name: 'kgit lab', email: 'lab@kgit.local'}

/** Refuses a --dir that already holds a cluster file, unless forced. */
export async function checkRepoDir(dir: string, force: boolean): Promise<void> {
  // Kernel file systems: mkdir there fails in odd ways (Node's recursive mkdir spins under /proc).
  if (/^\/(proc|sys|dev)(\/|$)/.test(dir)) throw new UsageError(`--dir ${dir} is on a kernel file system; pick a normal directory`)
  const s = await stat(dir).catch(() => undefined)
  if (s && !s.isDirectory()) throw new UsageError(`--dir ${dir} exists and is not a directory`)
  const existing = await stat(path.join(dir, 'kgit.yaml')).catch(() => undefined)
  if (existing && !force) throw new UsageError(`${path.join(dir, 'kgit.yaml')} already exists; pick another --dir or pass --force to overwrite it`)
}

function git(dir: string, args: string[]): Promise<string> {
  const env = {GIT_AUTHOR_NAME: AUTHOR.name, GIT_AUTHOR_EMAIL: AUTHOR.email, GIT_COMMITTER_NAME: AUTHOR.name, GIT_COMMITTER_EMAIL: AUTHOR.email}
  const config = ['-c', `user.name=${AUTHOR.name}`, '-c', `user.email=${AUTHOR.email}`, '-c', 'commit.gpgsign=false']
  return run('git', ['-C', dir, ...config, ...args], {env})
}

/** Writes the skeleton into `state.repoDir` and commits it on branch main. `hostKeys` maps node name to its `.pub` text. */
export async function writeRepo(state: LabState, hostKeys: Map<string, string>): Promise<void> {
  const dir = state.repoDir
  await mkdir(path.join(dir, 'manifests'), {recursive: true})
  const knownHosts = state.nodes.map((n) => knownHostsLine(n.address, hostKeys.get(n.name) ?? '')).join('\n') + '\n'
  const files: [string, string][] = [
    ['kgit.yaml', clusterYaml(state)],
    ['known_hosts', knownHosts],
    [path.join('manifests', '.gitkeep'), ''],
    ['.gitignore', REPO_GITIGNORE],
  ]
  await Promise.all(files.map(([f, text]) => writeFile(path.join(dir, f), text)))
  await git(dir, ['init', '-q', '-b', 'main'])
  await git(dir, ['add', '--', ...files.map(([f]) => f)])
  const staged = await tryRun('git', ['-C', dir, 'diff', '--cached', '--quiet'])
  if (staged.ok) return // --force over an identical skeleton: nothing to commit
  await git(dir, ['commit', '-q', '--no-verify', '-m', `kgit lab ${state.name}: ${state.nodes.length} nodes in ${state.subnet}`])
}
