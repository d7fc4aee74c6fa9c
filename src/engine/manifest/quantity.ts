/**
 * Kubernetes resource quantities (`250m`, `64Mi`, `1.5Gi`, `2e3`, `1k`): parsed to the
 * units kgit counts in (cpu in millicores, everything else in base units, rounded up as
 * Kubernetes rounds a quantity's Value/MilliValue), and formatted back the way kubectl
 * shows them.
 */
const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/

const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
}

/** The value of a quantity in base units (cores, bytes...), or undefined when it is not one. */
export function parseQuantity(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined
  const m = QUANTITY.exec(text.trim())
  if (!m || text.trim() !== text) return undefined
  const [, sign, digits, suffix = ''] = m
  const mult = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX[suffix]!
  const v = Number(digits) * mult
  return sign === '-' ? -v : v
}

/** cpu counts in millicores, every other resource in whole base units; both round up. */
export function resourceAmount(resource: string, q: number): number {
  // Float noise (0.1 * 1000 = 100.00000000000001) must not round up a whole amount.
  const scaled = isCpu(resource) ? q * 1000 : q
  const near = Math.round(scaled)
  return Math.abs(scaled - near) < 1e-6 ? near : Math.ceil(scaled)
}

function isCpu(resource: string): boolean {
  return resource === 'cpu' || resource.endsWith('.cpu')
}

const BINARY = [['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const

function isBytes(resource: string): boolean {
  return /memory|storage/.test(resource)
}

/** How kubectl shows an amount: cpu as `250m` or `2`, memory as `64Mi`, `1Gi` or bytes. */
export function formatAmount(resource: string, amount: number): string {
  if (isCpu(resource)) return amount % 1000 === 0 ? String(amount / 1000) : `${amount}m`
  if (isBytes(resource)) {
    for (const [s, f] of BINARY) if (amount >= f && amount % f === 0) return `${amount / f}${s}`
    for (const [s, f] of [['G', 1e9], ['M', 1e6], ['k', 1e3]] as const) if (amount >= f && amount % f === 0) return `${amount / f}${s}`
  }
  return String(amount)
}

/** A short amount for a column: cpu exact, bytes in the largest binary unit, one decimal below 10 (`3.8Gi`). */
export function roundedAmount(resource: string, amount: number): string {
  if (!isBytes(resource)) return formatAmount(resource, amount)
  for (const [s, f] of BINARY) if (amount >= f) return `${Number((amount / f).toFixed(amount / f < 10 ? 1 : 0))}${s}`
  return String(amount)
}
