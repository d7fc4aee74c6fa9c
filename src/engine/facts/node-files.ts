import type {ClaimMark} from '../types.js'

/** What one probe loop last wrote (templates/node/kgit-probe.sh). */
export interface ProbeState {
  status: 'ok' | 'fail'
  /** Node clock, seconds: when the status last changed. */
  since: number
  lastRun: number
  restarts: number
  /** The pod instance (podman pod ID) the loop belongs to. */
  token: string
  message: string
}

/** kgit's files under a node's dataDir: IDs of what it started, probe states, the apply record. */
export interface NodeFiles {
  /** podman pod name -> pod ID kgit created. */
  podIds: Map<string, string>
  /** podman container name -> container ID kgit started. */
  containerIds: Map<string, string>
  /** probe file (`NS_POD_CONTAINER.ready|live`) -> state. */
  probes: Map<string, ProbeState>
  /** The node's clock when it answered, seconds. */
  now: number
  /** record.json as written by the last apply (unparsed). */
  record?: string
  /** Claims bound on the node (dataDir/claims/NAMESPACE/CLAIM). */
  claims: ClaimMark[]
  /** dataDir/net/slice and dataDir/net/state: the pod network kgit made there (ADR 0017). */
  net: {slice?: string; state?: string}
  /** podman pod name -> `FILESHASH ENVHASH` of the configMap and secret files kgit wrote for it (dataDir/pod-files/POD/hash). */
  podFiles: Map<string, string>
}

const RECORD_MARK = '@@kgit-record@@'

/** Parses the kgit-files part of the node state script's answer (facts/node-state.ts). */
export function parseNodeFiles(stdout: string): NodeFiles {
  const at = stdout.indexOf(`${RECORD_MARK}\n`)
  const head = at >= 0 ? stdout.slice(0, at) : stdout
  const out: NodeFiles = {podIds: new Map(), containerIds: new Map(), probes: new Map(), now: 0, claims: [], net: {}, podFiles: new Map()}
  if (at >= 0) out.record = stdout.slice(at + RECORD_MARK.length + 1)
  const lines = head.split('\n')
  out.now = Number(lines[0]) || 0
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':')
    if (i < 0) continue
    const path = line.slice(0, i)
    const text = line.slice(i + 1).trim()
    if (path.startsWith('ids/') && path.endsWith('.pod')) out.podIds.set(path.slice(4, -4), text)
    else if (path.startsWith('ids/') && path.endsWith('.ctr')) out.containerIds.set(path.slice(4, -4), text)
    else if (path === 'net/slice' && text) out.net.slice = text
    else if (path === 'net/state' && text) out.net.state = text
    else if (path.startsWith('pod-files/') && path.endsWith('/hash')) out.podFiles.set(path.slice(10, -5), text)
    else if (path.startsWith('claims/')) {
      const m = parseClaimMark(path, text)
      if (m) out.claims.push(m)
    } else if (path.startsWith('probes/') && path.endsWith('.state')) {
      const s = parseProbeState(text)
      if (s) out.probes.set(path.slice(7, -6), s)
    }
  }
  return out
}

/** A claim mark; its namespace and claim are those of its path. A mark kgit cannot read is left out. */
export function parseClaimMark(path: string, text: string): ClaimMark | undefined {
  const [, namespace, claim, extra] = path.split('/')
  if (!namespace || !claim || extra !== undefined) return undefined
  try {
    const v = JSON.parse(text) as Partial<ClaimMark>
    if (typeof v.pv !== 'string' || typeof v.capacity !== 'number' || !Array.isArray(v.accessModes)) return undefined
    return {...v, namespace, claim, pv: v.pv, storageClass: v.storageClass ?? '', capacity: v.capacity, accessModes: v.accessModes, reclaimPolicy: v.reclaimPolicy ?? 'Retain'}
  } catch {
    return undefined
  }
}

function parseProbeState(text: string): ProbeState | undefined {
  const m = /^(ok|fail) (\d+) (\d+) (\d+) (\S*) ?(.*)$/.exec(text)
  if (!m) return undefined
  return {status: m[1] as 'ok' | 'fail', since: Number(m[2]), lastRun: Number(m[3]), restarts: Number(m[4]), token: m[5]!, message: m[6]!}
}
