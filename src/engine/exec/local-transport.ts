import {execa} from 'execa'
import {shellScript} from '../argv/shell.js'
import type {ExecOptions, ExecResult, StreamingTransport, StreamOptions, StreamResult} from './transport.js'

/**
 * Runs commands on this machine (for `kgit lab` and tests). `wrap` can prefix every
 * command, e.g. with `nsenter --net=...`, and `env` adds variables, as a node's sshd would.
 */
export class LocalTransport implements StreamingTransport {
  constructor(
    readonly node: string,
    private readonly opts: {wrap?: string[]; env?: Record<string, string>} = {},
  ) {}

  async exec(steps: readonly (readonly string[])[], opts: ExecOptions = {}): Promise<ExecResult> {
    const argv = steps.length === 1 ? [...steps[0]!] : ['sh', '-c', shellScript(steps)]
    const full = [...(this.opts.wrap ?? []), ...argv]
    const r = await execa(full[0]!, full.slice(1), {
      reject: false,
      env: this.opts.env,
      input: opts.stdin ?? '',
      timeout: opts.timeoutMs,
      stripFinalNewline: false,
    })
    return {stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? null}
  }

  /**
   * Streams one command's output as it comes. `pty` is not honoured here (no terminal
   * is allocated locally): the command runs with plain pipes.
   */
  async stream(argv: readonly string[], opts: StreamOptions): Promise<StreamResult> {
    const full = [...(this.opts.wrap ?? []), ...argv]
    const child = execa(full[0]!, full.slice(1), {
      reject: false,
      env: this.opts.env,
      stdin: opts.stdin ? 'pipe' : 'ignore',
      buffer: false,
      cancelSignal: opts.signal,
      forceKillAfterDelay: 2000,
    })
    child.stdout.pipe(opts.stdout, {end: false})
    child.stderr.pipe(opts.stderr, {end: false})
    const stdin = opts.stdin
    const sink = child.stdin
    if (stdin && sink) {
      // A command that exits before reading all its input is not an error of ours.
      sink.on('error', () => {})
      stdin.pipe(sink)
    }
    try {
      const r = await child
      return r.signal ? {exitCode: null, signal: r.signal.replace(/^SIG/, '')} : {exitCode: r.exitCode ?? null}
    } finally {
      if (stdin && sink) {
        stdin.unpipe(sink)
        stdin.pause()
      }
    }
  }

  async close(): Promise<void> {}
}
