/** The result of one command on a node. */
export interface ExecResult {
  stdout: string
  stderr: string
  exitCode: number | null
}

export interface ExecOptions {
  /** Bytes written to the command's stdin (kept out of argv, so out of `ps`). */
  stdin?: string
  /** Give up after this many milliseconds. */
  timeoutMs?: number
}

/**
 * How kgit reaches a node. `exec` runs steps in order, stopping at the first that
 * fails; each step is an argv, never a shell string.
 */
export interface Transport {
  readonly node: string
  exec(steps: readonly (readonly string[])[], opts?: ExecOptions): Promise<ExecResult>
  close(): Promise<void>
}

/** A terminal for the remote command: its size, and the TERM it should see. */
export interface PtyOptions {
  rows: number
  cols: number
  term?: string
}

export interface StreamOptions {
  /** Forwarded to the command as it arrives; its end closes the command's stdin. */
  stdin?: NodeJS.ReadableStream
  /** Run the command on a pseudo-terminal (stdout and stderr then arrive merged on stdout). */
  pty?: PtyOptions
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  /** Aborting stops the command (SIGTERM, then SIGKILL) and closes its channel. */
  signal?: AbortSignal
}

export interface StreamResult {
  /** null when the command died of a signal or was stopped by the abort signal. */
  exitCode: number | null
  /** The signal that ended the command, when it was one (e.g. "TERM"). */
  signal?: string
}

/**
 * A transport that can also run one command with its output streamed as it comes
 * (logs, exec) instead of buffered. A separate interface, so recording fakes of
 * `Transport` need not grow a method they never use.
 */
export interface StreamingTransport extends Transport {
  stream(argv: readonly string[], opts: StreamOptions): Promise<StreamResult>
}

export function canStream(t: Transport): t is StreamingTransport {
  return typeof (t as Partial<StreamingTransport>).stream === 'function'
}
