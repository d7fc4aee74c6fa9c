// The lab's network on the host: a bridge, and per node a netns joined to it by a veth pair.
import {access} from 'node:fs/promises'
import type {LabNode, LabState} from './lab-state.js'
import {labNames} from './lab-state.js'
import {parseRoutes, type HostRoute} from './lab-subnet.js'
import {LabCommandError, run, tryRun} from './lab-exec.js'

/** Every IPv4 route of the host, all tables. */
export async function hostRoutes(): Promise<HostRoute[]> {
  return parseRoutes(await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all']))
}

/** `ip -batch`: several link/addr/route changes in one process, stopping at the first error. */
async function ipBatch(lines: string[], netns?: string): Promise<void> {
  const ns = netns ? ['-n', netns] : []
  await run('ip', [...ns, '-batch', '-'], {input: lines.join('\n') + '\n'})
}

/** The host bridge with the gateway address. */
export async function createBridge(state: LabState): Promise<void> {
  await ipBatch([
    `link add ${state.bridge} type bridge`,
    `addr add ${state.gateway}/${state.prefix} dev ${state.bridge}`,
    `link set ${state.bridge} up`,
  ])
}

/** A node's netns: eth0 on the bridge with its address, lo up, default route via the host, forwarding on. */
export async function createNodeNet(state: LabState, node: LabNode, index: number): Promise<void> {
  const veth = labNames.veth(state.name, index)
  await ipBatch([
    `netns add ${node.netns}`,
    `link add ${veth} type veth peer name eth0 netns ${node.netns}`,
    `link set ${veth} master ${state.bridge} up`,
  ])
  await ipBatch(
    [
      `addr add ${node.address}/${state.prefix} dev eth0`,
      'link set eth0 up',
      'link set lo up',
      // A default route lets published ports (DNAT) answer clients anywhere on the host.
      `route add default via ${state.gateway}`,
    ],
    node.netns,
  )
  await run('nsenter', [`--net=${labNames.netnsPath(node.netns)}`, '--', 'sysctl', '-qw', 'net.ipv4.ip_forward=1'])
}

export async function netnsExists(netns: string): Promise<boolean> {
  return access(labNames.netnsPath(netns)).then(
    () => true,
    () => false,
  )
}

/** Network namespaces named for lab `lab`: `kgit-LAB-*` (lab names hold no `-`, so the prefix is the lab's alone). */
export async function labNetnsNames(lab: string): Promise<string[]> {
  const out = await run('ip', ['-j', 'netns', 'list'])
  const list = JSON.parse(out || '[]') as {name: string}[]
  const re = new RegExp(`^kgit-${lab}-[^/]+$`)
  return list.map((n) => n.name).filter((n) => re.test(n))
}

/** Removes a netns; one that is already gone is fine. */
export async function deleteNetns(netns: string): Promise<boolean> {
  if (!(await netnsExists(netns))) return false
  await run('ip', ['netns', 'del', netns])
  return true
}

/** Host links named for lab `lab`: its bridge and the host ends of its veth pairs. */
export async function labLinks(lab: string): Promise<string[]> {
  const out = await run('ip', ['-j', 'link', 'show'])
  const links = JSON.parse(out || '[]') as {ifname: string}[]
  const veth = new RegExp(`^kv-${lab}-\\d+$`)
  return links.map((l) => l.ifname).filter((n) => n === labNames.bridge(lab) || veth.test(n))
}

/** Deletes a link; one that vanished meanwhile (a veth goes with its peer) is fine. */
export async function deleteLink(ifname: string): Promise<void> {
  const argv = ['ip', 'link', 'del', ifname]
  const r = await tryRun('ip', argv.slice(1))
  if (!r.ok && !/Cannot find device|does not exist/.test(r.stderr)) throw new LabCommandError(argv, r.exitCode, r.stderr)
}
