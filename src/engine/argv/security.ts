import type {ContainerSpec, DesiredPod, PodSpec} from '../types.js'
import {capabilityName, effectiveSecurityContext} from '../manifest/security-context.js'

/**
 * A container's effective security context as podman flags (docs/security-context.md):
 * the container's fields over the pod's, fsGroup and supplementalGroups as extra groups.
 */
export function securityArgs(spec: PodSpec, c: ContainerSpec): string[] {
  const sc = effectiveSecurityContext(spec.securityContext, c.securityContext)
  const out: string[] = []
  if (sc.runAsUser !== undefined) out.push('--user', sc.runAsGroup === undefined ? String(sc.runAsUser) : `${sc.runAsUser}:${sc.runAsGroup}`)
  // As the kubelet: fsGroup first, then the supplemental groups.
  const groups = [...new Set([...(spec.securityContext?.fsGroup === undefined ? [] : [spec.securityContext.fsGroup]), ...(spec.securityContext?.supplementalGroups ?? [])])]
  for (const g of groups) out.push('--group-add', String(g))
  if (sc.privileged) out.push('--privileged')
  // Dropped first: an added capability survives `drop: [ALL]`, as in Kubernetes.
  for (const cap of sc.capabilities?.drop ?? []) out.push('--cap-drop', capabilityName(cap))
  for (const cap of sc.capabilities?.add ?? []) out.push('--cap-add', capabilityName(cap))
  // Kubernetes mounts no tmpfs of its own on a read-only root; podman would (/tmp, /run, /var/tmp).
  if (sc.readOnlyRootFilesystem) out.push('--read-only', '--read-only-tmpfs=false')
  if (sc.allowPrivilegeEscalation === false) out.push('--security-opt', 'no-new-privileges')
  for (const f of ['user', 'role', 'type', 'level'] as const) {
    const v = sc.seLinuxOptions?.[f]
    if (v) out.push('--security-opt', `label=${f}:${v}`)
  }
  return out
}

/**
 * Who owns a pod's emptyDirs, as the kubelet makes them (mode 0777; with an fsGroup, that
 * group and 2777), for pods whose containers run as another user or with an fsGroup;
 * undefined for the others, whose volumes stay as podman makes them.
 */
export function emptyDirOwner(spec: PodSpec): {gid: number; mode: string} | undefined {
  const fsGroup = spec.securityContext?.fsGroup
  if (fsGroup !== undefined) return {gid: fsGroup, mode: '2777'}
  const other = spec.containers.some((c) => effectiveSecurityContext(spec.securityContext, c.securityContext).runAsUser !== undefined)
  return other ? {gid: 0, mode: '0777'} : undefined
}

/**
 * runAsNonRoot, checked as the kubelet checks it when the container is created: a runAsUser
 * of 0 breaks it; without a runAsUser, the image's configured user must be a numeric uid
 * other than 0. The image is pulled first when missing (unless pullPolicy is Never: the run
 * step then reports it). Absent when there is nothing to check.
 */
export function nonRootCheck(pod: DesiredPod, c: ContainerSpec, authFile?: string): string[] | undefined {
  const sc = effectiveSecurityContext(pod.spec.securityContext, c.securityContext)
  if (!sc.runAsNonRoot) return undefined
  const who = `(pod: "${pod.namespace}/${pod.name}", container: ${c.name})`
  if (sc.runAsUser === 0) return ['sh', '-c', 'printf "%s\\n" "$1" >&2; exit 1', 'kgit-nonroot', `CreateContainerConfigError: container's runAsUser breaks non-root policy ${who}`]
  if (sc.runAsUser !== undefined) return undefined
  return ['sh', '-c', NON_ROOT, 'kgit-nonroot', c.image, who, c.imagePullPolicy, authFile ?? '']
}

const NON_ROOT = `img=$1 who=$2 policy=$3 auth=$4
if ! podman image exists "$img"; then
  [ "$policy" = Never ] && exit 0
  if [ -n "$auth" ]; then podman pull -q --authfile "$auth" "$img" >/dev/null || exit 0; else podman pull -q "$img" >/dev/null || exit 0; fi
fi
u=$(podman image inspect --format '{{.Config.User}}' "$img") || exit 0
u=\${u%%:*}
case $u in
  ''|0) echo "CreateContainerConfigError: container has runAsNonRoot and image will run as root $who: set runAsUser, or use an image whose USER is not root" >&2; exit 1 ;;
  *[!0-9]*) echo "CreateContainerConfigError: container has runAsNonRoot and image has non-numeric user ($u), cannot verify user is non-root $who: set runAsUser" >&2; exit 1 ;;
esac
exit 0`
