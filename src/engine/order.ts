/**
 * Compares strings by code unit, never by locale: the same input must sort the same on
 * every machine (a laptop's plan and CI's apply), whatever LANG says.
 */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
