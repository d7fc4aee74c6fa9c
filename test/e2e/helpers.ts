import {execa} from 'execa'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {afterAll, beforeAll} from 'vitest'
import {dirname, join} from 'node:path'
import {labTransport, loadLabState, type LabState} from '../../src/engine/exec/lab/index.js'

const ROOT = new URL('../..', import.meta.url).pathname

export interface Run {
  stdout: string
  stderr: string
  exitCode: number
}

/** Runs the built CLI, as a user would, in `cwd`. */
export async function kgit(cwd: string, ...args: string[]): Promise<Run> {
  const r = await execa('node', [join(ROOT, 'bin/run.js'), ...args], {cwd, reject: false, env: {NO_COLOR: '1'}})
  return {stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1}
}

/** Writes (or, with null, removes) files in the repo and commits them. */
export async function commit(repo: string, files: Record<string, string | null>, message = 'test change'): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const full = join(repo, path)
    if (text === null) await rm(full, {recursive: true, force: true})
    else {
      await mkdir(dirname(full), {recursive: true})
      await writeFile(full, text)
    }
  }
  await execa('git', ['add', '-A'], {cwd: repo})
  await execa('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@kgit.local', 'commit', '-q', '--allow-empty', '-m', message], {cwd: repo})
}

export async function lab(name: string): Promise<LabState> {
  const s = await loadLabState(name)
  if (!s) throw new Error(`lab ${name} is not up`)
  return s
}

/** podman on a lab node, straight, without kgit: the ground truth for assertions. */
export async function podman(state: LabState, node: string, ...argv: string[]): Promise<string> {
  const r = await labTransport(state, node).exec([['podman', ...argv]])
  if (r.exitCode !== 0) throw new Error(`podman ${argv.join(' ')} on ${node}: ${r.stderr}`)
  return r.stdout
}

export interface NodePod {
  name: string
  labels: Record<string, string>
  status: string
}

export async function podsOn(state: LabState, node: string): Promise<NodePod[]> {
  const out = await podman(state, node, 'pod', 'ps', '--filter', 'label=kgit.dev/managed=true', '--format', 'json')
  return (JSON.parse(out || '[]') as {Name: string; Labels: Record<string, string>; Status: string}[]).map((p) => ({name: p.Name, labels: p.Labels, status: p.Status}))
}

export async function podCounts(state: LabState, owner?: string): Promise<number[]> {
  return Promise.all(state.nodes.map(async (n) => (await podsOn(state, n.name)).filter((p) => !owner || p.labels['kgit.dev/owner'] === owner).length))
}

/**
 * For a test file that edits the lab repo's kgit.yaml: reads it before the tests, and puts
 * it back (with no manifests, applied) after them, even when they fail.
 */
export function labCluster(repo: string): {original: () => string; with: (fields: Record<string, string[]>) => string; without: (node: string) => string} {
  let original = ''
  beforeAll(async () => {
    original = await readFile(join(repo, 'kgit.yaml'), 'utf8')
  })
  afterAll(async () => {
    await commit(repo, {'kgit.yaml': original, manifests: null, 'manifests/.gitkeep': ''}, 'e2e: clean up')
    await kgit(repo, 'apply')
  })
  return {
    original: () => original,
    /** The lab's kgit.yaml with extra fields (YAML lines) on some nodes. */
    with: (fields) => original.replace(/( {4}- name: (\S+)\n(\s+)address: \S+)/g, (all, head: string, name: string, indent: string) => (fields[name] ? `${head}\n${fields[name].map((f) => `${indent}${f}`).join('\n')}` : all)),
    /** The lab's kgit.yaml without one node's entry. */
    without: (node) => original.replace(new RegExp(` {4}- name: ${node}\\n(?: {6}.*\\n)*`), ''),
  }
}

/** A container as `podman ps --all --format json` reports it. */
export interface RawContainer {
  Names: string[]
  IsInfra: boolean
  State: string
  ExitCode: number
  StartedAt: number
  ExitedAt: number
  Labels: Record<string, string>
}

/** Every container kgit made on the lab's nodes (infra containers left out), straight from podman. */
export async function kgitContainers(state: LabState): Promise<RawContainer[]> {
  const all = await Promise.all(state.nodes.map(async (n) => JSON.parse((await podman(state, n.name, 'ps', '--all', '--filter', 'label=kgit.dev/managed=true', '--format', 'json')) || '[]') as RawContainer[]))
  return all.flat().filter((c) => !c.IsInfra)
}
