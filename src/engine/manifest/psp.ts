import type {SourcePos} from '../errors.js'
import type {IdRange, IdRule, ObjectMeta, PodSecurityPolicyObject, SELinuxOptions} from '../types.js'
import type {FieldReader} from './field-reader.js'
import {CAPABILITIES, capabilityName} from './security-context.js'
import type {PathPart} from './yaml-docs.js'

/**
 * A PodSecurityPolicy (policy/v1beta1, or extensions/v1beta1 read as it), validated as the
 * API server validates it (pkg/apis/policy/validation) plus the checks Kubernetes makes
 * when the admission plugin builds its strategies (MustRunAs needs ranges or options).
 */

/** Volume types a PodSecurityPolicy may name (policy/v1beta1 FSType), `*` for all. */
export const PSP_VOLUME_TYPES = [
  '*', 'azureFile', 'flocker', 'flexVolume', 'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'cinder', 'cephFS', 'downwardAPI', 'fc', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'none',
] as const

/** Fields kgit reads but does not check: what they restrict, kgit does not run. */
const NOT_CHECKED = ['allowedFlexVolumes', 'allowedCSIDrivers', 'allowedUnsafeSysctls', 'forbiddenSysctls', 'allowedProcMountTypes', 'runtimeClass']
const S: PathPart[] = ['spec']

export function readPodSecurityPolicy(r: FieldReader, source: SourcePos, metadata: ObjectMeta): PodSecurityPolicyObject {
  r.map(S, {required: true})
  const caps = (f: string): string[] => {
    const list = r.strList([...S, f]) ?? []
    list.forEach((c, i) => {
      const n = capabilityName(c)
      if (!(CAPABILITIES as readonly string[]).includes(n) && !(f === 'allowedCapabilities' && c === '*') && !(f === 'requiredDropCapabilities' && n === 'ALL')) r.fail([...S, f, i], `Unsupported value: "${c}": not a Linux capability (e.g. NET_ADMIN)`)
    })
    return list
  }
  const flag = (f: string, dflt = false): boolean => r.bool([...S, f]) ?? dflt
  const volumes = r.strList([...S, 'volumes']) ?? []
  volumes.forEach((v, i) => (PSP_VOLUME_TYPES as readonly string[]).includes(v) || r.fail([...S, 'volumes', i], `Unsupported value: "${v}": supported values: ${PSP_VOLUME_TYPES.map((t) => `"${t}"`).join(', ')}`))
  const spec: PodSecurityPolicyObject['spec'] = {
    privileged: flag('privileged'),
    defaultAddCapabilities: caps('defaultAddCapabilities'),
    requiredDropCapabilities: caps('requiredDropCapabilities'),
    allowedCapabilities: caps('allowedCapabilities'),
    volumes,
    hostNetwork: flag('hostNetwork'),
    hostPID: flag('hostPID'),
    hostIPC: flag('hostIPC'),
    hostPorts: readRanges(r, [...S, 'hostPorts'], 65535),
    allowedHostPaths: readHostPaths(r),
    seLinux: readSELinuxRule(r),
    runAsUser: readIdRule(r, 'runAsUser', ['MustRunAs', 'MustRunAsNonRoot', 'RunAsAny'], true) as PodSecurityPolicyObject['spec']['runAsUser'],
    supplementalGroups: readIdRule(r, 'supplementalGroups', ['MustRunAs', 'MayRunAs', 'RunAsAny'], true) as PodSecurityPolicyObject['spec']['supplementalGroups'],
    fsGroup: readIdRule(r, 'fsGroup', ['MustRunAs', 'MayRunAs', 'RunAsAny'], true) as PodSecurityPolicyObject['spec']['fsGroup'],
    readOnlyRootFilesystem: flag('readOnlyRootFilesystem'),
    allowPrivilegeEscalation: flag('allowPrivilegeEscalation', true),
  }
  if (r.get([...S, 'runAsGroup']) !== undefined) spec.runAsGroup = readIdRule(r, 'runAsGroup', ['MustRunAs', 'MayRunAs', 'RunAsAny'], false) as NonNullable<PodSecurityPolicyObject['spec']['runAsGroup']>
  const defaultEscalation = r.bool([...S, 'defaultAllowPrivilegeEscalation'])
  if (defaultEscalation !== undefined) spec.defaultAllowPrivilegeEscalation = defaultEscalation
  crossChecks(r, spec)
  for (const f of NOT_CHECKED) if (r.get([...S, f]) !== undefined) r.warn([...S, f], `${f} is not checked by kgit's PodSecurityPolicy plugin (kgit does not run what it restricts)`)
  return {kind: 'PodSecurityPolicy', apiVersion: 'policy/v1beta1', source, metadata, spec}
}

function crossChecks(r: FieldReader, spec: PodSecurityPolicyObject['spec']): void {
  if (spec.defaultAllowPrivilegeEscalation && !spec.allowPrivilegeEscalation) r.fail([...S, 'defaultAllowPrivilegeEscalation'], 'Invalid value: true: Cannot set DefaultAllowPrivilegeEscalation to true without also setting AllowPrivilegeEscalation to true')
  const drops = new Set(spec.requiredDropCapabilities.map(capabilityName))
  for (const f of ['defaultAddCapabilities', 'allowedCapabilities'] as const) {
    spec[f].forEach((c, i) => drops.has(capabilityName(c)) && r.fail([...S, f, i], `Invalid value: "${c}": capability is listed in ${f} and requiredDropCapabilities`))
  }
}

function readRanges(r: FieldReader, p: PathPart[], max: number): IdRange[] {
  const items = r.list(p) ?? []
  return items.map((_, i) => {
    const min = r.int([...p, i, 'min'], {required: true}) ?? 0
    const hi = r.int([...p, i, 'max'], {required: true}) ?? 0
    if (min < 0) r.fail([...p, i, 'min'], `Invalid value: ${min}: min cannot be negative`)
    else if (min > max) r.fail([...p, i, 'min'], `Invalid value: ${min}: must be at most ${max}`)
    if (hi < 0) r.fail([...p, i, 'max'], `Invalid value: ${hi}: max cannot be negative`)
    else if (hi > max) r.fail([...p, i, 'max'], `Invalid value: ${hi}: must be at most ${max}`)
    if (min > hi) r.fail([...p, i], `Invalid value: ${min}-${hi}: min cannot be greater than max`)
    return {min, max: hi}
  })
}

function readHostPaths(r: FieldReader): PodSecurityPolicyObject['spec']['allowedHostPaths'] {
  const p = [...S, 'allowedHostPaths']
  return (r.list(p) ?? []).map((_, i) => {
    const pathPrefix = r.str([...p, i, 'pathPrefix'], {required: true}) ?? ''
    if (pathPrefix && !pathPrefix.startsWith('/')) r.fail([...p, i, 'pathPrefix'], `Invalid value: "${pathPrefix}": must be an absolute path`)
    else if (pathPrefix.split('/').includes('..')) r.fail([...p, i, 'pathPrefix'], `Invalid value: "${pathPrefix}": must not contain '..'`)
    return {pathPrefix, readOnly: r.bool([...p, i, 'readOnly']) ?? false}
  })
}

function readSELinuxRule(r: FieldReader): PodSecurityPolicyObject['spec']['seLinux'] {
  const p = [...S, 'seLinux']
  r.map(p, {required: true})
  const rule = (r.str([...p, 'rule'], {required: r.get(p) !== undefined, oneOf: ['MustRunAs', 'RunAsAny']}) ?? 'RunAsAny') as 'MustRunAs' | 'RunAsAny'
  const out: PodSecurityPolicyObject['spec']['seLinux'] = {rule}
  if (r.map([...p, 'seLinuxOptions'])) {
    const o: SELinuxOptions = {}
    for (const f of ['user', 'role', 'type', 'level'] as const) {
      const v = r.str([...p, 'seLinuxOptions', f])
      if (v) o[f] = v
    }
    out.seLinuxOptions = o
  }
  if (rule === 'MustRunAs' && !out.seLinuxOptions) r.fail([...p, 'seLinuxOptions'], 'Required value: seLinuxOptions must be given for rule MustRunAs')
  return out
}

function readIdRule(r: FieldReader, f: string, rules: string[], required: boolean): IdRule<string> {
  const p = [...S, f]
  r.map(p, {required})
  const rule = r.str([...p, 'rule'], {required: r.get(p) !== undefined, oneOf: rules}) ?? 'RunAsAny'
  const ranges = readRanges(r, [...p, 'ranges'], 2147483647)
  if (rule === 'MustRunAs' && ranges.length === 0) r.fail([...p, 'ranges'], 'Required value: ranges must be supplied for MustRunAs')
  return {rule, ranges}
}
