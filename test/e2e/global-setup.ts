import {execa} from 'execa'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {TestProject} from 'vitest/node'

/** The e2e files run in three projects at once, each on its own lab: `e2e`, `e2e-b` and `e2e-c`. */
export const E2E_LAB = process.env.KGIT_E2E_LAB ?? 'e2e'
/** Where the labs take their addresses; several labs at once (parallel work trees) each name their own. */
const E2E_SUBNET = process.env.KGIT_E2E_SUBNET
const ROOT = new URL('../..', import.meta.url).pathname
const LOCK = join(tmpdir(), 'kgit-e2e-setup.lock')

declare module 'vitest' {
  export interface ProvidedContext {
    labRepo: string
    labName: string
  }
}

async function kgit(args: string[]): Promise<void> {
  const r = await execa('node', [join(ROOT, 'bin/run.js'), ...args], {reject: false, all: true})
  if (r.exitCode !== 0) throw new Error(`kgit ${args.join(' ')} failed (exit ${r.exitCode}):\n${r.all}`)
}

/**
 * Runs `fn` alone among the e2e projects of this machine: labs picking their addresses
 * at the same moment would pick the same slice, and two builds would write dist/ at once.
 * A lock older than 10 minutes is from a run that died.
 */
export async function setupLock<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      await mkdir(LOCK)
      break
    } catch {
      const age = await readFile(join(LOCK, 'at'), 'utf8').then((t) => Date.now() - Number(t), () => 0)
      if (age > 600_000 || i > 3000) await rm(LOCK, {recursive: true, force: true})
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  try {
    await writeFile(join(LOCK, 'at'), String(Date.now()))
    return await fn()
  } finally {
    await rm(LOCK, {recursive: true, force: true})
  }
}

/** Built once per vitest process (both projects' setups run in it). */
const BUILT = join(tmpdir(), 'kgit-e2e-built')

/** One lab for every file of a project: built CLI, 3 nodes. Torn down even when tests fail. */
export async function labSetup(project: TestProject, name: string): Promise<() => Promise<void>> {
  const base = await mkdtemp(join(tmpdir(), 'kgit-e2e-'))
  const repo = join(base, 'repo')
  await setupLock(async () => {
    // scripts/vitest-labs.sh builds once before its three vitest processes and says so.
    if (process.env.KGIT_E2E_PREBUILT !== '1' && (await readFile(BUILT, 'utf8').catch(() => '')) !== String(process.pid)) {
      await execa('npm', ['run', 'build'], {cwd: ROOT, stdio: 'inherit'})
      await writeFile(BUILT, String(process.pid))
    }
    // A crashed earlier run may have left its lab behind.
    await execa('node', [join(ROOT, 'bin/run.js'), 'lab', 'down', '--name', name], {reject: false})
    await kgit(['lab', 'up', '--name', name, '--nodes', '3', '--dir', repo, ...(E2E_SUBNET ? ['--subnet', E2E_SUBNET] : [])])
  })
  project.provide('labRepo', repo)
  project.provide('labName', name)
  return async () => {
    await kgit(['lab', 'down', '--name', name])
    await rm(base, {recursive: true, force: true})
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  return labSetup(project, E2E_LAB)
}
