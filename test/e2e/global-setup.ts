import {execa} from 'execa'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {TestProject} from 'vitest/node'

export const E2E_LAB = process.env.KGIT_E2E_LAB ?? 'e2e'
/** Where the lab takes its addresses; several labs at once (parallel work trees) each name their own. */
const E2E_SUBNET = process.env.KGIT_E2E_SUBNET
const ROOT = new URL('../..', import.meta.url).pathname

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

/** One lab for every e2e file: built CLI, 3 nodes. Torn down even when tests fail. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await execa('npm', ['run', 'build'], {cwd: ROOT, stdio: 'inherit'})
  // A crashed earlier run may have left its lab behind.
  await execa('node', [join(ROOT, 'bin/run.js'), 'lab', 'down', '--name', E2E_LAB], {reject: false})
  const base = await mkdtemp(join(tmpdir(), 'kgit-e2e-'))
  const repo = join(base, 'repo')
  await kgit(['lab', 'up', '--name', E2E_LAB, '--nodes', '3', '--dir', repo, ...(E2E_SUBNET ? ['--subnet', E2E_SUBNET] : [])])
  project.provide('labRepo', repo)
  project.provide('labName', E2E_LAB)
  return async () => {
    await kgit(['lab', 'down', '--name', E2E_LAB])
    await rm(base, {recursive: true, force: true})
  }
}
