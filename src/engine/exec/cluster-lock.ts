import {randomUUID} from 'node:crypto'
import {hostname, userInfo} from 'node:os'
import {describeHolder, lock, parseHolder, type LockHolder} from '../argv/lock.js'
import {ClusterLockedError} from '../errors.js'
import type {ClusterSpec, NodeObservation} from '../types.js'
import type {Connections} from './connect.js'
import type {LockRequest} from './observe.js'

export interface LockOptions {
  /** How long to wait for another run's lock; 0 fails at once. */
  timeoutMs: number
  command: string
  /** Told once when kgit starts waiting, and when it breaks a dead holder's lock. */
  onNote?: (line: string) => void
}

/** This run's claim: the same token on every node, so release removes only our lock. */
export interface Claim {
  token: string
  /** Set once this run has asked for the lock: it must then give it back. */
  taken: boolean
  requestFor: (node: string) => LockRequest
}

export function newClaim(cluster: ClusterSpec, revision: string, command: string): Claim {
  const token = randomUUID()
  const holder: LockHolder = {user: userInfo().username, host: hostname(), pid: process.pid, command, revision, since: new Date().toISOString()}
  const json = JSON.stringify(holder)
  const dirs = new Map(cluster.nodes.map((n) => [n.name, n.dataDir]))
  return {token, taken: false, requestFor: (node) => ({dataDir: dirs.get(node)!, token, holder: json})}
}

export function lockedNodes(obs: NodeObservation[]): {node: string; holder?: LockHolder}[] {
  return obs.flatMap((o) => (!o.reachable && o.lockedBy !== undefined ? [{node: o.node, holder: parseHolder(o.lockedBy)}] : []))
}

/** A holder on this machine whose process is gone left its lock behind: safe to break. */
export function isStale(h: LockHolder | undefined): boolean {
  if (!h || h.host !== hostname()) return false
  try {
    process.kill(h.pid, 0)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/** Runs `cmd` on every connected node, ignoring failures (release and break are best effort, then reported by the next run). */
export async function onEachNode(cluster: ClusterSpec, conns: Connections, argvFor: (dataDir: string) => string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  await Promise.all(
    cluster.nodes.map(async (n) => {
      const c = await conns.nodes.get(n.name)
      if (!c || !('transport' in c)) return
      const r = await c.transport.exec([argvFor(n.dataDir)], {timeoutMs: 30_000}).catch(() => undefined)
      if (r) out.set(n.name, r.stdout)
    }),
  )
  return out
}

export function releaseClaim(cluster: ClusterSpec, conns: Connections, token: string): Promise<unknown> {
  return onEachNode(cluster, conns, (dir) => lock.release(dir, token))
}

export function lockedError(locked: {node: string; holder?: LockHolder}[], timeoutMs: number): ClusterLockedError {
  // A holder file being written while another run looks reads as empty: name the known holders.
  const known = locked.some((l) => l.holder) ? locked.filter((l) => l.holder) : locked
  const holders = [...new Set(known.map((l) => describeHolder(l.holder)))]
  const waited = timeoutMs > 0 ? ` (waited ${Math.round(timeoutMs / 1000)} s)` : ''
  return new ClusterLockedError(
    `the cluster is locked by ${holders.join('; ')} on node(s) ${locked.map((l) => l.node).join(', ')}${waited}; wait for that run, retry with --lock-timeout 5m, or if it is gone: kgit unlock`,
  )
}
