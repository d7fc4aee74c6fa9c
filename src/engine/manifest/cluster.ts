import {ManifestError} from '../errors.js'
import type {ClusterSpec, NodeSpec, NotificationSpec, Taint} from '../types.js'
import {checkLabels} from './labels.js'
import {readResourceList} from './resources.js'
import {cidrsOverlap, parseCidr, parseIPv4} from './cidr.js'
import {DNS1123_LABEL, DNS1123_SUBDOMAIN, FieldReader} from './field-reader.js'
import {parseYamlFile, type PathPart} from './yaml-docs.js'
import {readAuthentication, readAuthorization} from '../identity/config.js'
import {readAdmission} from '../admission/plugins/config.js'

export const CLUSTER_API_VERSION = 'kgit.dev/v1alpha1'

const SPEC_FIELDS = ['manifests', 'ssh', 'runtime', 'network', 'nodes', 'unreachableGracePeriodSeconds', 'secrets', 'admission', 'authentication', 'authorization', 'suspend', 'notifications']
const SSH_FIELDS = ['user', 'identityFile', 'knownHostsFile', 'connectTimeout', 'controlPersist']
const NETWORK_FIELDS = ['podCIDR', 'serviceCIDR', 'clusterDomain', 'nodeCIDRMaskSize']
const NODE_FIELDS = ['name', 'address', 'port', 'labels', 'taints', 'dataDir', 'unschedulable', 'drain', 'capacity', 'allocatable', 'reserved']
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const

/** Parses and validates `kgit.yaml` (kind: Cluster), applying defaults. */
export function parseCluster(file: string, text: string): {cluster?: ClusterSpec; errors: ManifestError[]} {
  const {docs, errors} = parseYamlFile(file, text)
  if (errors.length > 0) return {errors}
  if (docs.length !== 1) return {errors: [new ManifestError({file, line: 1}, `must hold exactly one document (kind: Cluster), found ${docs.length}`)]}
  const r = new FieldReader(docs[0]!)
  r.known([], ['apiVersion', 'kind', 'metadata', 'spec'])
  r.str(['apiVersion'], {required: true, oneOf: [CLUSTER_API_VERSION]})
  r.str(['kind'], {required: true, oneOf: ['Cluster']})
  const name = r.str(['metadata', 'name'], {required: true, pattern: DNS1123_LABEL, patternMsg: 'must be a DNS-1123 label (lowercase letters, digits, "-")'})
  r.map(['spec'], {required: true})
  r.known(['spec'], SPEC_FIELDS)
  const manifests = r.strList(['spec', 'manifests']) ?? ['manifests']
  manifests.forEach((m, i) => {
    if (m.startsWith('/') || m.split('/').includes('..')) r.fail(['spec', 'manifests', i], 'must be a path inside the repository')
  })
  const cluster: ClusterSpec = {
    name: name ?? '',
    manifests: manifests.map((m) => m.replace(/\/+$/, '') || '.'),
    ssh: readSsh(r),
    runtime: (r.str(['spec', 'runtime'], {oneOf: ['podman']}) ?? 'podman') as 'podman',
    network: readNetwork(r),
    nodes: readNodes(r),
    // Kubernetes: 40 s node-monitor grace + 300 s toleration of node.kubernetes.io/unreachable.
    unreachableGracePeriodSeconds: r.int(['spec', 'unreachableGracePeriodSeconds'], {min: 0, max: 604800}) ?? 300,
  }
  r.map(['spec', 'secrets'])
  r.known(['spec', 'secrets'], ['allowPlaintext'])
  if (r.get(['spec', 'secrets']) !== undefined) cluster.secrets = {allowPlaintext: r.bool(['spec', 'secrets', 'allowPlaintext']) ?? false}
  const admission = readAdmission(r)
  if (admission) cluster.admission = admission
  const authentication = readAuthentication(r)
  const authorization = readAuthorization(r)
  if (authentication) cluster.authentication = authentication
  if (authorization) cluster.authorization = authorization
  if (r.bool(['spec', 'suspend']) === true) cluster.suspend = true
  const notifications = readNotifications(r)
  if (notifications) cluster.notifications = notifications
  return r.errors.length > 0 ? {errors: r.errors} : {cluster, errors: []}
}

function readNotifications(r: FieldReader): NotificationSpec | undefined {
  const base = ['spec', 'notifications']
  if (!r.map(base)) return undefined
  r.known(base, ['command', 'webhook', 'on'])
  const command = r.strList([...base, 'command'])
  if (command?.length === 0) r.fail([...base, 'command'], 'must name a program (a list: [program, arg...])')
  const webhook = r.str([...base, 'webhook'])
  if (webhook !== undefined && !/^https?:\/\/[^\s/]+/.test(webhook)) r.fail([...base, 'webhook'], 'must be an http:// or https:// URL')
  if (!command && webhook === undefined) r.fail(base, 'needs command or webhook')
  const on = r.strList([...base, 'on']) ?? ['failure', 'drift']
  on.forEach((w, i) => {
    if (w !== 'failure' && w !== 'drift') r.fail([...base, 'on', i], 'must be failure or drift')
  })
  return {...(command?.length ? {command} : {}), ...(webhook ? {webhook} : {}), on: on.filter((w): w is 'failure' | 'drift' => w === 'failure' || w === 'drift')}
}

function readSsh(r: FieldReader): ClusterSpec['ssh'] {
  r.map(['spec', 'ssh'])
  r.known(['spec', 'ssh'], SSH_FIELDS)
  return {
    user: r.str(['spec', 'ssh', 'user']) ?? 'root',
    identityFile: r.str(['spec', 'ssh', 'identityFile']) ?? '~/.ssh/id_ed25519',
    knownHostsFile: r.str(['spec', 'ssh', 'knownHostsFile']) ?? 'known_hosts',
    connectTimeout: r.int(['spec', 'ssh', 'connectTimeout'], {min: 1, max: 600}) ?? 10,
    controlPersist: r.int(['spec', 'ssh', 'controlPersist'], {min: 0, max: 86400}) ?? 0,
  }
}

function readNetwork(r: FieldReader): ClusterSpec['network'] {
  const base = ['spec', 'network']
  r.map(base)
  r.known(base, NETWORK_FIELDS)
  const cidr = (field: string, dflt: string): string => {
    const v = r.str([...base, field]) ?? dflt
    if (!parseCidr(v)) r.fail([...base, field], `must be an IPv4 CIDR such as 10.244.0.0/16 (with no host bits set), got "${v}"`)
    return v
  }
  const podCIDR = cidr('podCIDR', '10.244.0.0/16')
  const serviceCIDR = cidr('serviceCIDR', '10.96.0.0/16')
  const p = parseCidr(podCIDR)
  const s = parseCidr(serviceCIDR)
  if (p && s && cidrsOverlap(p, s)) r.fail([...base, 'serviceCIDR'], `overlaps podCIDR ${podCIDR}`)
  const clusterDomain = r.str([...base, 'clusterDomain'], {pattern: DNS1123_SUBDOMAIN, patternMsg: 'must be a DNS domain'}) ?? 'cluster.local'
  // Kubernetes' --node-cidr-mask-size: each node's slice of podCIDR.
  const nodeCIDRMaskSize = r.int([...base, 'nodeCIDRMaskSize'], {min: 16, max: 28}) ?? Math.max(24, (p?.prefix ?? 16) + 1)
  if (p && nodeCIDRMaskSize <= p.prefix) r.fail([...base, 'nodeCIDRMaskSize'], `must be longer than podCIDR's prefix /${p.prefix}, got ${nodeCIDRMaskSize}`)
  return {podCIDR, serviceCIDR, clusterDomain, nodeCIDRMaskSize}
}

function readNodes(r: FieldReader): NodeSpec[] {
  const items = r.list(['spec', 'nodes'], {required: true}) ?? []
  if (r.get(['spec', 'nodes']) !== undefined && items.length === 0) r.fail(['spec', 'nodes'], 'must list at least one node')
  const nodes: NodeSpec[] = []
  const seenName = new Map<string, number>()
  const seenAddr = new Map<string, number>()
  items.forEach((_, i) => {
    const p: PathPart[] = ['spec', 'nodes', i]
    if (!r.map(p)) return
    r.known(p, NODE_FIELDS)
    const name = r.str([...p, 'name'], {required: true, pattern: DNS1123_LABEL, patternMsg: 'must be a DNS-1123 label (lowercase letters, digits, "-")'}) ?? ''
    const address = r.str([...p, 'address'], {required: true}) ?? ''
    if (address && parseIPv4(address) === undefined && !DNS1123_SUBDOMAIN.test(address)) r.fail([...p, 'address'], `must be an IPv4 address or a host name, got "${address}"`)
    const port = r.int([...p, 'port'], {min: 1, max: 65535}) ?? 22
    const dataDir = r.str([...p, 'dataDir']) ?? '/var/lib/kgit'
    if (!dataDir.startsWith('/')) r.fail([...p, 'dataDir'], 'must be an absolute path')
    const dupName = seenName.get(name)
    if (name && dupName !== undefined) r.fail([...p, 'name'], `duplicate node name "${name}" (also spec.nodes[${dupName}])`)
    const key = `${address}:${port}`
    const dupAddr = seenAddr.get(key)
    if (address && dupAddr !== undefined) r.fail([...p, 'address'], `duplicate node address ${key} (also spec.nodes[${dupAddr}])`)
    seenName.set(name, i)
    seenAddr.set(key, i)
    const labels = r.strMap([...p, 'labels'])
    checkLabels(r, [...p, 'labels'], labels)
    const drain = r.bool([...p, 'drain']) ?? false
    const node: NodeSpec = {name, address, port, labels, taints: readTaints(r, [...p, 'taints']), dataDir, unschedulable: (r.bool([...p, 'unschedulable']) ?? false) || drain, drain}
    for (const f of ['capacity', 'allocatable', 'reserved'] as const) {
      if (r.get([...p, f]) !== undefined) node[f] = readResourceList(r, [...p, f], {names: ['cpu', 'memory', 'ephemeral-storage', 'pods']})
    }
    nodes.push(node)
  })
  return nodes
}

function readTaints(r: FieldReader, path: PathPart[]): Taint[] {
  const items = r.list(path) ?? []
  return items.map((_, i) => {
    r.known([...path, i], ['key', 'value', 'effect'])
    const key = r.str([...path, i, 'key'], {required: true}) ?? ''
    const value = r.str([...path, i, 'value'])
    const effect = (r.str([...path, i, 'effect'], {required: true, oneOf: TAINT_EFFECTS}) ?? 'NoSchedule') as Taint['effect']
    return value === undefined ? {key, effect} : {key, value, effect}
  })
}
