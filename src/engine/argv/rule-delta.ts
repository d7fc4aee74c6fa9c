// Rewriting only what changed: with nf_tables, iptables-restore --noflush costs about as
// much per rule written as per rule kept, and a Service's change touches a few chains out
// of thousands (ADR 0013). A chain declared in the text is flushed and rewritten; a chain
// not named is left alone.
import {createHash} from 'node:crypto'
import {CHAIN_PREFIX, restoreText, type RuleSet} from './iptables.js'

/** The rule lines of each chain of the set, in order. */
export function rulesByChain(set: RuleSet): Map<string, string[]> {
  const out = new Map<string, string[]>(set.chains.map((c) => [c, []]))
  for (const rule of set.rules) out.get(rule.split(' ', 2)[1]!)?.push(rule)
  return out
}

/** A digest of each chain's rules: what an apply records on the node, to know next time what it wrote. */
export function chainDigests(set: RuleSet): Map<string, string> {
  return new Map([...rulesByChain(set)].map(([c, rules]) => [c, createHash('sha256').update(rules.join('\n')).digest('hex').slice(0, 16)]))
}

/** kgit's chains in `iptables-save -t TABLE` output, with their number of rules (0 for an empty chain). */
export function savedRuleCounts(saveText: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of saveText.split('\n')) {
    const chain = line.startsWith(':') ? line.slice(1).split(' ', 1)[0]! : line.startsWith('-A ') ? line.split(' ', 2)[1]! : ''
    if (!chain.startsWith(CHAIN_PREFIX)) continue
    out.set(chain, (out.get(chain) ?? 0) + (line.startsWith('-A ') ? 1 : 0))
  }
  return out
}

export interface RuleDelta {
  /** iptables-restore --noflush input; '' when the node already has the set. */
  text: string
  /** Chains declared (created or flushed) and written whole. */
  rewritten: string[]
  /** kgit's chains on the node that the set no longer has: flushed, then deleted. */
  deleted: string[]
}

/**
 * The restore text that brings a node from what it has to `set`: a chain is rewritten when
 * it is new or its digest differs from the one `recorded` at the last apply; kgit's chains
 * that the set lacks are deleted. With `onNode` (rule counts from iptables-save, which costs
 * about a second per 30,000 rules with nf_tables) the node's own word is checked too: a chain
 * holding another number of rules than the set (edited by hand) or missing is rewritten, and
 * the node's chains decide what is stale. Without it the record is trusted. Every kgit chain
 * of the table belongs to this set.
 */
export function restoreDelta(set: RuleSet, recorded: ReadonlyMap<string, string>, onNode?: ReadonlyMap<string, number>): RuleDelta {
  const rules = rulesByChain(set)
  const digests = chainDigests(set)
  const drifted = (c: string): boolean => onNode !== undefined && onNode.get(c) !== rules.get(c)!.length
  const rewritten = set.chains.filter((c) => recorded.get(c) !== digests.get(c) || drifted(c))
  const deleted = [...(onNode ?? recorded).keys()].filter((c) => !rules.has(c)).sort()
  if (rewritten.length === 0 && deleted.length === 0) return {text: '', rewritten, deleted}
  const part: RuleSet = {table: set.table, chains: rewritten, rules: rewritten.flatMap((c) => rules.get(c)!), hooks: set.hooks}
  return {text: restoreText(part, deleted), rewritten, deleted}
}
