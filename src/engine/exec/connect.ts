import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {isAbsolute, resolve} from 'node:path'
import {NodeUnreachableError, UsageError} from '../errors.js'
import type {ClusterSpec} from '../types.js'
import type {TreeReader} from './git-source.js'
import type {Transport} from './transport.js'
import type {SshTarget} from './ssh-transport.js'
import {muxConnections, muxSocket, startMux} from './mux.js'

export type NodeConnection = {transport: Transport} | {unreachable: string}

export interface Connections {
  /** Per node, settling as soon as that node is connected or has failed: work on a node need not wait for the others. */
  nodes: Map<string, Promise<NodeConnection>>
  close(): Promise<void>
}

/** How kgit reaches nodes; tests and the simulated fleet pass their own. */
export type Connector = (cluster: ClusterSpec) => Promise<Connections>

let sshModule: Promise<typeof import('./ssh-transport.js')> | undefined

/**
 * Starts loading ssh2 (~100 ms of module evaluation) without waiting: called first
 * thing, it overlaps with the git reads that come before any node is contacted.
 */
export function preloadSsh(): Promise<typeof import('./ssh-transport.js')> {
  sshModule ??= import('./ssh-transport.js')
  return sshModule
}

export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? resolve(homedir(), p.slice(2)) : p
}

/**
 * SSH to every node at once (handshakes rate-limited), host keys checked against
 * the known_hosts file pinned in the same commit. A node that fails is recorded,
 * not fatal: the others are still converged.
 */
export function sshConnector(source: TreeReader, commit: string, knownHostsText?: string, opts: {persist?: boolean} = {}): Connector {
  return async (cluster) => {
    const keyPath = expandHome(cluster.ssh.identityFile)
    const privateKey = await readFile(isAbsolute(keyPath) ? keyPath : resolve(source.root, keyPath)).catch((err: Error) => {
      throw new UsageError(`cannot read the SSH identity file ${keyPath} (spec.ssh.identityFile in kgit.yaml): ${err.message}`, {cause: err})
    })
    const khPath = cluster.ssh.knownHostsFile
    const khOnDisk = isAbsolute(expandHome(khPath))
    const knownHosts = khOnDisk
      ? await readFile(expandHome(khPath), 'utf8').catch((err: Error) => {
          throw new UsageError(`cannot read the known_hosts file ${khPath} (spec.ssh.knownHostsFile): ${err.message}`, {cause: err})
        })
      : (knownHostsText ?? (await source.readFile(commit, khPath))?.content.toString())
    if (knownHosts === undefined) throw new UsageError(`the known_hosts file ${khPath} (spec.ssh.knownHostsFile) is not in the commit ${commit.slice(0, 12)}: pin the nodes' host keys there and commit it`)
    const targets: SshTarget[] = cluster.nodes.map((n) => ({node: n.name, host: n.address, port: n.port, user: cluster.ssh.user, privateKey, knownHosts, knownHostsFile: khPath, connectTimeoutMs: cluster.ssh.connectTimeout * 1000}))
    const persist = opts.persist !== false && cluster.ssh.controlPersist > 0
    if (persist) {
      const socket = muxSocket(targets)
      const kept = await muxConnections(socket, cluster)
      if (kept) return kept
      startMux(socket, {targets, idleMs: cluster.ssh.controlPersist * 1000})
    }
    const {SshTransport} = await preloadSsh()
    const nodes = new Map<string, Promise<NodeConnection>>()
    for (const target of targets) {
      const n = {name: target.node}
      nodes.set(
        n.name,
        SshTransport.connect(target).then(
          (transport): NodeConnection => ({transport}),
          (err: Error): NodeConnection => ({unreachable: err instanceof NodeUnreachableError ? err.reason : err.message}),
        ),
      )
    }
    return {nodes, close: () => closeAll(nodes)}
  }
}

export async function closeAll(nodes: Map<string, Promise<NodeConnection>>): Promise<void> {
  await Promise.all([...nodes.values()].map(async (p) => {
    const c = await p
    if ('transport' in c) await c.transport.close()
  }))
}
