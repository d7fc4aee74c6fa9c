// Running host commands for the lab: one place that spawns processes and words their failures.
import {execa} from 'execa'
import {ErrorList, tailLines} from '../../errors.js'

/** A host command that failed while building, inspecting or removing a lab. */
export class LabCommandError extends Error {
  override name = 'LabCommandError'
  constructor(
    readonly argv: string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    const code = exitCode === undefined ? 'killed' : `exit ${exitCode}`
    const tail = tailLines(stderr, 3)
    super(`${argv.slice(0, 4).join(' ')}: ${code}${tail ? ` (${tail})` : ''}`, options)
  }
}

export interface RunOptions {
  env?: Record<string, string>
  input?: string
  cwd?: string
}

export interface RunResult {
  ok: boolean
  exitCode: number | undefined
  stdout: string
  stderr: string
}

/** Runs a command and returns its outcome; never throws for a non-zero exit. */
export async function tryRun(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await execa(file, args, {
    env: opts.env,
    cwd: opts.cwd,
    reject: false,
    ...(opts.input === undefined ? {stdin: 'ignore' as const} : {input: opts.input}),
  })
  const stderr = r.stderr || (r.failed && r.exitCode === undefined ? (r.message ?? '') : '')
  return {ok: !r.failed, exitCode: r.exitCode, stdout: r.stdout, stderr}
}

/** Runs a command; a non-zero exit throws a LabCommandError with the tail of stderr. Returns stdout. */
export async function run(file: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await tryRun(file, args, opts)
  if (!r.ok) throw new LabCommandError([file, ...args], r.exitCode, r.stderr)
  return r.stdout
}

/** Runs `fn` on every item at once; waits for all, then throws every failure together. */
export async function allSettled<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = await Promise.allSettled(items.map((item, i) => fn(item, i)))
  const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error)
  if (errors.length === 1) throw errors[0]
  if (errors.length > 1) throw new ErrorList(errors)
  return results.map((r) => (r as PromiseFulfilledResult<R>).value)
}
