import type {KObject, LabelSelector, NetworkPolicyObject, NetworkPolicyPeer, NetworkPolicyPort, ObjectMeta, PolicyType} from '../types.js'
import {formatCidr, maskOf, parseIPv4, type Cidr} from './cidr.js'
import type {FieldReader} from './field-reader.js'
import {checkLabels, readLabelRequirement} from './labels.js'
import type {PathPart} from './yaml-docs.js'

const POLICY_TYPES: readonly PolicyType[] = ['Ingress', 'Egress']
const PROTOCOLS = ['TCP', 'UDP', 'SCTP']

/**
 * A NetworkPolicy, checked as the API server checks it (pkg/apis/networking/validation)
 * and defaulted as it defaults it. extensions/v1beta1 had the same fields: read as v1.
 */
export function readNetworkPolicy(r: FieldReader, source: NetworkPolicyObject['source'], metadata: ObjectMeta): NetworkPolicyObject {
  r.map(['spec'], {required: true})
  const podSelector = readSelector(r, ['spec', 'podSelector'], true) ?? {}
  const ingress = (r.list(['spec', 'ingress']) ?? []).map((_, i) => {
    const p = ['spec', 'ingress', i]
    r.map(p)
    return {from: readPeers(r, [...p, 'from']), ports: readPorts(r, [...p, 'ports'])}
  })
  const egress = (r.list(['spec', 'egress']) ?? []).map((_, i) => {
    const p = ['spec', 'egress', i]
    r.map(p)
    return {to: readPeers(r, [...p, 'to']), ports: readPorts(r, [...p, 'ports'])}
  })
  const spec = {podSelector, policyTypes: readPolicyTypes(r, egress.length > 0), ingress, egress}
  return {kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', source, metadata, spec}
}

/** Kubernetes' default: Ingress always, Egress when the policy has egress rules. */
function readPolicyTypes(r: FieldReader, hasEgress: boolean): PolicyType[] {
  const given = r.list(['spec', 'policyTypes'])
  if (!given?.length) return hasEgress ? ['Ingress', 'Egress'] : ['Ingress']
  const types = given.map((_, i) => r.str(['spec', 'policyTypes', i], {required: true, oneOf: POLICY_TYPES})).filter((t): t is PolicyType => POLICY_TYPES.includes(t as PolicyType))
  if (given.length > 2) r.fail(['spec', 'policyTypes'], 'may not specify more than two policyTypes')
  types.forEach((t, i) => {
    if (types.indexOf(t) !== i) r.fail(['spec', 'policyTypes', i], `Duplicate value: "${t}"`)
  })
  return POLICY_TYPES.filter((t) => types.includes(t))
}

function readSelector(r: FieldReader, p: PathPart[], required = false): LabelSelector | undefined {
  if (r.map(p, {required}) === undefined) return undefined
  const sel: LabelSelector = {}
  const labels = r.strMap([...p, 'matchLabels'])
  checkLabels(r, [...p, 'matchLabels'], labels)
  if (Object.keys(labels).length > 0) sel.matchLabels = labels
  const exprs = r.list([...p, 'matchExpressions'])
  if (exprs?.length) sel.matchExpressions = exprs.map((_, i) => readLabelRequirement(r, [...p, 'matchExpressions', i]))
  return sel
}

function readPeers(r: FieldReader, p: PathPart[]): NetworkPolicyPeer[] {
  return (r.list(p) ?? []).map((_, i) => {
    const at = [...p, i]
    if (r.map(at, {required: true}) === undefined) return {}
    const peer: NetworkPolicyPeer = {}
    const podSelector = readSelector(r, [...at, 'podSelector'])
    const namespaceSelector = readSelector(r, [...at, 'namespaceSelector'])
    if (podSelector) peer.podSelector = podSelector
    if (namespaceSelector) peer.namespaceSelector = namespaceSelector
    if (r.map([...at, 'ipBlock']) !== undefined) {
      if (podSelector || namespaceSelector) r.fail([...at, 'ipBlock'], 'Forbidden: may not specify both ipBlock and another peer')
      peer.ipBlock = readIpBlock(r, [...at, 'ipBlock'])
    }
    if (!podSelector && !namespaceSelector && r.get([...at, 'ipBlock']) === undefined) r.fail(at, 'Required value: must specify a peer (podSelector, namespaceSelector or ipBlock)')
    return peer
  })
}

function readIpBlock(r: FieldReader, p: PathPart[]): {cidr: string; except: string[]} {
  const cidr = readCidr(r, [...p, 'cidr'], true)
  const except = (r.list([...p, 'except']) ?? []).map((_, i) => {
    const e = readCidr(r, [...p, 'except', i], true)
    if (e && cidr && !(e.prefix > cidr.prefix && ((e.base & maskOf(cidr.prefix)) >>> 0) === cidr.base)) r.fail([...p, 'except', i], `Invalid value: "${formatCidr(e)}": must be a strict subset of \`cidr\` (${formatCidr(cidr)})`)
    return e
  })
  return {cidr: cidr ? formatCidr(cidr) : '', except: except.filter((e): e is Cidr => e !== undefined).map(formatCidr)}
}

/** An IPv4 CIDR; as the API server does, host bits are accepted (and cleared, with a warning). */
function readCidr(r: FieldReader, p: PathPart[], required: boolean): Cidr | undefined {
  const text = r.str(p, {required})
  if (!text) return undefined
  if (text.includes(':')) {
    r.fail(p, `must be an IPv4 CIDR: kgit's pod network is IPv4 only, got IPv6 "${text}"`)
    return undefined
  }
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text)
  const ip = m ? parseIPv4(m[1]!) : undefined
  const prefix = Number(m?.[2])
  if (ip === undefined || !(prefix <= 32)) {
    r.fail(p, `must be an IPv4 CIDR such as 10.0.0.0/8, got "${text}"`)
    return undefined
  }
  const cidr = {base: (ip & maskOf(prefix)) >>> 0, prefix}
  if (cidr.base !== ip) r.warn(p, `"${text}" has host bits set: read as ${formatCidr(cidr)}`)
  return cidr
}

function readPorts(r: FieldReader, p: PathPart[]): NetworkPolicyPort[] {
  return (r.list(p) ?? []).map((_, i) => {
    const at = [...p, i]
    r.map(at)
    const port: NetworkPolicyPort = {protocol: (r.str([...at, 'protocol'], {oneOf: PROTOCOLS}) ?? 'TCP') as NetworkPolicyPort['protocol']}
    const value = r.get([...at, 'port'])
    const endPort = r.int([...at, 'endPort'], {min: 1, max: 65535})
    if (typeof value === 'number') {
      if (r.int([...at, 'port'], {min: 1, max: 65535}) !== undefined) port.port = value
      if (endPort !== undefined && endPort < value) r.fail([...at, 'endPort'], `Invalid value: ${endPort}: must be greater than or equal to \`port\` (${value})`)
    } else if (typeof value === 'string') {
      const problem = portNameProblem(value)
      if (problem) r.fail([...at, 'port'], `Invalid value: "${value}": ${problem}`)
      if (endPort !== undefined) r.fail([...at, 'endPort'], `Invalid value: ${endPort}: may not be specified when \`port\` is non-numeric`)
      port.port = value
    } else if (value !== undefined && value !== null) {
      r.fail([...at, 'port'], 'must be a port number or a port name')
    } else if (endPort !== undefined) {
      r.fail([...at, 'endPort'], `Invalid value: ${endPort}: may not be specified when \`port\` is not specified`)
    }
    if (endPort !== undefined && typeof value === 'number') port.endPort = endPort
    return port
  })
}

/** Kubernetes' IsValidPortName (an IANA service name). */
function portNameProblem(name: string): string | undefined {
  if (name.length > 15) return 'a port name must be at most 15 characters'
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) return 'a port name must be lowercase letters, digits and "-", starting and ending with a letter or digit'
  if (name.includes('--')) return 'a port name must not contain consecutive hyphens'
  if (!/[a-z]/.test(name)) return 'a port name must contain at least one letter (a-z)'
  return undefined
}

/** The labels of every namespace pods can be in, with `kubernetes.io/metadata.name` as Kubernetes sets it. */
export function namespaceLabels(objects: readonly KObject[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {}
  for (const ns of ['default', 'kube-system', 'kube-public']) out[ns] = {'kubernetes.io/metadata.name': ns}
  for (const o of objects) {
    if (o.kind === 'Namespace') out[o.metadata.name] = {...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name}
  }
  return out
}
