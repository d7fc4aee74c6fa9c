import {EVENT_ID, SCALAR_STYLE, type Event} from 'js-yaml'

/**
 * js-yaml expands aliases by sharing objects, so a billion-laughs document parses in no
 * time and explodes later. `yaml` refuses it ("Excessive alias count") by counting, per
 * anchor, uses x aliases inside (its maxAliasCount, 200 here). This module bounds that same
 * figure from above on js-yaml's events; a document over the bound goes to `yaml`, which
 * then decides exactly as before. Never accepting what `yaml` refuses is the point; a few
 * documents `yaml` would accept taking the slow path is the price.
 */

/** `yaml`'s maxAliasCount as kgit sets it: bounds YAML bombs. */
export const MAX_ALIAS_COUNT = 200
/** Work allowed to replay merges (`<<: *x` re-reads x's aliases each time). */
const MAX_STEPS = 100_000

interface ANode {
  type: number
  children: ANode[]
  /** For an alias: the anchored node it names. */
  target?: ANode
  /** A plain `<<` key. */
  merge: boolean
  open: boolean
  anchored: boolean
  /** How many times `yaml` may resolve an alias to this node. */
  uses: number
  /** Upper bound of `yaml`'s alias count of this node (memoized). */
  bound?: number
}

/** Whether the document whose DOCUMENT event is `events[first]` stays within `yaml`'s alias limit. */
export function aliasesWithinLimit(events: readonly Event[], first: number, text: string): boolean {
  const tree = buildTree(events, first, text)
  if (!tree) return false
  try {
    const steps = {left: MAX_STEPS}
    if (tree.root) walk(tree.root, steps)
    return tree.anchored.every((n) => n.uses === 0 || (1 + n.uses) * bound(n) <= MAX_ALIAS_COUNT)
  } catch {
    return false // out of steps, or a structure too deep to follow: let `yaml` judge
  }
}

function buildTree(events: readonly Event[], first: number, text: string): {root?: ANode; anchored: ANode[]} | undefined {
  const anchors = new Map<string, ANode>()
  const anchored: ANode[] = []
  const stack: ANode[] = []
  let root: ANode | undefined
  for (let i = first + 1; i < events.length; i++) {
    const e = events[i] as Event
    if (e.type === EVENT_ID.DOCUMENT) break
    if (e.type === EVENT_ID.POP) {
      const done = stack.pop()
      if (done) done.open = false
      continue
    }
    const n: ANode = {type: e.type, children: [], merge: false, open: e.type !== EVENT_ID.SCALAR && e.type !== EVENT_ID.ALIAS, anchored: false, uses: 0}
    const name = text.slice(e.anchorStart, e.anchorEnd)
    if (e.type === EVENT_ID.ALIAS) {
      n.target = anchors.get(name)
      // An alias to its own enclosing node is a cycle: not a manifest, and `yaml` reports it.
      if (!n.target || n.target.open) return undefined
    } else if (e.anchorStart !== -1) {
      n.anchored = true
      anchors.set(name, n)
      anchored.push(n)
    }
    if (e.type === EVENT_ID.SCALAR) n.merge = e.style === SCALAR_STYLE.PLAIN && e.valueEnd - e.valueStart === 2 && text.startsWith('<<', e.valueStart)
    const parent = stack[stack.length - 1]
    if (parent) parent.children.push(n)
    else root = n
    if (n.open) stack.push(n)
  }
  return {root, anchored}
}

/** Replays `yaml`'s toJS order, counting alias resolutions; merges convert their source again. */
function walk(n: ANode, steps: {left: number}): void {
  if (--steps.left < 0) throw new Error('too many steps')
  if (n.type === EVENT_ID.ALIAS) {
    resolve(n)
  } else if (n.type === EVENT_ID.MAPPING) {
    for (let i = 0; i < n.children.length; i += 2) {
      const key = n.children[i] as ANode
      const value = n.children[i + 1]
      walk(key, steps)
      if (!value) continue
      if (key.merge) mergeInto(value, steps)
      else walk(value, steps)
    }
  } else {
    for (const c of n.children) walk(c, steps)
  }
}

function mergeInto(value: ANode, steps: {left: number}): void {
  const source = resolve(value)
  const parts = source.type === EVENT_ID.SEQUENCE ? source.children : [source]
  for (const p of parts) {
    const map = resolve(p)
    if (map.type === EVENT_ID.MAPPING) walk(map, steps)
  }
}

function resolve(n: ANode): ANode {
  if (!n.target) return n
  n.target.uses++
  return n.target
}

/** `yaml`'s getAliasCount with every anchor's final use count: never below what it computes. */
function bound(n: ANode): number {
  if (n.bound !== undefined) return n.bound
  let b: number
  if (n.target) b = (1 + n.target.uses) * bound(n.target)
  else if (n.type === EVENT_ID.SCALAR) b = 1
  else b = n.children.reduce((max, c) => Math.max(max, bound(c)), 0)
  n.bound = b
  return b
}
