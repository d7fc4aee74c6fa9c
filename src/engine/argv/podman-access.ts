/** What `kgit logs` asks of podman, with kubectl's flag names. */
export interface LogsOptions {
  follow?: boolean
  /** Lines from the end; undefined (or negative) for all. */
  tail?: number
  /** Only lines newer than this many seconds. */
  sinceSeconds?: number
  timestamps?: boolean
}

/** `podman logs` of one container. */
export function containerLogs(container: string, opts: LogsOptions = {}): string[] {
  const argv = ['podman', 'logs']
  if (opts.follow) argv.push('--follow')
  if (opts.tail !== undefined && opts.tail >= 0) argv.push('--tail', String(opts.tail))
  if (opts.sinceSeconds !== undefined) argv.push('--since', `${opts.sinceSeconds}s`)
  if (opts.timestamps) argv.push('--timestamps')
  argv.push(container)
  return argv
}

export interface ExecOptions {
  /** Keep stdin open and pass it on (`-i`). */
  stdin?: boolean
  /** Allocate a terminal in the container (`-t`); the SSH channel needs one too. */
  tty?: boolean
}

/** `podman exec` of a command in one container; the command's words are passed as they are. */
export function containerExec(container: string, command: readonly string[], opts: ExecOptions = {}): string[] {
  if (command.length === 0) throw new TypeError('exec needs a command')
  const argv = ['podman', 'exec']
  if (opts.stdin) argv.push('--interactive')
  if (opts.tty) argv.push('--tty')
  return [...argv, container, ...command]
}
