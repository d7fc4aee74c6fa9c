// What a lab is made of, where its files live, and how to run a command "on" one of its nodes.
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {UsageError} from '../../errors.js'

/** One lab node: a network namespace with its own sshd and podman. */
export interface LabNode {
  /** `n1`, `n2`, ... */
  name: string
  /** Network namespace name, `kgit-LAB-nI` (see /run/netns). */
  netns: string
  /** The node's address on the lab bridge; sshd listens on ADDRESS:22. */
  address: string
  /** The node's files: podman config and storage, sshd config, host key, logs. */
  dir: string
  /** The podman default network of that node, `198.18.X.0/24` (X = last octet of `address`). */
  podSubnet: string
}

/** A lab as recorded in `state.json`. The file is written before any resource exists. */
export interface LabState {
  name: string
  stateDir: string
  /** The lab's slice as a CIDR, e.g. `198.51.100.0/29`. */
  subnet: string
  /** Prefix length of `subnet` (node addresses carry it too). */
  prefix: number
  /** The host's address on the lab bridge: the nodes' default route. */
  gateway: string
  /** Host bridge, `kb-LAB`. */
  bridge: string
  /** Absolute path of the GitOps repository `lab up` wrote. */
  repoDir: string
  /** Private key accepted by every node's sshd for root. */
  keyFile: string
  nodes: LabNode[]
  /** `creating` until `lab up` finished; a lab left in `creating` crashed or is being built. */
  phase?: 'creating' | 'up'
  /** Process id of the `lab up` that created it. */
  pid?: number
}

/** The image every node has once the lab is up. */
export const LAB_IMAGE = 'localhost/busybox:1.35'

export const LAB_NAME_RE = /^[a-z0-9]{1,8}$/

export function checkLabName(name: string): void {
  if (!LAB_NAME_RE.test(name)) throw new UsageError(`invalid lab name "${name}": use 1 to 8 characters out of a-z and 0-9`)
}

/** Where labs keep their state: `/var/lib/kgit/labs`, or `$KGIT_LAB_ROOT`. */
export function labRoot(): string {
  return path.resolve(process.env.KGIT_LAB_ROOT || '/var/lib/kgit/labs')
}

/** The state directory of lab `name`. */
export function labStateDir(name: string): string {
  checkLabName(name)
  return path.join(labRoot(), name)
}

export function labStateFile(stateDir: string): string {
  return path.join(stateDir, 'state.json')
}

/** Names of the host-side and namespace resources of a lab; all carry the lab's name. */
export const labNames = {
  bridge: (lab: string) => `kb-${lab}`,
  veth: (lab: string, index: number) => `kv-${lab}-${index}`,
  netns: (lab: string, node: string) => `kgit-${lab}-${node}`,
  netnsPath: (netns: string) => `/run/netns/${netns}`,
}

/**
 * The environment of a node's sessions: podman pointed at the node's own config, storage
 * and temp dir, and a home of its own, so the host's ~/.bashrc (which bash sources for
 * every ssh command) neither slows nor changes what runs on the node.
 */
export function nodeEnv(nodeDir: string): Record<string, string> {
  return {
    CONTAINERS_CONF: path.join(nodeDir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: path.join(nodeDir, 'storage.conf'),
    TMPDIR: path.join(nodeDir, 'tmp'),
    HOME: path.join(nodeDir, 'home'),
  }
}

/** argv + env to run a command on a lab node locally, as its sshd would: nsenter into the netns with the node's podman env. */
export function labNodeCommand(state: LabState, node: string, argv: string[]): {file: string; args: string[]; env: Record<string, string>} {
  const n = state.nodes.find((x) => x.name === node)
  if (!n) throw new UsageError(`lab ${state.name} has no node ${node} (nodes: ${state.nodes.map((x) => x.name).join(', ')})`)
  if (argv.length === 0) throw new TypeError('empty argv')
  return {file: 'nsenter', args: [`--net=${labNames.netnsPath(n.netns)}`, '--', ...argv], env: nodeEnv(n.dir)}
}

/** Parses and checks `state.json`; a malformed file names itself. */
export function parseLabState(text: string, file: string): LabState {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON; remove the lab by hand or fix the file`, {cause: error})
  }
  const s = data as Partial<LabState>
  const strings = ['name', 'stateDir', 'subnet', 'gateway', 'bridge', 'repoDir', 'keyFile'] as const
  const bad: string[] = strings.filter((k) => typeof s[k] !== 'string')
  if (typeof s.prefix !== 'number') bad.push('prefix')
  if (!Array.isArray(s.nodes) || !s.nodes.every(isLabNode)) bad.push('nodes')
  if (bad.length > 0) throw new UsageError(`${file}: missing or invalid ${bad.join(', ')}`)
  return s as LabState
}

function isLabNode(n: unknown): n is LabNode {
  const x = n as Record<string, unknown>
  return typeof n === 'object' && n !== null && ['name', 'netns', 'address', 'dir', 'podSubnet'].every((k) => typeof x[k] === 'string')
}

/** Reads the state of lab `name`; undefined when it has none. */
export async function loadLabState(name: string): Promise<LabState | undefined> {
  const file = labStateFile(labStateDir(name))
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return parseLabState(text, file)
}

/** Writes `state.json` atomically, so a crash never leaves half a file. */
export async function saveLabState(state: LabState): Promise<void> {
  await mkdir(state.stateDir, {recursive: true, mode: 0o700})
  const file = labStateFile(state.stateDir)
  await writeFile(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n', {mode: 0o600})
  await rename(`${file}.tmp`, file)
}

/** The state of a new lab from its chosen addresses (pure: no resource exists yet). */
export function newLabState(opts: {name: string; stateDir: string; repoDir: string; subnet: string; prefix: number; gateway: string; addresses: string[]}): LabState {
  const nodes = opts.addresses.map((address, i): LabNode => {
    const name = `n${i + 1}`
    const lastOctet = address.split('.')[3]
    return {name, netns: labNames.netns(opts.name, name), address, dir: path.join(opts.stateDir, 'nodes', name), podSubnet: `198.18.${lastOctet}.0/24`}
  })
  return {
    name: opts.name,
    stateDir: opts.stateDir,
    subnet: opts.subnet,
    prefix: opts.prefix,
    gateway: opts.gateway,
    bridge: labNames.bridge(opts.name),
    repoDir: opts.repoDir,
    keyFile: path.join(opts.stateDir, 'id_ed25519'),
    nodes,
    phase: 'creating',
  }
}
