import {execa} from 'execa'
import {shellScript} from '../argv/shell.js'
import type {ExecOptions, ExecResult, Transport} from './transport.js'

/**
 * Runs commands on this machine (for `kgit lab` and tests). `wrap` can prefix every
 * command, e.g. with `nsenter --net=...`, and `env` adds variables, as a node's sshd would.
 */
export class LocalTransport implements Transport {
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

  async close(): Promise<void> {}
}
