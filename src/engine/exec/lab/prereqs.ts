// What `kgit lab` needs on the host, and one line telling how to get what is missing.
import {constants} from 'node:fs'
import {access, open} from 'node:fs/promises'
import path from 'node:path'
import {UsageError} from '../../errors.js'

/** A thing the lab needs: a command on PATH or a file at one of `paths`, and its Debian package. */
export interface Prereq {
  name: string
  pkg: string
  /** Absolute candidates; when absent, `name` is looked up on PATH (plus the sbin dirs). */
  paths?: string[]
}

export const BUSYBOX = '/bin/busybox'
export const SSHD = '/usr/sbin/sshd'

export const PREREQS: Prereq[] = [
  {name: 'sshd', pkg: 'openssh-server', paths: [SSHD]},
  {name: 'ssh-keygen', pkg: 'openssh-client'},
  {name: 'podman', pkg: 'podman'},
  {name: 'runc', pkg: 'runc'},
  {name: 'iptables', pkg: 'iptables'},
  {name: 'ip', pkg: 'iproute2'},
  {name: 'nsenter', pkg: 'util-linux'},
  {name: 'git', pkg: 'git'},
  {name: 'tar', pkg: 'tar'},
  {name: 'pgrep', pkg: 'procps'},
  // podman builds its pod infra image from catatonit, and the node config asks for netavark.
  {name: 'catatonit', pkg: 'catatonit', paths: ['/usr/libexec/podman/catatonit', '/usr/bin/catatonit']},
  {name: 'netavark', pkg: 'netavark', paths: ['/usr/lib/podman/netavark', '/usr/libexec/podman/netavark']},
]

/** The one line printed when things are missing, e.g. `missing: sshd, podman — install with: apt-get install -y openssh-server podman`. */
export function missingMessage(missing: Prereq[]): string {
  const pkgs = [...new Set(missing.map((m) => m.pkg))]
  return `missing: ${missing.map((m) => m.name).join(', ')} — install with: apt-get install -y ${pkgs.join(' ')}`
}

/**
 * True for an ELF executable without a PT_INTERP program header (statically linked).
 * `head` must hold the ELF header and the program header table.
 */
export function isStaticElf(head: Buffer): boolean {
  if (head.length < 64 || head.readUInt32BE(0) !== 0x7f454c46) return false
  const is64 = head[4] === 2
  const le = head[5] === 1
  const u16 = (o: number) => (le ? head.readUInt16LE(o) : head.readUInt16BE(o))
  const u32 = (o: number) => (le ? head.readUInt32LE(o) : head.readUInt32BE(o))
  const phoff = is64 ? Number(le ? head.readBigUInt64LE(0x20) : head.readBigUInt64BE(0x20)) : u32(0x1c)
  const phentsize = u16(is64 ? 0x36 : 0x2a)
  const phnum = u16(is64 ? 0x38 : 0x2c)
  if (phnum === 0 || phoff + phentsize * phnum > head.length) return false
  for (let i = 0; i < phnum; i++) {
    if (u32(phoff + i * phentsize) === 3) return false // PT_INTERP: needs a dynamic loader
  }
  return true
}

async function executable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  )
}

async function found(p: Prereq): Promise<boolean> {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/local/sbin', '/usr/sbin', '/sbin']
  const candidates = p.paths ?? dirs.map((d) => path.join(d, p.name))
  for (const c of candidates) if (await executable(c)) return true
  return false
}

async function staticBusybox(): Promise<boolean> {
  const fh = await open(BUSYBOX, 'r').catch(() => undefined)
  if (!fh) return false
  try {
    const {buffer, bytesRead} = await fh.read(Buffer.alloc(65536), 0, 65536, 0)
    return isStaticElf(buffer.subarray(0, bytesRead))
  } finally {
    await fh.close()
  }
}

/** Throws a UsageError unless running as root with every tool the lab uses installed. */
export async function checkPrereqs(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new UsageError('kgit lab must run as root: it creates network namespaces, a bridge and sshd processes (try: sudo kgit lab ...)')
  }
  const checks = await Promise.all(PREREQS.map(async (p) => ((await found(p)) ? undefined : p)))
  const missing = checks.filter((p): p is Prereq => p !== undefined)
  if (!(await staticBusybox())) missing.push({name: 'busybox', pkg: 'busybox-static'})
  if (missing.length > 0) throw new UsageError(missingMessage(missing))
}
