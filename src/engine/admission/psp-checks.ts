import {capabilityName, effectiveSecurityContext} from '../manifest/security-context.js'
import type {IdRange, IdRule, PodSecurityPolicyObject, SELinuxOptions, SecurityContext} from '../types.js'
import {volumeTypes, type PodSpecAt} from './pod-specs.js'

/**
 * What one PodSecurityPolicy says of one pod spec, as Kubernetes' PodSecurityPolicy
 * provider validates a pod (pkg/security/podsecuritypolicy): every violation, each as
 * `PATH: Invalid value: VALUE: DETAIL`. kgit validates only: it does not fill in the
 * policy's defaults (runAsUser, defaultAddCapabilities, defaultAllowPrivilegeEscalation...)
 * first, so a pod must set what a policy requires itself.
 */
type Spec = PodSecurityPolicyObject['spec']

const show = (v: unknown): string => (v === undefined ? 'null' : JSON.stringify(v))
const invalid = (path: string, v: unknown, detail: string): string => `${path}: Invalid value: ${show(v)}: ${detail}`
/** Go's %v of []IDRange, as Kubernetes prints the ranges. */
const ranges = (rs: IdRange[]): string => `[${rs.map((r) => `{${r.min} ${r.max}}`).join(' ')}]`
const inRanges = (rs: IdRange[], v: number): boolean => rs.some((r) => v >= r.min && v <= r.max)

export function pspViolations(psp: Spec, at: PodSpecAt): string[] {
  return [...podViolations(psp, at), ...at.spec.containers.flatMap((_, i) => containerViolations(psp, at, i))]
}

function podViolations(psp: Spec, at: PodSpecAt): string[] {
  const {spec, path} = at
  const sc = spec.securityContext
  const scPath = `${path}.securityContext`
  const out: string[] = []
  if (spec.hostNetwork && !psp.hostNetwork) out.push(invalid(`${scPath}.hostNetwork`, true, 'Host network is not allowed to be used'))
  if (spec.hostPID && !psp.hostPID) out.push(invalid(`${scPath}.hostPID`, true, 'Host PID is not allowed to be used'))
  if (spec.hostIPC && !psp.hostIPC) out.push(invalid(`${scPath}.hostIPC`, true, 'Host IPC is not allowed to be used'))
  out.push(...groupViolations(psp.fsGroup, sc?.fsGroup === undefined ? [] : [sc.fsGroup], `${scPath}.fsGroup`))
  out.push(...groupViolations(psp.supplementalGroups, sc?.supplementalGroups ?? [], `${scPath}.supplementalGroups`))
  if (sc?.seLinuxOptions) out.push(...seLinuxViolations(psp, sc.seLinuxOptions, `${scPath}.seLinuxOptions`))
  if (sc?.runAsUser !== undefined) out.push(...userViolations(psp, sc, scPath))
  out.push(...volumeViolations(psp, at))
  return out
}

function containerViolations(psp: Spec, at: PodSpecAt, i: number): string[] {
  const c = at.spec.containers[i]!
  const cPath = `${at.path}.containers[${i}]`
  const scPath = `${cPath}.securityContext`
  const sc = effectiveSecurityContext(at.spec.securityContext, c.securityContext)
  const out: string[] = []
  c.ports.forEach((p, j) => {
    if (p.hostPort !== undefined && !inRanges(psp.hostPorts, p.hostPort)) out.push(invalid(`${cPath}.ports[${j}].hostPort`, p.hostPort, `Host port ${p.hostPort} is not allowed to be used. Allowed ports: ${ranges(psp.hostPorts)}`))
  })
  if (psp.seLinux.rule === 'MustRunAs') out.push(...seLinuxViolations(psp, sc.seLinuxOptions, `${scPath}.seLinuxOptions`))
  out.push(...userViolations(psp, sc, scPath))
  if (psp.runAsGroup) out.push(...groupViolations(psp.runAsGroup, sc.runAsGroup === undefined ? [] : [sc.runAsGroup], `${scPath}.runAsGroup`))
  if (sc.privileged && !psp.privileged) out.push(invalid(`${scPath}.privileged`, true, 'Privileged containers are not allowed'))
  out.push(...capabilityViolations(psp, c.securityContext?.capabilities, `${scPath}.capabilities`))
  if (psp.readOnlyRootFilesystem && sc.readOnlyRootFilesystem === undefined) out.push(`${scPath}.readOnlyRootFilesystem: Required value`)
  else if (psp.readOnlyRootFilesystem && !sc.readOnlyRootFilesystem) out.push(invalid(`${scPath}.readOnlyRootFilesystem`, false, 'ReadOnlyRootFilesystem must be set to true'))
  if (!psp.allowPrivilegeEscalation && sc.allowPrivilegeEscalation !== false) out.push(invalid(`${scPath}.allowPrivilegeEscalation`, sc.allowPrivilegeEscalation, 'Allowing privilege escalation for containers is not allowed'))
  return out
}

/** runAsUser rules on the (effective) runAsUser and runAsNonRoot. */
function userViolations(psp: Spec, sc: SecurityContext, scPath: string): string[] {
  const rule = psp.runAsUser
  if (rule.rule === 'MustRunAs') {
    if (sc.runAsUser === undefined) return [`${scPath}.runAsUser: Required value`]
    return inRanges(rule.ranges, sc.runAsUser) ? [] : [invalid(`${scPath}.runAsUser`, sc.runAsUser, `must be in the ranges: ${ranges(rule.ranges)}`)]
  }
  if (rule.rule === 'MustRunAsNonRoot') {
    if (sc.runAsNonRoot === undefined && sc.runAsUser === undefined) return [`${scPath}.runAsNonRoot: Required value: must be true`]
    if (sc.runAsNonRoot === false) return [invalid(`${scPath}.runAsNonRoot`, false, 'must be true')]
    if (sc.runAsUser === 0) return [invalid(`${scPath}.runAsUser`, 0, 'running with the root UID is forbidden')]
  }
  return []
}

/** MustRunAs: at least one group, each in the ranges; MayRunAs: each given group in the ranges. */
function groupViolations(rule: IdRule<string>, groups: number[], path: string): string[] {
  if (rule.rule === 'RunAsAny') return []
  if (groups.length === 0) return rule.rule === 'MustRunAs' ? [invalid(path, [], 'unable to validate empty groups against required ranges')] : []
  return groups.filter((g) => !inRanges(rule.ranges, g)).map((g) => invalid(path, groups, `group ${g} must be in the ranges: ${ranges(rule.ranges)}`))
}

function seLinuxViolations(psp: Spec, se: SELinuxOptions | undefined, path: string): string[] {
  if (psp.seLinux.rule !== 'MustRunAs') return []
  if (!se) return [`${path}: Required value`]
  const want = psp.seLinux.seLinuxOptions ?? {}
  return (['level', 'role', 'type', 'user'] as const).filter((f) => (want[f] ?? '') !== (se[f] ?? '')).map((f) => invalid(`${path}.${f}`, se[f] ?? '', `must be ${want[f] ?? ''}`))
}

/** Added capabilities must be allowed (or default-added); required drops must be dropped; `*` allows everything. */
function capabilityViolations(psp: Spec, caps: SecurityContext['capabilities'], path: string): string[] {
  if (!caps) return psp.defaultAddCapabilities.length === 0 && psp.requiredDropCapabilities.length === 0 ? [] : [invalid(path, undefined, 'required capabilities are not set on the securityContext')]
  if (psp.allowedCapabilities.includes('*')) return []
  const allowed = new Set([...psp.allowedCapabilities, ...psp.defaultAddCapabilities].map(capabilityName))
  const drops = new Set((caps.drop ?? []).map(capabilityName))
  return [
    ...(caps.add ?? []).filter((c) => !allowed.has(capabilityName(c))).map((c) => invalid(`${path}.add`, c, 'capability may not be added')),
    ...psp.requiredDropCapabilities.filter((c) => !drops.has(capabilityName(c))).map((c) => invalid(`${path}.drop`, caps.drop ?? [], `${c} is required to be dropped but was not found`)),
  ]
}

/** Volume types the policy allows (`*`: all), hostPath prefixes, and read-only mounts of read-only prefixes. */
function volumeViolations(psp: Spec, at: PodSpecAt): string[] {
  const out: string[] = []
  for (const {index, type, name} of volumeTypes(at)) {
    if (!psp.volumes.includes('*') && !psp.volumes.includes(type)) {
      out.push(invalid(`${at.path}.volumes[${index}]`, type, `${type} volumes are not allowed to be used`))
      continue
    }
    const v = at.spec.volumes?.find((x) => x.name === name)
    if (!v || !('hostPath' in v) || psp.allowedHostPaths.length === 0) continue
    const matching = psp.allowedHostPaths.filter((a) => hasPathPrefix(v.hostPath.path, a.pathPrefix))
    if (matching.length === 0) out.push(invalid(`${at.path}.volumes[${index}].hostPath.pathPrefix`, v.hostPath.path, 'is not allowed to be used'))
    else if (matching.every((a) => a.readOnly)) {
      at.spec.containers.forEach((c, i) => c.volumeMounts?.forEach((m, j) => m.name === v.name && !m.readOnly && out.push(invalid(`${at.path}.containers[${i}].volumeMounts[${j}].readOnly`, false, 'must be read-only'))))
    }
  }
  return out
}

/** Kubernetes' prefix by whole path segments: /foo allows /foo and /foo/bar, not /foobar. */
export function hasPathPrefix(path: string, prefix: string): boolean {
  const trim = (p: string): string[] => p.split('/').filter((s) => s !== '')
  const a = trim(path)
  const b = trim(prefix)
  return b.length <= a.length && b.every((s, i) => s === a[i])
}
