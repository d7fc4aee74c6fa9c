// Finding and stopping a lab's processes, and its leftover mounts, without touching anything else.
import {readdir, readFile, stat} from 'node:fs/promises'
import {LabCommandError, tryRun} from './lab-exec.js'

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export async function cmdline(pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
  return raw.split('\0').filter(Boolean)
}

/** The pid in a pid file, if that process is alive and its command line mentions `mark`. */
export async function pidFromFile(file: string, mark: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim())
  if (!Number.isInteger(pid) || pid <= 1 || (await exited(pid))) return undefined
  return (await cmdline(pid)).some((w) => w.includes(mark)) ? pid : undefined
}

async function procPids(): Promise<number[]> {
  return (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number)
}

/** Every process whose network namespace is one of those bound at `netnsPaths` (sshd, its sessions, conmon). */
export async function pidsInNetns(netnsPaths: string[]): Promise<number[]> {
  const stats = await Promise.all(netnsPaths.map((p) => stat(p).catch(() => undefined)))
  const wanted = new Set(stats.filter((s) => s !== undefined).map((s) => `${s.dev}:${s.ino}`))
  if (wanted.size === 0) return []
  const pids = (await procPids()).filter((pid) => pid !== process.pid)
  const inNs = await Promise.all(
    pids.map(async (pid) => {
      const s = await stat(`/proc/${pid}/ns/net`).catch(() => undefined)
      return s !== undefined && wanted.has(`${s.dev}:${s.ino}`)
    }),
  )
  return pids.filter((_, i) => inNs[i])
}

function regexEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Processes whose command line names a file under `dir` (e.g. an sshd started with its config there). */
export async function pidsMentioning(dir: string): Promise<number[]> {
  const mark = dir.endsWith('/') ? dir : dir + '/'
  const r = await tryRun('pgrep', ['-f', regexEscape(mark)])
  const pids = r.stdout.split('\n').map(Number).filter((p) => Number.isInteger(p) && p > 1 && p !== process.pid)
  const checked = await Promise.all(pids.map(async (p) => (await cmdline(p)).some((w) => w.includes(mark))))
  return pids.filter((_, i) => checked[i])
}

/** A process that exited: gone, or a zombie its (adoptive) parent has not reaped yet. */
async function exited(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  // The state follows the parenthesised command name, which may itself hold spaces.
  return stat === '' || stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z'
}

async function running(pids: number[]): Promise<number[]> {
  const done = await Promise.all(pids.map(exited))
  return pids.filter((_, i) => !done[i])
}

/** SIGTERM, up to `graceMs` to exit, then SIGKILL. */
export async function stopProcesses(pids: number[], graceMs = 2000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => (p: number) => {
    try {
      process.kill(p, sig)
    } catch {
      // already gone
    }
  }
  pids.forEach(signal('SIGTERM'))
  const deadline = Date.now() + graceMs
  while ((await running(pids)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
  const stubborn = await running(pids)
  stubborn.forEach(signal('SIGKILL'))
  await waitReaped(pids, 3000)
}

/**
 * Waits (bounded) until exited processes are reaped too. Daemons were adopted by pid 1,
 * and a slow init can leave `[sshd] <defunct>` in `ps` for a second after they died.
 */
async function waitReaped(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (pids.some(pidAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
}

/** Mount points listed in /proc/self/mountinfo text (field 5, octal escapes undone). */
export function parseMountPoints(mountinfo: string): string[] {
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined && p !== '')
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))))
}

/** Mount points at or under `dir`, deepest first, each once. */
export function mountsUnder(points: string[], dir: string): string[] {
  const inside = points.filter((p) => p === dir || p.startsWith(dir.endsWith('/') ? dir : dir + '/'))
  return [...new Set(inside)].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length)
}

/** Lazily unmounts everything still mounted under `dir`; returns how many. */
export async function unmountUnder(dir: string): Promise<number> {
  const points = mountsUnder(parseMountPoints(await readFile('/proc/self/mountinfo', 'utf8')), dir)
  for (const p of points) {
    const r = await tryRun('umount', ['-l', p])
    // A parent's lazy unmount may have taken this one along already.
    if (!r.ok && !/not mounted|no mount point/i.test(r.stderr)) throw new LabCommandError(['umount', '-l', p], r.exitCode, r.stderr)
  }
  return points.length
}
