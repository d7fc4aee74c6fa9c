// `kgit lab up`: record the lab, then build it: files and keys, network, sshd, image, repository.
import {mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {UsageError} from '../../errors.js'
import {containersConf, sshdConfig, storageConf, sshdPaths} from './lab-config.js'
import {allSettled} from './lab-exec.js'
import {buildImageTar, loadImage} from './lab-image.js'
import {withLabLock} from './lab-lock.js'
import {createBridge, createNodeNet, hostRoutes, labLinks, labNetnsNames} from './lab-net.js'
import {checkRepoDir, writeRepo} from './lab-repo.js'
import {keygen, startSshd, waitForSshd} from './lab-sshd.js'
import type {LabNode, LabState} from './lab-state.js'
import {LAB_IMAGE, checkLabName, labRoot, labStateDir, labStateFile, newLabState, parseLabState, saveLabState} from './lab-state.js'
import {chooseAddressing} from './lab-subnet.js'
import {checkPrereqs} from './prereqs.js'
import {labDown} from './lab-down.js'

export interface LabUpOptions {
  name: string
  nodes: number
  dir: string
  subnet: string
  force?: boolean
}

/** The most nodes one lab holds: a /24 slice, so that each node's last octet (and pod subnet) is unique. */
export const MAX_LAB_NODES = 253

function checkUpOptions(opts: LabUpOptions): void {
  checkLabName(opts.name)
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > MAX_LAB_NODES) {
    throw new UsageError(`--nodes must be between 1 and ${MAX_LAB_NODES}, got ${opts.nodes}`)
  }
  // Paths go unquoted into sshd_config (SetEnv, HostKey...).
  if (!/^[A-Za-z0-9_./+@-]+$/.test(labStateDir(opts.name))) {
    throw new UsageError(`lab state dir ${labStateDir(opts.name)} must not contain spaces or quotes (set KGIT_LAB_ROOT)`)
  }
}

/**
 * Creates lab `name`: a bridge, one netns per node with its own sshd and podman, the
 * busybox image on every node, and a committed GitOps repository in `dir`.
 * `state.json` is written before any resource exists, so `labDown` can always clean up.
 */
export async function labUp(opts: LabUpOptions, log: (line: string) => void): Promise<LabState> {
  const started = Date.now()
  checkUpOptions(opts)
  await checkPrereqs()
  const repoDir = path.resolve(opts.dir)
  await checkRepoDir(repoDir, opts.force ?? false)
  const state = await withLabLock(() => reserveLab(opts, repoDir))
  log(`lab ${state.name}: ${state.nodes.length} node(s) in ${state.subnet}, bridge ${state.bridge} ${state.gateway}`)
  try {
    await buildLab(state, log)
  } catch (error) {
    log(`lab ${state.name}: failed, removing what was created`)
    await labDown({name: state.name}, () => {}).catch((e: Error) => log(`cleanup failed (${e.message}); run: kgit lab down --name ${state.name}`))
    throw error
  }
  state.phase = 'up'
  await saveLabState(state)
  summary(state, (Date.now() - started) / 1000, log)
  return state
}

/** Refuses an existing lab (or its leftovers), picks a free slice and records the new lab. */
async function reserveLab(opts: LabUpOptions, repoDir: string): Promise<LabState> {
  const stateDir = labStateDir(opts.name)
  const down = `run: kgit lab down --name ${opts.name}`
  if (await stat(stateDir).catch(() => undefined)) throw new UsageError(`lab ${opts.name} is already up (${stateDir}); ${down}`)
  const leftovers = [...(await labLinks(opts.name)), ...(await labNetnsNames(opts.name))]
  if (leftovers.length > 0) throw new UsageError(`leftovers of lab ${opts.name} exist (${leftovers.join(', ')}); ${down}`)
  const taken = await otherLabSubnets()
  const addressing = chooseAddressing({within: opts.subnet, nodes: opts.nodes, routes: await hostRoutes(), taken})
  const state = {...newLabState({name: opts.name, stateDir, repoDir, ...addressing}), pid: process.pid}
  await saveLabState(state)
  return state
}

/** Slices recorded by other labs, even ones whose bridge does not exist yet. */
async function otherLabSubnets(): Promise<string[]> {
  const names = await readdir(labRoot()).catch(() => [] as string[])
  const subnets = await Promise.all(
    names.map(async (n) => {
      const file = labStateFile(path.join(labRoot(), n))
      const text = await readFile(file, 'utf8').catch(() => undefined)
      try {
        return text === undefined ? undefined : parseLabState(text, file).subnet
      } catch {
        return undefined // a broken lab still shows up by its bridge route, if it has one
      }
    }),
  )
  return subnets.filter((s): s is string => s !== undefined)
}

async function buildLab(state: LabState, log: (line: string) => void): Promise<void> {
  const hostKeys = await prepareFiles(state)
  await createBridge(state)
  await allSettled(state.nodes, (n, i) => createNodeNet(state, n, i + 1))
  log(`network: ${state.nodes.map((n) => `${n.netns} ${n.address}`).join(', ')}`)
  const [tar] = await Promise.all([
    buildImageTar(state.stateDir),
    allSettled(state.nodes, async (n) => {
      await startSshd(n)
      await waitForSshd(n)
    }),
  ])
  log(`sshd: listening on ${state.nodes.map((n) => `${n.address}:22`).join(', ')}`)
  await allSettled(state.nodes, (n) => loadImage(state, n.name, tar))
  log(`image: ${LAB_IMAGE} loaded on ${state.nodes.length} node(s)`)
  await writeRepo(state, hostKeys)
  log(`repo: ${state.repoDir} (kgit.yaml, known_hosts, first commit on main)`)
}

/** Keys and config files; returns each node's host public key. */
async function prepareFiles(state: LabState): Promise<Map<string, string>> {
  const clientPub = await keygen(state.keyFile, `kgit-lab-${state.name}`)
  await writeFile(path.join(state.stateDir, 'authorized_keys'), clientPub + '\n', {mode: 0o600})
  const keys = await allSettled(state.nodes, (n) => prepareNode(state, n))
  return new Map(state.nodes.map((n, i) => [n.name, keys[i] ?? '']))
}

async function prepareNode(state: LabState, node: LabNode): Promise<string> {
  await Promise.all(['storage', 'run', 'tmp', 'net', 'home'].map((d) => mkdir(path.join(node.dir, d), {recursive: true})))
  const authorizedKeys = path.join(state.stateDir, 'authorized_keys')
  await writeFile(path.join(node.dir, 'containers.conf'), containersConf(node.dir, node.podSubnet))
  await writeFile(path.join(node.dir, 'storage.conf'), storageConf(node.dir))
  await writeFile(path.join(node.dir, 'sshd_config'), sshdConfig({node: node.name, address: node.address, nodeDir: node.dir, authorizedKeys}))
  return keygen(sshdPaths(node.dir).hostKey, `root@${node.name}.${state.name}`)
}

function summary(state: LabState, seconds: number, log: (line: string) => void): void {
  log(`lab ${state.name} is up (${seconds.toFixed(1)} s):`)
  for (const n of state.nodes) log(`  ${n.name.padEnd(5)} ${n.address.padEnd(15)} pods ${n.podSubnet}`)
  log(`repo: ${state.repoDir}`)
  log(`ssh:  ssh -i ${state.keyFile} -o UserKnownHostsFile=${path.join(state.repoDir, 'known_hosts')} root@${state.nodes[0]?.address}`)
  log(`next: cd ${state.repoDir} && kgit apply`)
}
