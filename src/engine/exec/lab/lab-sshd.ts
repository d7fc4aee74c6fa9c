// Keys and sshd of lab nodes.
import {mkdir, readFile} from 'node:fs/promises'
import net from 'node:net'
import {tailLines} from '../../errors.js'
import {sshdPaths} from './lab-config.js'
import {run, tryRun} from './lab-exec.js'
import type {LabNode} from './lab-state.js'
import {labNames} from './lab-state.js'
import {SSHD} from './prereqs.js'

/** A new ed25519 key pair without passphrase at `file` (+ `.pub`); returns the public key line. */
export async function keygen(file: string, comment: string): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file])
  return (await readFile(`${file}.pub`, 'utf8')).trim()
}

async function logTail(file: string, lines = 5): Promise<string> {
  return tailLines(await readFile(file, 'utf8').catch(() => ''), lines)
}

/** Starts a node's sshd inside its netns (nsenter, not `ip netns exec`, so host cgroup mounts stay visible). */
export async function startSshd(node: LabNode): Promise<void> {
  // sshd's privilege separation directory.
  await mkdir('/run/sshd', {recursive: true, mode: 0o755})
  const p = sshdPaths(node.dir)
  const r = await tryRun('nsenter', [`--net=${labNames.netnsPath(node.netns)}`, '--', SSHD, '-f', p.config, '-E', p.log])
  if (!r.ok) {
    throw new Error(`sshd of node ${node.name} did not start (exit ${r.exitCode ?? 'killed'}): ${r.stderr.trim() || (await logTail(p.log))} — see ${p.log}`)
  }
}

/** True once something accepts TCP connections on address:port. */
export function tcpAccepts(address: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({host: address, port, timeout: timeoutMs})
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.once('connect', () => done(true))
    socket.once('timeout', () => done(false))
    socket.once('error', () => done(false))
  })
}

/** Waits until the node's sshd accepts connections on port 22, or fails with the tail of its log. */
export async function waitForSshd(node: LabNode, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await tcpAccepts(node.address, 22, 500)) return
    await new Promise((r) => setTimeout(r, 50))
  }
  const log = sshdPaths(node.dir).log
  throw new Error(`sshd of node ${node.name} does not accept connections on ${node.address}:22 after ${timeoutMs / 1000} s; ${log}: ${(await logTail(log)) || '(empty)'}`)
}
