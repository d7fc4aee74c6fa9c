// `kgit lab down`: remove exactly what `lab up` created, tolerating pieces already gone.
import {readdir, readFile, rm, stat} from 'node:fs/promises'
import path from 'node:path'
import {UsageError} from '../../errors.js'
import {tryRun} from './lab-exec.js'
import {deleteLink, deleteNetns, labLinks, labNetnsNames, netnsExists} from './lab-net.js'
import {pidFromFile, pidsInNetns, pidsMentioning, stopProcesses, unmountUnder} from './lab-procs.js'
import type {LabState} from './lab-state.js'
import {checkLabName, labNames, labStateDir, loadLabState, nodeEnv} from './lab-state.js'
import {sshdPaths} from './lab-config.js'

/** What down works from: node directories on disk, whether or not state.json made it there. */
interface NodeRef {
  name: string
  netns: string
  dir: string
}

async function nodeRefs(lab: string, stateDir: string, state: LabState | undefined): Promise<NodeRef[]> {
  const dirs = await readdir(path.join(stateDir, 'nodes')).catch(() => [] as string[])
  const names = new Set([...(state?.nodes.map((n) => n.name) ?? []), ...dirs.filter((d) => /^n\d+$/.test(d))])
  return [...names].map((name) => ({name, netns: labNames.netns(lab, name), dir: path.join(stateDir, 'nodes', name)}))
}

async function readState(name: string, log: (line: string) => void): Promise<LabState | undefined> {
  try {
    return await loadLabState(name)
  } catch (error) {
    log(`warning: ${(error as Error).message}; removing by name`)
    return undefined
  }
}

/** Removes lab `name`: containers, processes, namespaces, links, mounts, state dir. Never the repository. */
export async function labDown(opts: {name: string}, log: (line: string) => void): Promise<void> {
  checkLabName(opts.name)
  if (process.getuid?.() !== 0) throw new UsageError('kgit lab down must run as root (try: sudo kgit lab down ...)')
  const stateDir = labStateDir(opts.name)
  const state = await readState(opts.name, log)
  const nodes = await nodeRefs(opts.name, stateDir, state)
  const strayNetns = await labNetnsNames(opts.name)
  const links = await labLinks(opts.name)
  const hasDir = (await stat(stateDir).catch(() => undefined)) !== undefined
  const orphans = hasDir ? [] : await pidsMentioning(stateDir)
  if (!hasDir && strayNetns.length === 0 && links.length === 0 && orphans.length === 0) {
    log(`lab ${opts.name} is not up; nothing to do`)
    return
  }
  for (const line of await Promise.all(nodes.map(removeContainers))) if (line) log(line)
  const stopped = await stopLabProcesses(stateDir, nodes)
  const netns = [...new Set([...nodes.map((n) => n.netns), ...strayNetns])]
  const deleted = (await Promise.all(netns.map(deleteNetns))).filter(Boolean).length
  const leftLinks = await labLinks(opts.name)
  for (const l of leftLinks) await deleteLink(l)
  const unmounted = await unmountUnder(stateDir)
  await rm(stateDir, {recursive: true, force: true})
  log(`lab ${opts.name}: stopped ${stopped} process(es), deleted ${deleted} netns, ${leftLinks.length} link(s), ${unmounted} mount(s), ${stateDir}`)
  if (state) log(`the repository ${state.repoDir} is left as it is`)
}

/** All pods and containers of one node, through its own podman in its netns; then runc for any survivor. */
async function removeContainers(node: NodeRef): Promise<string | undefined> {
  const hasDb = (await stat(path.join(node.dir, 'storage', 'libpod')).catch(() => undefined)) !== undefined
  let line: string | undefined
  // Without its netns, podman's network teardown would run in the host's namespace: never do that.
  if (hasDb && (await netnsExists(node.netns))) {
    const env = nodeEnv(node.dir)
    const ns = `--net=${labNames.netnsPath(node.netns)}`
    const pods = await tryRun('nsenter', [ns, '--', 'podman', 'pod', 'rm', '-a', '-f', '-t', '0'], {env})
    const ctrs = await tryRun('nsenter', [ns, '--', 'podman', 'rm', '-a', '-f', '-t', '0'], {env})
    const count = (s: string) => s.split('\n').filter(Boolean).length
    const errors = [pods, ctrs].filter((r) => !r.ok).map((r) => r.stderr.trim().split('\n').pop())
    line = `${node.name}: removed ${count(pods.stdout)} pod(s), ${count(ctrs.stdout)} container(s)${errors.length ? ` (podman: ${errors.join('; ')})` : ''}`
  }
  const swept = await runcSweep(node)
  if (swept > 0) line = `${line ?? node.name + ':'} deleted ${swept} container(s) podman could not remove (runc)`
  return line
}

/** Containers of this node that runc still knows (e.g. podman's database was lost): delete them and their netns. */
async function runcSweep(node: NodeRef): Promise<number> {
  const root = path.join(node.dir, 'storage', 'overlay-containers')
  const ids = (await readdir(root).catch(() => [] as string[])).filter((id) => /^[0-9a-f]{64}$/.test(id))
  let deleted = 0
  for (const id of ids) {
    if (await stat(`/run/runc/${id}`).catch(() => undefined)) {
      await tryRun('runc', ['delete', '--force', id])
      deleted++
    }
    const netnsPath = await containerNetns(path.join(root, id, 'userdata', 'config.json'))
    if (netnsPath) await deleteNetns(path.basename(netnsPath))
  }
  return deleted
}

/** The podman-made netns (`/run/netns/netns-UUID`) an OCI config joins, if any. */
async function containerNetns(configFile: string): Promise<string | undefined> {
  const text = await readFile(configFile, 'utf8').catch(() => undefined)
  if (!text) return undefined
  const spec = JSON.parse(text) as {linux?: {namespaces?: {type: string; path?: string}[]}}
  const p = spec.linux?.namespaces?.find((n) => n.type === 'network')?.path
  return p && /^\/run\/netns\/netns-[0-9a-f-]+$/.test(p) ? p : undefined
}

/** sshd (pid file and command line), its sessions, conmon: everything in the lab's netns or naming its dir. */
async function stopLabProcesses(stateDir: string, nodes: NodeRef[]): Promise<number> {
  const inNetns = await pidsInNetns(nodes.map((n) => labNames.netnsPath(n.netns)))
  const fromFiles = await Promise.all(nodes.map((n) => pidFromFile(sshdPaths(n.dir).pidFile, stateDir + '/')))
  const pids = new Set([...inNetns, ...fromFiles.filter((p): p is number => p !== undefined), ...(await pidsMentioning(stateDir))])
  await stopProcesses([...pids])
  return pids.size
}
