/** IPv4 address and CIDR arithmetic, enough for validation and address slicing. */

export interface Cidr {
  base: number
  prefix: number
}

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s)
  if (!m) return undefined
  const parts = m.slice(1).map(Number)
  if (parts.some((p) => p > 255)) return undefined
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

export function parseCidr(s: string): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s)
  if (!m) return undefined
  const ip = parseIPv4(m[1]!)
  const prefix = Number(m[2])
  if (ip === undefined || prefix > 32) return undefined
  if ((ip & ~maskOf(prefix)) >>> 0 !== 0) return undefined
  return {base: ip, prefix}
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix)
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === c.base
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix)
  const m = maskOf(p)
  return ((a.base & m) >>> 0) === ((b.base & m) >>> 0)
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`
}
