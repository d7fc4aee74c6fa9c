// Pure IPv4 arithmetic and the choice of a lab's slice of addresses. No I/O here.
import {UsageError} from '../../errors.js'
import {cidrSize, cidrsOverlap, formatCidr, formatIPv4, maskOf, parseIPv4, type Cidr} from '../../manifest/cidr.js'

export {formatCidr, type Cidr}

/** One host route, as `ip -j -4 route show table all` reports it. */
export interface HostRoute {
  dst: string
  dev?: string
  table?: string
}

/** The addresses a lab uses: its slice, the host bridge address and one address per node. */
export interface LabAddressing {
  subnet: string
  prefix: number
  gateway: string
  addresses: string[]
}

/** Bridges of kgit labs: routes on them only mean "another lab holds this slice". */
export const LAB_BRIDGE_RE = /^kb-[a-z0-9]{1,8}$/

export function ipToInt(ip: string): number {
  const n = parseIPv4(ip)
  if (n === undefined) throw new UsageError(`not an IPv4 address: ${ip}`)
  return n
}

export const intToIp = formatIPv4

/** Parses `A.B.C.D/P` (or a bare address, meaning /32); the base must have no host bits set. */
export function parseCidr(text: string): Cidr {
  const [addr = '', len, ...rest] = text.split('/')
  const prefix = len === undefined ? 32 : Number(len)
  if (rest.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > 32 || len === '') {
    throw new UsageError(`not an IPv4 CIDR: ${text}`)
  }
  const ip = ipToInt(addr)
  const base = (ip & maskOf(prefix)) >>> 0
  if (base !== ip) throw new UsageError(`${text} has host bits set; did you mean ${intToIp(base)}/${prefix}?`)
  return {base, prefix}
}

export const overlaps = cidrsOverlap

/** True when `outer` holds every address of `inner`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.prefix <= inner.prefix && outer.base === ((inner.base & maskOf(outer.prefix)) >>> 0)
}

/** Prefix length of the smallest slice holding network, gateway, broadcast and `nodes` addresses (at most /29). */
export function slicePrefix(nodes: number): number {
  let bits = 3
  while (2 ** bits < nodes + 3) bits++
  return 32 - bits
}

/** Reads the JSON of `ip -j -4 route show table all`; the default route is no conflict. */
export function parseRoutes(json: string): HostRoute[] {
  const data: unknown = JSON.parse(json || '[]')
  if (!Array.isArray(data)) throw new TypeError('ip -j route: expected a JSON array')
  return data
    .filter((r): r is HostRoute => typeof r === 'object' && r !== null && typeof (r as HostRoute).dst === 'string')
    .filter((r) => r.dst !== 'default' && !r.dst.endsWith('/0'))
    .map((r) => ({dst: r.dst, dev: r.dev, table: r.table}))
}

/**
 * Picks the first aligned slice of `within` that is large enough for `nodes` nodes and
 * overlaps neither a host route nor a slice other labs have recorded (`taken`).
 * A route on a non-kgit device that covers all of `within` is refused: the lab would
 * shadow a real network.
 */
export function chooseAddressing(opts: {within: string; nodes: number; routes: HostRoute[]; taken: string[]}): LabAddressing {
  const within = parseCidr(opts.within)
  const prefix = slicePrefix(opts.nodes)
  if (prefix < within.prefix) {
    throw new UsageError(`${opts.nodes} nodes need a /${prefix} but --subnet ${opts.within} is a /${within.prefix}`)
  }
  refuseForeignCover(within, opts.routes)
  const busy = [...opts.routes.map((r) => routeCidr(r.dst)), ...opts.taken.map(parseCidr)]
  const step = 2 ** (32 - prefix)
  for (let base = within.base; base < within.base + cidrSize(within); base += step) {
    const slice = {base, prefix}
    if (busy.some((b) => overlaps(b, slice))) continue
    return addressing(slice, opts.nodes)
  }
  throw new UsageError(`no free /${prefix} left in ${opts.within} (taken: ${describeBusy(within, opts)}); pick another range with --subnet`)
}

/** A route's destination; `ip route` prints single addresses (local, broadcast) without a length. */
function routeCidr(dst: string): Cidr {
  const [addr = '', len = '32'] = dst.split('/')
  const prefix = Number(len)
  return {base: (ipToInt(addr) & maskOf(prefix)) >>> 0, prefix}
}

function refuseForeignCover(within: Cidr, routes: HostRoute[]): void {
  for (const r of routes) {
    if (r.dev !== undefined && LAB_BRIDGE_RE.test(r.dev)) continue
    if (contains(routeCidr(r.dst), within)) {
      throw new UsageError(
        `--subnet ${formatCidr(within)} is inside the host route ${r.dst} on device ${r.dev ?? '(none)'}${r.table ? ` (table ${r.table})` : ''}; pick another range with --subnet`,
      )
    }
  }
}

function describeBusy(within: Cidr, opts: {routes: HostRoute[]; taken: string[]}): string {
  const routes = opts.routes.filter((r) => overlaps(routeCidr(r.dst), within)).map((r) => `${r.dst} dev ${r.dev ?? '(none)'}`)
  return [...new Set([...routes, ...opts.taken.map((t) => `${t} (lab state)`)])].join(', ')
}

function addressing(slice: Cidr, nodes: number): LabAddressing {
  return {
    subnet: formatCidr(slice),
    prefix: slice.prefix,
    gateway: intToIp(slice.base + 1),
    addresses: Array.from({length: nodes}, (_, i) => intToIp(slice.base + 2 + i)),
  }
}
