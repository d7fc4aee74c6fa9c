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
      const re = new RegExp(`^${MARK}(\\d+)$`, 'm')
      const chunks = stdout.split(re)
      // chunks: [before, idx, body, idx, body, ...]
      for (let i = 1; i + 1 < chunks.length; i += 2) parts[Number(chunks[i])] = chunks[i + 1]!
      return parts
    },
  }
}
