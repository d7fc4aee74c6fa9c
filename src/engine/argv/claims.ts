import {posix} from 'node:path'
import type {ClaimMount, DesiredPod, HostPathType} from '../types.js'

/** Where kgit keeps a provisioned claim's data on a node (local-path). */
export function provisionedDir(dataDir: string, namespace: string, claim: string): string {
  return posix.join(dataDir, 'volumes', namespace, claim)
}

/** A claim's mark on a node: which volume it is bound to (facts read them back). */
export function claimMarkFile(dataDir: string, namespace: string, claim: string): string {
  return posix.join(dataDir, 'claims', namespace, claim)
}

/** Where an NFS volume is mounted on a node, once for every pod of the node that uses it. */
export function nfsMountPoint(dataDir: string, pv: string): string {
  return posix.join(dataDir, 'nfs', pv)
}

/** The path of the node that a claim volume bind-mounts. */
export function claimHostPath(m: ClaimMount, dataDir: string): string {
  const s = m.source
  if ('provisioned' in s) return provisionedDir(dataDir, m.mark.namespace, m.mark.claim)
  if ('nfs' in s) return nfsMountPoint(dataDir, m.pv)
  return 'local' in s ? s.local.path : s.hostPath.path
}

/** Runs `script` with its words as $1..: paths are never spliced into shell text. */
function sh(script: string, name: string, ...args: string[]): string[] {
  return ['sh', '-c', script, name, ...args]
}

/**
 * What a pod's claim volumes need before its containers start: the provisioned directory,
 * the NFS mount, a local volume's directory checked, then each claim's mark on the node.
 */
export function claimSteps(pod: DesiredPod, dataDir: string, hostPathSteps: (path: string, type: HostPathType) => string[][]): string[][] {
  const steps: string[][] = []
  const done = new Set<string>()
  for (const m of Object.values(pod.claims ?? {})) {
    if (done.has(m.claim)) continue
    done.add(m.claim)
    const path = claimHostPath(m, dataDir)
    const s = m.source
    if ('provisioned' in s) steps.push(['mkdir', '-p', '--', path])
    else if ('nfs' in s) steps.push(nfsMount(path, s.nfs))
    else if ('local' in s) steps.push(sh('test -d "$1" || { echo "local volume path $1 of PersistentVolume $2 is not a directory on this node" >&2; exit 1; }', 'kgit-local-pv', path, m.pv))
    else steps.push(...hostPathSteps(path, s.hostPath.type))
    steps.push(markWrite(dataDir, m))
  }
  return steps
}

/** Mounts an NFS export at its kgit mount point unless it is mounted already. */
export function nfsMount(mountPoint: string, nfs: {server: string; path: string; readOnly: boolean}): string[] {
  return sh('mkdir -p "$1" || exit 1; mountpoint -q "$1" && exit 0; mount -t nfs -o "$3" "$2" "$1"', 'kgit-nfs-mount', mountPoint, `${nfs.server}:${nfs.path}`, nfs.readOnly ? 'ro' : 'rw')
}

/** Writes a claim's mark (one line of JSON) when it differs from what the node holds. */
export function markWrite(dataDir: string, m: ClaimMount): string[] {
  const file = claimMarkFile(dataDir, m.mark.namespace, m.mark.claim)
  const script = 'mkdir -p "${1%/*}" || exit 1; IFS= read -r old <"$1" 2>/dev/null; [ "$old" = "$2" ] && exit 0; printf "%s\\n" "$2" >"$1.tmp" && mv -f "$1.tmp" "$1"'
  return sh(script, 'kgit-claim-mark', file, JSON.stringify(m.mark))
}

/**
 * Removes a claim from a node: its mark, and with `data` the directory kgit provisioned
 * for it (never a path kgit did not make).
 */
export function claimRemove(dataDir: string, namespace: string, claim: string, data: boolean): string[] {
  const files = [claimMarkFile(dataDir, namespace, claim), ...(data ? [provisionedDir(dataDir, namespace, claim)] : [])]
  return ['rm', '-rf', '--', ...files]
}
