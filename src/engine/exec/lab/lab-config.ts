// Pure renderers for the files a lab writes: podman and sshd config per node, and the repo skeleton.
import path from 'node:path'
import type {LabState} from './lab-state.js'
import {nodeEnv} from './lab-state.js'

/** TOML basic strings share JSON's escapes for the characters a path can hold. */
const toml = (s: string): string => JSON.stringify(s)

/** containers.conf of one node: its own runtime dirs, lock files and default pod network. */
export function containersConf(nodeDir: string, podSubnet: string): string {
  return `# kgit lab node: podman here sees only this node's storage, state and networks.
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = ${toml(path.join(nodeDir, 'run', 'libpod'))}
# Lock files under tmp_dir rather than the host-wide /dev/shm/libpod_lock: nodes never
# share lock numbers, and removing a node's directory frees its locks.
lock_type = "file"

[network]
network_backend = "netavark"
network_config_dir = ${toml(path.join(nodeDir, 'net'))}
default_subnet = ${toml(podSubnet)}
`
}

export function storageConf(nodeDir: string): string {
  return `[storage]
driver = "overlay"
graphroot = ${toml(path.join(nodeDir, 'storage'))}
runroot = ${toml(path.join(nodeDir, 'run', 'storage'))}
`
}

/** Files of one node's sshd. */
export function sshdPaths(nodeDir: string): {config: string; hostKey: string; pidFile: string; log: string} {
  return {
    config: path.join(nodeDir, 'sshd_config'),
    hostKey: path.join(nodeDir, 'ssh_host_ed25519_key'),
    pidFile: path.join(nodeDir, 'sshd.pid'),
    log: path.join(nodeDir, 'sshd.log'),
  }
}

/** sshd_config of one node. Paths must hold no whitespace (checked when the lab is created). */
export function sshdConfig(opts: {node: string; address: string; nodeDir: string; authorizedKeys: string}): string {
  const p = sshdPaths(opts.nodeDir)
  const env = Object.entries(nodeEnv(opts.nodeDir)).map(([k, v]) => `${k}=${v}`)
  return [
    `# kgit lab node ${opts.node}: every session sees this node's podman only.`,
    `ListenAddress ${opts.address}:22`,
    `HostKey ${p.hostKey}`,
    `PidFile ${p.pidFile}`,
    `AuthorizedKeysFile ${opts.authorizedKeys}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'MaxSessions 10',
    // kgit opens connections to all nodes at once, and tests run several kgit processes.
    'MaxStartups 100:30:200',
    'PrintMotd no',
    'Subsystem sftp internal-sftp',
    `SetEnv ${env.join(' ')}`,
    '',
  ].join('\n')
}

/** One known_hosts line from a host key's `.pub` text (its comment dropped). */
export function knownHostsLine(address: string, pubKey: string): string {
  const [type, key] = pubKey.trim().split(/\s+/)
  if (!type || !key) throw new TypeError(`not an OpenSSH public key: ${pubKey.slice(0, 40)}`)
  return `${address} ${type} ${key}`
}

/**
 * The lab's pod and service ranges, apart from every other lab's: labs share this
 * machine's /run/containers/networks (podman's address book of its networks), so two labs
 * with the same pod range would hand out each other's addresses. Each /29 of the lab
 * subnet's /24 owns a /21 of 198.19.0.0/16 (a /27 a /19...): pods in its first half,
 * services in its second.
 */
export function labRanges(subnet: string): {podCIDR: string; serviceCIDR: string; nodeCIDRMaskSize: number} {
  const [base, bits] = subnet.split('/')
  const last = Number(base!.split('.')[3])
  const prefix = Math.min(29, Math.max(24, Number(bits)))
  const blocks = 2 ** (29 - prefix)
  const start = (Math.floor(last / 8) & ~(blocks - 1)) * 8
  const size = 21 - Math.log2(blocks)
  const half = 2 ** (32 - size) / 2 / 256
  return {podCIDR: `198.19.${start}.0/${size + 1}`, serviceCIDR: `198.19.${start + half}.0/${size + 1}`, nodeCIDRMaskSize: 25}
}

/** kgit.yaml of the lab's repository. */
export function clusterYaml(state: LabState): string {
  const ranges = labRanges(state.subnet)
  // Lab nodes share this machine's file system: each gets its own dataDir.
  const nodes = state.nodes.map((n) => `    - name: ${n.name}\n      address: ${n.address}\n      dataDir: ${n.dir}/data\n`).join('')
  return `# Written by \`kgit lab up\`: lab "${state.name}", nodes are network namespaces on this
# machine, each with its own sshd and podman. Remove them with \`kgit lab down --name ${state.name}\`.
apiVersion: kgit.dev/v1alpha1
kind: Cluster
metadata:
  name: ${state.name}
spec:
  manifests: [manifests]
  ssh:
    user: root
    identityFile: ${state.keyFile}
    knownHostsFile: known_hosts
  runtime: podman
  network:
    podCIDR: ${ranges.podCIDR}
    serviceCIDR: ${ranges.serviceCIDR}
    nodeCIDRMaskSize: ${ranges.nodeCIDRMaskSize}
    clusterDomain: cluster.local
  nodes:
${nodes}`
}

export const REPO_GITIGNORE = `# editor and OS droppings
*.swp
*~
.DS_Store
`
