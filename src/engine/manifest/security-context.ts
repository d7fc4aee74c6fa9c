import type {PodSecurityContext, SELinuxOptions, SecurityContext} from '../types.js'
import type {FieldReader} from './field-reader.js'
import type {PathPart} from './yaml-docs.js'

/**
 * A pod's PodSecurityContext and its containers' SecurityContext, checked as the API server
 * checks them (pkg/apis/core/validation). Every field is kept only when the manifest gives
 * it, so the spec hash of a pod without one stays what it was.
 */

/** Linux capabilities podman knows, by Kubernetes' name (without CAP_). */
export const CAPABILITIES = [
  'AUDIT_CONTROL', 'AUDIT_READ', 'AUDIT_WRITE', 'BLOCK_SUSPEND', 'BPF', 'CHECKPOINT_RESTORE', 'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID',
  'IPC_LOCK', 'IPC_OWNER', 'KILL', 'LEASE', 'LINUX_IMMUTABLE', 'MAC_ADMIN', 'MAC_OVERRIDE', 'MKNOD', 'NET_ADMIN', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_RAW',
  'PERFMON', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_CHROOT', 'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT', 'SYS_PTRACE', 'SYS_RAWIO',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'SYSLOG', 'WAKE_ALARM',
] as const

/** Fields kgit reads but does not act on: the container runs without them, with a warning. */
const IGNORED = ['seccompProfile', 'appArmorProfile', 'windowsOptions', 'procMount', 'sysctls', 'fsGroupChangePolicy', 'supplementalGroupsPolicy', 'seLinuxChangePolicy']
const MAX_ID = 2147483647

/** A capability's Kubernetes name: CAP_ is accepted and dropped. */
export function capabilityName(c: string): string {
  return c.toUpperCase().startsWith('CAP_') ? c.slice(4).toUpperCase() : c.toUpperCase()
}

function id(r: FieldReader, p: PathPart[]): number | undefined {
  const v = r.get(p)
  if (typeof v === 'number' && Number.isInteger(v) && (v < 0 || v > MAX_ID)) {
    r.fail(p, `Invalid value: ${v}: must be between 0 and ${MAX_ID}, inclusive`)
    return undefined
  }
  return r.int(p)
}

function readSELinux(r: FieldReader, p: PathPart[]): SELinuxOptions | undefined {
  if (!r.map(p)) return undefined
  const out: SELinuxOptions = {}
  for (const f of ['user', 'role', 'type', 'level'] as const) {
    const v = r.str([...p, f])
    if (v) out[f] = v
  }
  return Object.keys(out).length > 0 ? out : undefined
}

function readCaps(r: FieldReader, p: PathPart[]): SecurityContext['capabilities'] {
  if (!r.map(p)) return undefined
  const out: NonNullable<SecurityContext['capabilities']> = {}
  for (const f of ['add', 'drop'] as const) {
    const list = r.strList([...p, f])
    list?.forEach((c, i) => {
      const name = capabilityName(c)
      if (name !== 'ALL' && !(CAPABILITIES as readonly string[]).includes(name)) r.fail([...p, f, i], `Unsupported value: "${c}": not a Linux capability (e.g. NET_ADMIN, SYS_TIME, or ALL)`)
    })
    if (list?.length) out[f] = list
  }
  return out.add || out.drop ? out : undefined
}

function warnIgnored(r: FieldReader, p: PathPart[]): void {
  for (const f of IGNORED) if (r.get([...p, f]) !== undefined) r.warn([...p, f], `${f} is not acted on by this version of kgit yet; the container runs without it`)
}

/** A container's `securityContext`, undefined when absent or empty. */
export function readSecurityContext(r: FieldReader, c: PathPart[]): SecurityContext | undefined {
  const p = [...c, 'securityContext']
  if (!r.map(p)) return undefined
  const sc: SecurityContext = {}
  const runAsUser = id(r, [...p, 'runAsUser'])
  const runAsGroup = id(r, [...p, 'runAsGroup'])
  if (runAsUser !== undefined) sc.runAsUser = runAsUser
  if (runAsGroup !== undefined) sc.runAsGroup = runAsGroup
  for (const f of ['runAsNonRoot', 'privileged', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation'] as const) {
    const v = r.bool([...p, f])
    if (v !== undefined) sc[f] = v
  }
  const caps = readCaps(r, [...p, 'capabilities'])
  if (caps) sc.capabilities = caps
  const se = readSELinux(r, [...p, 'seLinuxOptions'])
  if (se) sc.seLinuxOptions = se
  if (sc.allowPrivilegeEscalation === false && sc.privileged) r.fail([...p, 'allowPrivilegeEscalation'], 'Invalid value: false: cannot set `allowPrivilegeEscalation` to false and `privileged` to true')
  if (sc.allowPrivilegeEscalation === false && sc.capabilities?.add?.some((a) => capabilityName(a) === 'SYS_ADMIN')) r.fail([...p, 'allowPrivilegeEscalation'], 'Invalid value: false: cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN')
  warnIgnored(r, p)
  return Object.keys(sc).length > 0 ? sc : undefined
}

/** A pod's `securityContext`, undefined when absent or empty. */
export function readPodSecurityContext(r: FieldReader, base: PathPart[]): PodSecurityContext | undefined {
  const p = [...base, 'securityContext']
  if (!r.map(p)) return undefined
  const sc: PodSecurityContext = {}
  for (const f of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
    const v = id(r, [...p, f])
    if (v !== undefined) sc[f] = v
  }
  const nonRoot = r.bool([...p, 'runAsNonRoot'])
  if (nonRoot !== undefined) sc.runAsNonRoot = nonRoot
  const groups = r.list([...p, 'supplementalGroups'])
  if (groups?.length) sc.supplementalGroups = groups.map((_, i) => id(r, [...p, 'supplementalGroups', i]) ?? 0)
  const se = readSELinux(r, [...p, 'seLinuxOptions'])
  if (se) sc.seLinuxOptions = se
  warnIgnored(r, p)
  return Object.keys(sc).length > 0 ? sc : undefined
}

/** hostNetwork, hostPID and hostIPC, kept only when true (kgit does not run such pods; PodSecurityPolicy reads them). */
export function readHostNamespaces(r: FieldReader, base: PathPart[]): {hostNetwork?: true; hostPID?: true; hostIPC?: true} {
  const out: {hostNetwork?: true; hostPID?: true; hostIPC?: true} = {}
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (r.bool([...base, f]) === true) out[f] = true
  return out
}

/** What a container runs with: its own fields over the pod's defaults (Kubernetes' effective security context). */
export function effectiveSecurityContext(pod: PodSecurityContext | undefined, c: SecurityContext | undefined): SecurityContext {
  const out: SecurityContext = {...c}
  if (out.runAsUser === undefined && pod?.runAsUser !== undefined) out.runAsUser = pod.runAsUser
  if (out.runAsGroup === undefined && pod?.runAsGroup !== undefined) out.runAsGroup = pod.runAsGroup
  if (out.runAsNonRoot === undefined && pod?.runAsNonRoot !== undefined) out.runAsNonRoot = pod.runAsNonRoot
  if (out.seLinuxOptions === undefined && pod?.seLinuxOptions) out.seLinuxOptions = pod.seLinuxOptions
  return out
}

/** podman's --user takes a user before a group: a runAsGroup needs a runAsUser (the container's or the pod's). */
export function checkGroupWithoutUser(r: FieldReader, base: PathPart[], pod: PodSecurityContext | undefined, containers: {securityContext?: SecurityContext}[]): void {
  containers.forEach((c, i) => {
    const eff = effectiveSecurityContext(pod, c.securityContext)
    if (eff.runAsGroup === undefined || eff.runAsUser !== undefined) return
    const own = c.securityContext?.runAsGroup !== undefined
    r.fail(own ? [...base, 'containers', i, 'securityContext', 'runAsGroup'] : [...base, 'securityContext', 'runAsGroup'], `runAsGroup needs a runAsUser for containers[${i}] in kgit (podman --user takes UID:GID; the image's user cannot be combined with another group)`)
  })
}
