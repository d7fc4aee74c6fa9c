// A host-wide lock around "choose a free slice, then record it", so two `lab up` never pick the same one.
import {mkdir, open, readFile, stat, unlink} from 'node:fs/promises'
import path from 'node:path'
import {pidAlive} from './lab-procs.js'
import {labRoot} from './lab-state.js'

async function tryAcquire(file: string): Promise<boolean> {
  try {
    const fh = await open(file, 'wx', 0o600)
    await fh.writeFile(`${process.pid}\n`)
    await fh.close()
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return false
  }
}

/** Removes the lock file when its owner died (e.g. `lab up` was killed with -9). */
async function breakIfStale(file: string): Promise<void> {
  const text = (await readFile(file, 'utf8').catch(() => '')).trim()
  const pid = Number(text)
  if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) return
  // An empty file may be one whose owner has not written its pid yet.
  const age = Date.now() - ((await stat(file).catch(() => undefined))?.mtimeMs ?? 0)
  if (text === '' && age < 2000) return
  await unlink(file).catch(() => undefined)
}

/** Runs `fn` holding `$KGIT_LAB_ROOT/.lock`; waits up to `timeoutMs` for another holder. */
export async function withLabLock<T>(fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  await mkdir(labRoot(), {recursive: true, mode: 0o755})
  const file = path.join(labRoot(), '.lock')
  const deadline = Date.now() + timeoutMs
  while (!(await tryAcquire(file))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${file} (another kgit lab up?); remove it if no kgit is running`)
    await breakIfStale(file)
    await new Promise((r) => setTimeout(r, 50))
  }
  try {
    return await fn()
  } finally {
    await unlink(file).catch(() => undefined)
  }
}
