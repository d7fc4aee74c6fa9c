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
