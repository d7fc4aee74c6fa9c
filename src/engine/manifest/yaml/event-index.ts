import {EVENT_ID, NOT_RESOLVED, SCALAR_STYLE, getScalarValue, type Event, type ScalarEvent} from 'js-yaml'
import {CORE_SCALARS} from './core-tags.js'
import type {PathPart} from './path.js'

/**
 * js-yaml's events of one file, kept compact (14 bytes each) so that a field's line can be
 * found without parsing again. The lookup follows `yaml`'s rules exactly (see positionIn in
 * slow.ts: a mapping step lands on the key, a sequence step on the item); where the two
 * parsers place a node differently (anchors, block scalars, empty items, a root that is not
 * a mapping) it answers undefined and the caller asks `yaml`.
 */
export class EventIndex {
  private readonly type: Uint8Array
  /** Scalar style, plus FAST and ANCHOR bits. */
  private readonly flags: Uint8Array
  /** Start offset: a collection's `start`, a scalar's `valueStart`. */
  private readonly start: Int32Array
  /** A scalar's `valueEnd`. */
  private readonly end: Int32Array
  /** Index of the event after this node (after its POP for a collection). */
  private readonly next: Int32Array
  private lineStarts: Int32Array | undefined

  constructor(
    events: readonly Event[],
    private readonly text: string,
  ) {
    const n = events.length
    this.type = new Uint8Array(n)
    this.flags = new Uint8Array(n)
    this.start = new Int32Array(n).fill(-1)
    this.end = new Int32Array(n).fill(-1)
    this.next = new Int32Array(n + 1).fill(n)
    const open: number[] = []
    for (let i = 0; i < n; i++) {
      const e = events[i] as Event
      this.type[i] = e.type
      if (e.type === EVENT_ID.POP) {
        this.next[open.pop() ?? n] = i + 1
        continue
      }
      if (e.type === EVENT_ID.DOCUMENT) {
        open.push(i)
        continue
      }
      this.next[i] = i + 1
      const anchor = e.anchorStart !== -1 ? ANCHOR : 0
      this.flags[i] = anchor
      if (e.type === EVENT_ID.SCALAR) {
        this.flags[i] = anchor | e.style | (e.fast ? FAST : 0)
        this.start[i] = e.valueStart
        this.end[i] = e.valueEnd
      } else if (e.type !== EVENT_ID.ALIAS) {
        this.start[i] = e.start
        open.push(i)
      }
    }
  }

  /** The line `yaml` gives `path` under the root node at event `root`, or undefined: ask `yaml`. */
  lineOf(root: number, path: readonly PathPart[]): number | undefined {
    let i = root
    if (this.type[i] !== EVENT_ID.MAPPING || this.anchored(i)) return undefined
    let best = this.start[i] as number
    for (const part of path) {
      if (this.type[i] === EVENT_ID.MAPPING) {
        const key = this.findKey(i, String(part))
        if (key === -1) break
        if (key === undefined) return undefined
        best = this.start[key] as number
        i = this.next[key] as number
      } else if (this.type[i] === EVENT_ID.SEQUENCE && typeof part === 'number') {
        const item = this.item(i, part)
        if (item === -1) break
        if (!this.placedAlike(item)) return undefined
        best = this.start[item] as number
        i = item
      } else {
        break
      }
    }
    return this.lineAt(best)
  }

  /** The key event whose value `yaml` prints as `part`; -1 when none, undefined when unsure. */
  private findKey(map: number, part: string): number | undefined {
    for (let k = map + 1; k < this.type.length && this.type[k] !== EVENT_ID.POP; k = this.next[this.next[k] as number] as number) {
      // `yaml` looks at scalar keys only; an alias or a collection as key is skipped.
      if (this.type[k] !== EVENT_ID.SCALAR) continue
      const style = (this.flags[k] as number) & STYLE
      if (style === SCALAR_STYLE.LITERAL_BLOCK || style === SCALAR_STYLE.FOLDED_BLOCK || this.anchored(k)) return undefined
      if (this.keyText(k, style) === part) return k
    }
    return -1
  }

  /** String(key.value) of `yaml`'s key node: plain keys are resolved by the core schema. */
  private keyText(k: number, style: number): string {
    const s = this.start[k] as number
    const e = this.end[k] as number
    const fast = ((this.flags[k] as number) & FAST) !== 0
    const raw = s === -1 ? '' : fast ? this.text.slice(s, e) : getScalarValue(this.text, scalarEvent(s, e, style))
    if (style !== SCALAR_STYLE.PLAIN) return raw
    if (raw === '<<') return String(Symbol('<<')) // `yaml`'s merge key value
    for (const tag of CORE_SCALARS) {
      const v = tag.resolve(raw, false, tag.tagName)
      if (v !== NOT_RESOLVED) return String(v)
    }
    return raw
  }

  /** The event of item `index` of a sequence, or -1 when there is no such item. */
  private item(seq: number, index: number): number {
    if (!Number.isInteger(index) || index < 0) return -1
    let k = seq + 1
    for (let n = 0; n < index && this.type[k] !== EVENT_ID.POP; n++) k = this.next[k] as number
    return k >= this.type.length || this.type[k] === EVENT_ID.POP ? -1 : k
  }

  /** Whether js-yaml's start offset lies on the line where `yaml`'s node range starts. */
  private placedAlike(i: number): boolean {
    const t = this.type[i]
    if (t === EVENT_ID.ALIAS || this.anchored(i)) return false
    if (t !== EVENT_ID.SCALAR) return true
    const style = (this.flags[i] as number) & STYLE
    // A block scalar starts at its `|` for `yaml`, at its text for js-yaml; an empty one has no offset.
    return style !== SCALAR_STYLE.LITERAL_BLOCK && style !== SCALAR_STYLE.FOLDED_BLOCK && this.start[i] !== -1
  }

  private anchored(i: number): boolean {
    return ((this.flags[i] as number) & ANCHOR) !== 0
  }

  /** 1-based line of an offset, as `yaml`'s LineCounter counts (after each "\n"). */
  private lineAt(offset: number): number {
    const starts = (this.lineStarts ??= lineStartsOf(this.text))
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((starts[mid] as number) <= offset) lo = mid
      else hi = mid - 1
    }
    return lo + 1
  }
}

const STYLE = 0x0f
const FAST = 0x10
const ANCHOR = 0x20

function scalarEvent(valueStart: number, valueEnd: number, style: number): ScalarEvent {
  return {type: EVENT_ID.SCALAR, valueStart, valueEnd, anchorStart: -1, anchorEnd: -1, tagStart: -1, tagEnd: -1, style: style as ScalarEvent['style'], chomping: 1, indent: -1, fast: false}
}

function lineStartsOf(text: string): Int32Array {
  let count = 1
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++
  const starts = new Int32Array(count)
  let n = 1
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts[n++] = at + 1
  return starts
}
