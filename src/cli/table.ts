/** Visible width: chalk's escape codes take no room on screen. */
function visible(s: string): number {
  return s.replace(/\x1b\[[0-9;]*m/g, '').length // eslint-disable-line no-control-regex
}

/** kubectl-style columns: each padded to its widest cell, three spaces apart; the last not padded. */
export function table(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => visible(r[i] ?? ''))))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - visible(c) + 3))).join('').trimEnd())
}
