/**
 * The cluster lock lives on the nodes, as a directory under each node's dataDir:
 * `mkdir` is atomic, so of two kgit runs exactly one gets it. The scripts are constants;
 * every value reaches them as a positional argument, never as shell text.
 */
const ACQUIRE = [
  'd="$1/lock"',
  'mkdir -p "$1" || exit 2',
  'if mkdir "$d" 2>/dev/null; then printf %s "$2" > "$d/token" && printf %s "$3" > "$d/holder" && exit 0; fi',
  // The holder writes its file just after mkdir: give it a moment before reading.
  'i=0; while [ -d "$d" ] && [ ! -s "$d/holder" ] && [ $i -lt 20 ]; do sleep 0.05; i=$((i+1)); done',
  'printf "%s\\n" "$4"; cat "$d/holder" 2>/dev/null; exit 3',
].join('\n')

const RELEASE = 'if [ "$(cat "$1/lock/token" 2>/dev/null)" = "$2" ]; then rm -rf "$1/lock"; fi; exit 0'
const READ = 'cat "$1/lock/holder" 2>/dev/null; exit 0'
const BREAK = 'cat "$1/lock/holder" 2>/dev/null; rm -rf "$1/lock"; exit 0'

/** Printed, then the holder, when the lock is taken; exit code 3. */
export const LOCK_HELD_MARK = '@@kgit-lock-held@@'
export const LOCK_HELD_EXIT = 3

export const lock = {
  acquire: (dataDir: string, token: string, holderJson: string): string[] => ['sh', '-c', ACQUIRE, 'kgit-lock', dataDir, token, holderJson, LOCK_HELD_MARK],
  release: (dataDir: string, token: string): string[] => ['sh', '-c', RELEASE, 'kgit-unlock', dataDir, token],
  read: (dataDir: string): string[] => ['sh', '-c', READ, 'kgit-lock-holder', dataDir],
  break: (dataDir: string): string[] => ['sh', '-c', BREAK, 'kgit-unlock', dataDir],
}

/** Who holds the lock: written by the holder, shown to whoever waits or breaks it. */
export interface LockHolder {
  user: string
  host: string
  pid: number
  command: string
  revision: string
  since: string
}

export function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text.trim()) as Partial<LockHolder>
    return typeof v.host === 'string' && typeof v.pid === 'number' ? (v as LockHolder) : undefined
  } catch {
    return undefined
  }
}

export function describeHolder(h: LockHolder | undefined): string {
  return h ? `${h.user}@${h.host} pid ${h.pid} (${h.command} of ${h.revision.slice(0, 12)}, since ${h.since})` : 'an unknown holder'
}
