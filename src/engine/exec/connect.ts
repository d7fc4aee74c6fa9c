import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {isAbsolute, resolve} from 'node:path'
import {NodeUnreachableError, UsageError} from '../errors.js'
import type {ClusterSpec} from '../types.js'
import type {GitSource} from './git-source.js'
import {SshTransport} from './ssh-transport.js'
import type {Transport} from './transport.js'

export interface Connections {
  transports: Map<string, Transport>
  unreachable: Map<string, string>
  close(): Promise<void>
}

/** How kgit reaches nodes; tests and the simulated fleet pass their own. */
export type Connector = (cluster: ClusterSpec) => Promise<Connections>

export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? resolve(homedir(), p.slice(2)) : p
}

/**
 * SSH to every node at once (handshakes rate-limited), host keys checked against
 * the known_hosts file pinned in the same commit. A node that fails is recorded,
 * not fatal: the others are still converged.
 */
export function sshConnector(source: GitSource, commit: string): Connector {
  return async (cluster) => {
    const keyPath = expandHome(cluster.ssh.identityFile)
    const privateKey = await readFile(isAbsolute(keyPath) ? keyPath : resolve(source.root, keyPath)).catch((err: Error) => {
      throw new UsageError(`cannot read the SSH identity file ${keyPath} (spec.ssh.identityFile in kgit.yaml): ${err.message}`, {cause: err})
    })
    const khPath = cluster.ssh.knownHostsFile
    const knownHosts = isAbsolute(expandHome(khPath))
      ? await readFile(expandHome(khPath), 'utf8').catch(() => undefined)
      : (await source.readFile(commit, khPath))?.content.toString()
    if (knownHosts === undefined) throw new UsageError(`the known_hosts file ${khPath} (spec.ssh.knownHostsFile) is not in the commit ${commit.slice(0, 12)}: pin the nodes' host keys there and commit it`)
    const transports = new Map<string, Transport>()
    const unreachable = new Map<string, string>()
    await Promise.all(
      cluster.nodes.map(async (n) => {
        try {
          transports.set(n.name, await SshTransport.connect({node: n.name, host: n.address, port: n.port, user: cluster.ssh.user, privateKey, knownHosts, knownHostsFile: khPath, connectTimeoutMs: cluster.ssh.connectTimeout * 1000}))
        } catch (err) {
          unreachable.set(n.name, err instanceof NodeUnreachableError ? err.reason : (err as Error).message)
        }
      }),
    )
    return {transports, unreachable, close: async () => void (await Promise.all([...transports.values()].map((t) => t.close())))}
  }
}
