import {UsageError} from '../engine/errors.js'

const UNIT_MS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}

/** `0`, `500ms`, `30s`, `5m`, `1h` (a bare number is seconds) -> milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim())
  if (!m) throw new UsageError(`${flag} ${text}: expected a duration such as 0, 30s, 5m or 1h`)
  return Number(m[1]) * UNIT_MS[m[2] ?? 's']!
}
