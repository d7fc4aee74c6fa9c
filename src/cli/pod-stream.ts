import chalk from 'chalk'
import {constants} from 'node:os'
import {PodNotFoundError} from '../engine/pod-target.js'
import type {StreamResult} from '../engine/exec/transport.js'

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * Runs a streamed remote command with this process's stop signals turned into an abort
 * (so the remote command is stopped, not left running on the node). Returns the
 * signal that stopped us, if one did.
 */
export async function withStopSignals<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<{result: T; stoppedBy?: NodeJS.Signals}> {
  const ac = new AbortController()
  let stoppedBy: NodeJS.Signals | undefined
  const handlers = STOP_SIGNALS.map((s) => [s, () => ((stoppedBy ??= s), ac.abort())] as const)
  // `kgit logs -f | head`: a reader that went away stops the command like a SIGPIPE would.
  const onOutputError = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE') throw err
    stoppedBy ??= 'SIGPIPE'
    ac.abort()
  }
  for (const [s, h] of handlers) process.on(s, h)
  process.stdout.on('error', onOutputError)
  try {
    return {result: await fn(ac.signal), stoppedBy}
  } finally {
    for (const [s, h] of handlers) process.off(s, h)
    process.stdout.off('error', onOutputError)
  }
}

/** The shell's convention for a process ended by a signal: 128 + its number. */
export function signalExitCode(signal: string): number {
  const n = (constants.signals as Record<string, number>)[signal.startsWith('SIG') ? signal : `SIG${signal}`]
  return 128 + (n ?? 15)
}

/** Local terminal in raw mode for `exec -t`: keys (Ctrl-C too) go to the remote terminal. */
export async function withRawTerminal<T>(on: boolean, fn: () => Promise<T>): Promise<T> {
  if (!on || !process.stdin.isTTY) return fn()
  process.stdin.setRawMode(true)
  try {
    return await fn()
  } finally {
    process.stdin.setRawMode(false)
  }
}

/** kubectl's wording for a missing pod, then the nodes that could not be asked. */
export function notFoundLines(e: PodNotFoundError): string[] {
  const lines = [chalk.red('Error from server (NotFound): ') + e.message]
  for (const u of e.unreachable) lines.push(chalk.red('error: ') + `node ${u.node} is unreachable: ${u.reason}; the pod may be running there`)
  return lines
}

/** The remote command's end, as kgit's exit code and what to say about it. */
export function remoteOutcome(r: StreamResult, node: string): {exitCode: number; message?: string} {
  if (r.exitCode === 0) return {exitCode: 0}
  if (r.exitCode !== null) return {exitCode: r.exitCode, message: `command terminated with exit code ${r.exitCode}`}
  if (r.signal) return {exitCode: signalExitCode(r.signal), message: `command terminated by signal ${r.signal}`}
  return {exitCode: 1, message: `the connection to node ${node} closed before the command reported an exit status`}
}
