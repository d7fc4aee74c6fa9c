/** A fact: the command that asks a node something, and the pure parser of its answer. */
export interface Fact<T> {
  name: string
  argv: string[]
  parse(stdout: string): T
}

const MARK = '@@kgit-fact@@'

/**
 * Several facts in one round trip: one script whose output is split back into each
 * fact's stdout by marker lines.
 */
export function batchFacts(facts: Fact<unknown>[]): {steps: string[][]; split(stdout: string): string[]} {
  const steps = facts.flatMap((f, i) => [['echo', `${MARK}${i}`], f.argv])
  return {
    steps,
    split(stdout: string): string[] {
      const parts: string[] = facts.map(() => '')
      // Marker lines found with indexOf: a multiline regex over an answer of megabytes
      // (podman's JSON, record.json) cost seconds on a large fleet.
      let idx = -1
      let from = 0
      for (let at = markerAt(stdout, 0); ; at = markerAt(stdout, at + 1)) {
        const end = at < 0 ? stdout.length : at
        if (idx >= 0) parts[idx] = stdout.slice(from, end)
        if (at < 0) return parts
        const line = stdout.indexOf('\n', at)
        const digits = stdout.slice(at + MARK.length, line < 0 ? stdout.length : line)
        // Not a marker line after all: keep it in the part it is in.
        if (!/^\d+$/.test(digits)) continue
        idx = Number(digits)
        from = at + MARK.length + digits.length
      }
    },
  }
}

/** The next marker at the start of a line, from `from` on; -1 when there is none. */
function markerAt(text: string, from: number): number {
  for (let i = text.indexOf(MARK, from); i >= 0; i = text.indexOf(MARK, i + 1)) if (i === 0 || text[i - 1] === '\n') return i
  return -1
}
