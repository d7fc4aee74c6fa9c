// The contract between what renders kgit's iptables rules (Services: nat table,
// NetworkPolicy: filter table) and what writes them on a node in one iptables-restore call.

/** Every chain kgit owns starts with this; facts and the sync script only ever touch these. */
export const CHAIN_PREFIX = 'KGIT-'

/** A jump from a built-in chain into one of kgit's chains, kept in place (checked, inserted when missing). */
export interface ChainHook {
  /** Built-in chain: PREROUTING, OUTPUT, POSTROUTING, FORWARD, INPUT. */
  chain: string
  /** The rule's words after `-A CHAIN`, e.g. ['-m', 'comment', '--comment', 'kgit services', '-j', 'KGIT-SERVICES']. */
  rule: string[]
}

/** kgit's rules in one table of one node. */
export interface RuleSet {
  table: 'nat' | 'filter'
  /** kgit's chains in this table (each starts with CHAIN_PREFIX, at most 28 characters), in a stable order. */
  chains: string[]
  /**
   * Rule lines in iptables-restore syntax, each `-A KGIT-... ...` on one of `chains`,
   * with words quoted as iptables-restore reads them (a comment with spaces in double quotes).
   */
  rules: string[]
  /** Jumps from built-in chains into kgit's chains, inserted first in their chain when missing. */
  hooks: ChainHook[]
}

/**
 * The iptables-restore input for one table: declaring a chain in `--noflush` mode creates
 * or flushes it, so kgit's chains are rewritten whole and nothing else is touched.
 * `stale` chains (kgit's, on the node, no longer wanted) are flushed, then deleted after
 * the new rules stop jumping to them.
 */
export function restoreText(set: RuleSet, stale: readonly string[] = []): string {
  const drop = stale.filter((c) => c.startsWith(CHAIN_PREFIX) && !set.chains.includes(c))
  return [`*${set.table}`, ...[...set.chains, ...drop].map((c) => `:${c} - [0:0]`), ...set.rules, ...drop.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n')
}

/** A word in iptables-restore syntax: quoted when it holds spaces or quotes. */
export function restoreWord(w: string): string {
  return /^[^\s"'\\]+$/.test(w) ? w : `"${w.replace(/["\\]/g, (c) => `\\${c}`)}"`
}
