import type {Endpoint} from '../engine/controllers/endpoints.js'
import {servicePortName} from '../engine/controllers/service-ips.js'
import type {ServiceObject, ServicePort} from '../engine/types.js'
import {table} from './table.js'

/** A Service as `kgit get svc` / `describe service` show it: the object, its allocations and endpoints. */
export interface ServiceView {
  svc: ServiceObject
  /** The allocated cluster IP (allocateClusterIPs); absent for headless and ExternalName Services. */
  clusterIP?: string
  /** servicePortName -> nodePort (allocateNodePorts), for NodePort Services. */
  nodePorts?: ReadonlyMap<string, number>
  /** serviceEndpoints(...).ready; `notReady` is shown by describe only. */
  ready: Endpoint[]
  notReady?: Endpoint[]
}

function nodePortOf(v: ServiceView, p: ServicePort): number | undefined {
  const {namespace, name} = v.svc.metadata
  return p.nodePort ?? v.nodePorts?.get(servicePortName(namespace, name, p))
}

/** kubectl's PORT(S): `80/TCP`, `80:30080/TCP`, comma-separated; `<none>` without ports. */
export function portsText(v: ServiceView): string {
  if (v.svc.spec.ports.length === 0) return '<none>'
  return v.svc.spec.ports.map((p) => {
    const np = v.svc.spec.type === 'NodePort' ? nodePortOf(v, p) : undefined
    return `${p.port}${np !== undefined ? `:${np}` : ''}/${p.protocol}`
  }).join(',')
}

function clusterIPText(v: ServiceView): string {
  if (v.svc.spec.type === 'ExternalName') return '<none>'
  if (v.svc.spec.clusterIP === 'None') return 'None'
  return v.clusterIP ?? (v.svc.spec.clusterIP || '<pending>')
}

/** kubectl's selector text: `app=web,tier=front` (keys sorted), `<none>` when absent. */
export function selectorText(selector: Record<string, string> | undefined): string {
  const keys = Object.keys(selector ?? {}).sort()
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${selector![k]}`).join(',')
}

/** kubectl get svc: NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) (`-o wide`: SELECTOR; no AGE, kgit does not know it). */
export function serviceRows(views: readonly ServiceView[], opts: {allNamespaces: boolean; wide: boolean}): string[] {
  const head = [...(opts.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', ...(opts.wide ? ['SELECTOR'] : [])]
  const rows = views.map((v) => [
    ...(opts.allNamespaces ? [v.svc.metadata.namespace] : []),
    v.svc.metadata.name,
    v.svc.spec.type,
    clusterIPText(v),
    v.svc.spec.externalName ?? '<none>',
    portsText(v),
    ...(opts.wide ? [selectorText(v.svc.spec.selector)] : []),
  ])
  return table([head, ...rows])
}

/**
 * kubectl's ENDPOINTS column: `ip:port` for each port (outer) and address (inner), the first
 * three, then ` + N more...`; `<none>` when empty. Port 0 (a Service without ports) shows the address alone.
 */
export function endpointsText(eps: readonly Endpoint[], max = 3): string {
  if (eps.length === 0) return '<none>'
  const shown = eps.slice(0, max).map((e) => (e.port === 0 ? e.ip : `${e.ip}:${e.port}`)).join(',')
  return eps.length > max ? `${shown} + ${eps.length - max} more...` : shown
}

/** kubectl get endpoints: NAME ENDPOINTS (ready addresses only, as Endpoints' `addresses`). */
export function endpointsRows(views: readonly ServiceView[], opts: {allNamespaces: boolean}): string[] {
  const head = [...(opts.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'ENDPOINTS']
  const rows = views.filter((v) => v.svc.spec.type !== 'ExternalName').map((v) => [...(opts.allNamespaces ? [v.svc.metadata.namespace] : []), v.svc.metadata.name, endpointsText(v.ready)])
  return table([head, ...rows])
}

function mapText(m: Record<string, string>): string[] {
  const keys = Object.keys(m).sort()
  return keys.length === 0 ? ['<none>'] : keys.map((k) => `${k}=${m[k]}`)
}

/** kubectl describe service, in short (no events: kgit keeps none). */
export function describeService(v: ServiceView): string[] {
  const s = v.svc
  const rows: [string, string | string[]][] = [
    ['Name', s.metadata.name],
    ['Namespace', s.metadata.namespace],
    ['Labels', mapText(s.metadata.labels)],
    ['Annotations', mapText(s.metadata.annotations)],
    ['Selector', selectorText(s.spec.selector)],
    ['Type', s.spec.type],
  ]
  if (s.spec.type === 'ExternalName') rows.push(['External Name', s.spec.externalName ?? ''])
  else rows.push(['IP Family Policy', 'SingleStack'], ['IP Families', 'IPv4'], ['IP', clusterIPText(v)], ['IPs', clusterIPText(v)])
  for (const p of s.spec.ports) {
    const name = p.name || '<unset>'
    rows.push(['Port', `${name}  ${p.port}/${p.protocol}`], ['TargetPort', `${p.targetPort}/${p.protocol}`])
    const np = s.spec.type === 'NodePort' ? nodePortOf(v, p) : undefined
    if (np !== undefined) rows.push(['NodePort', `${name}  ${np}/${p.protocol}`])
    rows.push(['Endpoints', endpointsText(v.ready.filter((e) => e.portName === p.name))])
  }
  if (v.notReady?.length) rows.push(['Not Ready', endpointsText(v.notReady, v.notReady.length)])
  rows.push(['Session Affinity', s.spec.sessionAffinity])
  if (s.spec.sessionAffinity === 'ClientIP') rows.push(['Affinity Timeout', `${s.spec.affinityTimeoutSeconds}s`])
  if (s.spec.externalTrafficPolicy) rows.push(['External Traffic Policy', s.spec.externalTrafficPolicy])
  rows.push(['Internal Traffic Policy', s.spec.internalTrafficPolicy], ['Events', '<none>'])
  const width = Math.max(...rows.map(([k]) => k.length)) + 3
  return rows.flatMap(([k, val]) => (Array.isArray(val) ? val : [val]).map((x, i) => `${(i === 0 ? k + ':' : '').padEnd(width)}${x}`.trimEnd()))
}
