// The lab's only image: static busybox, built locally (no registry is needed or reachable).
import {chmod, copyFile, mkdir, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {run} from './lab-exec.js'
import type {LabState} from './lab-state.js'
import {LAB_IMAGE, labNodeCommand} from './lab-state.js'
import {BUSYBOX} from './prereqs.js'

/** Applet names from `busybox --list`, minus anything that would not be a plain file name. */
export function appletNames(list: string): string[] {
  return list
    .split('\n')
    .map((l) => l.trim())
    .filter((a) => /^[A-Za-z0-9_.[\]-]+$/.test(a) && a !== 'busybox' && a !== '.' && a !== '..')
}

/** Builds `busybox.tar` in the lab's state dir: /bin/busybox, one symlink per applet, passwd, group. */
export async function buildImageTar(stateDir: string): Promise<string> {
  const root = path.join(stateDir, 'image')
  const tar = path.join(stateDir, 'busybox.tar')
  await rm(root, {recursive: true, force: true})
  await Promise.all(['bin', 'etc', 'tmp', 'root', 'proc', 'sys', 'dev'].map((d) => mkdir(path.join(root, d), {recursive: true})))
  await chmod(path.join(root, 'tmp'), 0o1777)
  await copyFile(BUSYBOX, path.join(root, 'bin', 'busybox'))
  await chmod(path.join(root, 'bin', 'busybox'), 0o755)
  const applets = appletNames(await run(BUSYBOX, ['--list']))
  await Promise.all(applets.map((a) => symlink('busybox', path.join(root, 'bin', a))))
  await writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n')
  await writeFile(path.join(root, 'etc', 'group'), 'root:x:0:\n')
  await run('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', tar, '.'])
  await rm(root, {recursive: true, force: true})
  return tar
}

/**
 * Imports the image into one node's podman storage, then has podman build its local
 * infra (pause) image by making and removing a pod, so the node's first real pod does
 * not pay for that build.
 */
export async function loadImage(state: LabState, node: string, tar: string): Promise<void> {
  for (const argv of [
    ['podman', 'import', '--quiet', '--change', 'CMD ["sh"]', tar, LAB_IMAGE],
    ['podman', 'pod', 'create', '--name', 'kgit-lab-warmup'],
    ['podman', 'pod', 'rm', '--force', 'kgit-lab-warmup'],
  ]) {
    const cmd = labNodeCommand(state, node, argv)
    await run(cmd.file, cmd.args, {env: cmd.env})
  }
}
