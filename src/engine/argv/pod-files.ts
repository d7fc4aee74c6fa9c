import {createHash} from 'node:crypto'
import {posix} from 'node:path'
import {podmanPodName} from '../marks.js'
import {Redacted} from '../redacted.js'
import type {ContainerSpec, DesiredPod, PodFiles, PodSpec, SecretBytes, VolumeMount} from '../types.js'
import {filesHashLine} from '../plan/pod-files.js'
import {SA_MOUNT, SA_VOLUME} from '../plan/service-account-token.js'

/** The tmpfs under a node's dataDir that holds every pod's configMap and secret files (root-only: mode 0700). */
export function podFilesRoot(dataDir: string): string {
  return posix.join(dataDir, 'pod-files')
}

/** One pod's files: `hash`, `vol/VOLUME/` (kubelet's layout), `env/CONTAINER`, `sub/` (subPath copies). */
export function podFilesDir(dataDir: string, namespace: string, name: string): string {
  return posix.join(podFilesRoot(dataDir), podmanPodName(namespace, name))
}

/**
 * Writes a pod's files from stdin (filesPayload): the values never appear in argv. Each
 * volume gets a fresh `..TIME` directory; the `..data` symlink is swapped to it with one
 * rename, and every top-level name is a symlink through `..data`, as the kubelet does: a
 * container that bind-mounts the volume's directory sees the new files at once, all
 * together. `start` begins from an empty directory and makes the subPath copies, which
 * (as in Kubernetes) never change afterwards. The hash file is written last.
 */
const WRITE = `d=$1 pod=$2 mode=$3 fsg=$4 root=$1/pod-files
umask 077
mkdir -p "$root" || exit 1
if ! mountpoint -q "$root"; then mount -t tmpfs -o mode=0700 kgit-pod-files "$root" || exit 1; fi
chmod 700 "$root" || exit 1
p=$root/$pod
if [[ $mode == start ]]; then rm -rf "$p" || exit 1; fi
mkdir -p "$p/vol" "$p/env" "$p/sub" || exit 1
IFS= read -r hash || exit 1
ts=..\${EPOCHREALTIME/[.,]/_}
declare -A vols=()
while IFS=' ' read -r kind a b c e; do
  case $kind in
    v) umask 022; mkdir -p "$p/vol/$a/$ts" || exit 1; vols[$a]=1 ;;
    f) path=$(printf '%s' "$c" | base64 -d) || exit 1
       t=$p/vol/$a/$ts/$path
       umask 022; mkdir -p "\${t%/*}" || exit 1
       printf '%s' "$e" | base64 -d >"$t" && chmod "$b" "$t" || exit 1 ;;
    a) umask 077; printf '%s' "$a" | base64 -d >"$p/.auth.json.tmp" && mv -f "$p/.auth.json.tmp" "$p/auth.json" || exit 1 ;;
    e) umask 077; printf '%s' "$b" | base64 -d >"$p/env/.$a.tmp" && mv -f "$p/env/.$a.tmp" "$p/env/$a" || exit 1 ;;
    s) [[ $mode == start ]] || continue
       sub=$(printf '%s' "$b" | base64 -d) || exit 1
       umask 022; rm -rf "$p/sub/$c"; cp -RL -- "$p/vol/$a/$ts/$sub" "$p/sub/$c" 2>/dev/null || mkdir -p "$p/sub/$c" || exit 1
       if [[ -n $fsg ]]; then chgrp -R -- "$fsg" "$p/sub/$c" && chmod -R ug+rX -- "$p/sub/$c" || exit 1; fi ;;
  esac
done
for v in "\${!vols[@]}"; do
  dir=$p/vol/$v
  if [[ -n $fsg ]]; then chgrp -R -- "$fsg" "$dir/$ts" && chmod -R ug+rX -- "$dir/$ts" || exit 1; fi
  ln -sfn "$ts" "$dir/..data_tmp" && mv -Tf "$dir/..data_tmp" "$dir/..data" || exit 1
  shopt -s nullglob
  for f in "$dir/$ts"/* "$dir/$ts"/.[!.]*; do n=\${f##*/}; [[ -L $dir/$n || ! -e $dir/$n ]] && { ln -sfn "..data/$n" "$dir/$n.tmp" && mv -Tf "$dir/$n.tmp" "$dir/$n" || exit 1; }; done
  for f in "$dir"/* "$dir"/.[!.]*; do n=\${f##*/}; [[ -L $f && ! -e $dir/$ts/$n ]] && rm -f "$f"; done
  for f in "$dir"/..?*; do n=\${f##*/}; [[ $n == ..data || $n == "$ts" ]] || rm -rf "$f"; done
  shopt -u nullglob
done
printf '%s\\n' "$hash" >"$p/hash.tmp" && mv -f "$p/hash.tmp" "$p/hash"`

/**
 * `bash -c WRITE`, reading filesPayload() on stdin. With the pod's fsGroup, the volumes'
 * files belong to that group and are readable by it (the kubelet's ownership of read-only volumes).
 */
export function podFilesWrite(dataDir: string, pod: Pick<DesiredPod, 'namespace' | 'name'> & {spec?: PodSpec}, mode: 'start' | 'update'): string[] {
  const fsGroup = pod.spec?.securityContext?.fsGroup
  return ['bash', '-c', WRITE, 'kgit-pod-files', dataDir, podmanPodName(pod.namespace, pod.name), mode, ...(fsGroup === undefined ? [] : [String(fsGroup)])]
}

/** Whether kgit writes files for a pod of this spec (configMap or secret volumes, secret env). */
export function usesPodFiles(spec: PodSpec | undefined): boolean {
  return !!spec && ((spec.volumes ?? []).some((v) => 'configMap' in v || 'secret' in v) || spec.containers.some((c) => c.secretEnv?.length) || !!spec.imagePullSecrets?.length)
}

/** Removes a pod's files (after the pod is gone). Never fails. */
export function podFilesRemove(dataDir: string, namespace: string, name: string): string[] {
  return ['rm', '-rf', '--', podFilesDir(dataDir, namespace, name)]
}

/** The name of a subPath copy: one per volume and subPath (mounts of the same pair share it). */
export function subPathCopy(volume: string, subPath: string): string {
  return `${volume}.${createHash('sha256').update(subPath).digest('hex').slice(0, 12)}`
}

const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64')

/**
 * What podFilesWrite reads on stdin: the hash line, then one line per volume, file, env
 * file and subPath copy, every path and value in base64. Secret bytes stay wrapped.
 */
export function filesPayload(pod: DesiredPod, files: PodFiles): SecretBytes {
  const lines = [filesHashLine(files)]
  for (const v of files.volumes) {
    lines.push(`v ${v.name}`)
    for (const f of v.files) lines.push(`f ${v.name} ${f.mode.toString(8).padStart(4, '0')} ${b64(f.path)} ${b64(f.data instanceof Uint8Array ? f.data : f.data.reveal())}`)
  }
  for (const e of files.env) lines.push(`e ${e.container} ${b64(e.text.reveal())}`)
  if (files.auth) lines.push(`a ${b64(files.auth.reveal())}`)
  for (const s of subPathMounts(pod)) lines.push(`s ${s.volume} ${b64(s.subPath)} ${subPathCopy(s.volume, s.subPath)}`)
  return Redacted.fromText(lines.join('\n') + '\n')
}

function subPathMounts(pod: DesiredPod): {volume: string; subPath: string}[] {
  const files = new Set((pod.spec.volumes ?? []).filter((v) => 'configMap' in v || 'secret' in v).map((v) => v.name))
  const seen = new Map<string, {volume: string; subPath: string}>()
  for (const c of pod.spec.containers) for (const m of c.volumeMounts ?? []) if (m.subPath && files.has(m.name)) seen.set(subPathCopy(m.name, m.subPath), {volume: m.name, subPath: m.subPath})
  return [...seen.values()]
}

/** `--volume` of a configMap or secret volume: its directory (updated in place) or a subPath copy; always read-only. */
export function filesVolumeMount(dataDir: string, pod: Pick<DesiredPod, 'namespace' | 'name'>, m: VolumeMount): string[] {
  const dir = podFilesDir(dataDir, pod.namespace, pod.name)
  const src = m.subPath ? posix.join(dir, 'sub', subPathCopy(m.name, m.subPath)) : posix.join(dir, 'vol', m.name)
  return ['--volume', `${src}:${m.mountPath}:ro`]
}

/**
 * What podman reads from the pod's files on the node, never from argv: `--env-file` of a
 * container's secret variables, `--authfile` of the pod's image pull credentials.
 */
export function secretEnvArgs(dataDir: string, pod: Pick<DesiredPod, 'namespace' | 'name' | 'spec' | 'files'>, c: ContainerSpec): string[] {
  const dir = podFilesDir(dataDir, pod.namespace, pod.name)
  const out = c.secretEnv?.length ? ['--env-file', posix.join(dir, 'env', c.name)] : []
  if (pod.files?.auth) out.push('--authfile', posix.join(dir, 'auth.json'))
  // The service account token, where Kubernetes puts it, unless the container mounts something there itself.
  if (pod.files?.volumes.some((v) => v.name === SA_VOLUME) && !c.volumeMounts?.some((m) => m.mountPath === SA_MOUNT)) out.push('--volume', `${posix.join(dir, 'vol', SA_VOLUME)}:${SA_MOUNT}:ro`)
  return out
}
