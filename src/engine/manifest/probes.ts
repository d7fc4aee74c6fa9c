import type {ContainerPort, Probe, ProbeHandler} from '../types.js'
import type {FieldReader} from './field-reader.js'
import type {PathPart} from './yaml-docs.js'

const HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const

/**
 * A liveness or readiness probe with Kubernetes' defaults. Returns undefined when absent,
 * invalid, or a grpc probe (kgit cannot run those yet: pod-features reports it).
 */
export function readProbe(r: FieldReader, p: PathPart[], ports: ContainerPort[], liveness: boolean): Probe | undefined {
  if (r.map(p) === undefined) return undefined
  const present = HANDLERS.filter((h) => r.get([...p, h]) !== undefined && r.get([...p, h]) !== null)
  if (present.length === 0) r.fail(p, 'must specify a handler type (exec, httpGet, tcpSocket or grpc)')
  if (present.length > 1) r.fail([...p, present[1]!], `may not specify more than 1 handler type (also ${present[0]})`)
  // 0 means "default" for these, as the API server's defaulting treats it.
  const num = (f: string, def: number, min: number): number => {
    const v = r.int([...p, f], {min})
    return v === undefined || v === 0 ? def : v
  }
  const probe = {
    initialDelaySeconds: r.int([...p, 'initialDelaySeconds'], {min: 0}) ?? 0,
    periodSeconds: num('periodSeconds', 10, 0),
    timeoutSeconds: num('timeoutSeconds', 1, 0),
    successThreshold: num('successThreshold', 1, 0),
    failureThreshold: num('failureThreshold', 3, 0),
  }
  if (liveness && probe.successThreshold !== 1) r.fail([...p, 'successThreshold'], `Invalid value: ${probe.successThreshold}: must be 1`)
  if (present.length !== 1 || present[0] === 'grpc') return undefined
  const handler = readHandler(r, [...p, present[0]!], present[0]!, ports)
  return handler ? {handler, ...probe} : undefined
}

function readHandler(r: FieldReader, p: PathPart[], kind: 'exec' | 'httpGet' | 'tcpSocket', ports: ContainerPort[]): ProbeHandler | undefined {
  r.map(p)
  if (kind === 'exec') {
    const command = r.strList([...p, 'command']) ?? []
    if (command.length === 0) r.fail([...p, 'command'], 'Required value: must specify a command')
    return {exec: {command}}
  }
  const port = probePort(r, [...p, 'port'], ports)
  const host = r.str([...p, 'host'])
  if (kind === 'tcpSocket') return {tcpSocket: {port, ...(host ? {host} : {})}}
  const headers = (r.list([...p, 'httpHeaders']) ?? []).map((_, i) => ({
    name: r.str([...p, 'httpHeaders', i, 'name'], {required: true}) ?? '',
    value: r.str([...p, 'httpHeaders', i, 'value']) ?? '',
  }))
  const scheme = (r.str([...p, 'scheme'], {oneOf: ['HTTP', 'HTTPS']}) ?? 'HTTP') as 'HTTP' | 'HTTPS'
  return {httpGet: {path: r.str([...p, 'path']) || '/', port, scheme, ...(host ? {host} : {}), headers}}
}

/** A port number, or the name of one of the container's ports, resolved to its number. */
function probePort(r: FieldReader, p: PathPart[], ports: ContainerPort[]): number {
  const v = r.get(p)
  if (typeof v === 'string' && !/^[0-9]+$/.test(v)) {
    const named = ports.find((port) => port.name === v)
    if (!named) r.fail(p, `no port named "${v}" in this container's ports${ports.some((x) => x.name) ? ` (named: ${ports.flatMap((x) => x.name ?? []).join(', ')})` : ''}`)
    return named?.containerPort ?? 0
  }
  if (typeof v === 'string') {
    const n = Number(v)
    if (n < 1 || n > 65535) r.fail(p, `must be between 1 and 65535, got ${v}`)
    return n
  }
  return r.int(p, {required: true, min: 1, max: 65535}) ?? 0
}
