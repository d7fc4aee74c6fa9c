import {CORE_SCHEMA, EVENT_ID, constructFromEvents, defineMappingTag, mergeTag, parseEvents, type Event} from 'js-yaml'
import {aliasesWithinLimit} from './aliases.js'
import {CORE_SCALARS} from './core-tags.js'
import {EventIndex} from './event-index.js'
import {unshare} from './unshare.js'

/**
 * The fast path: js-yaml's event parser, about ten times faster than `yaml`. It gives up
 * (returns undefined) wherever the two parsers could disagree, and the caller then reads the
 * file with `yaml`: errors, explicit tags, directives, complex or colliding keys, heavy
 * alias use. The events stay behind, compact, to find a field's line (see {@link EventIndex}).
 */

/** One document of the fast path, before `kind: List` expansion. */
export interface FastDoc {
  value: unknown
  /** Index of the document's root node among the file's events (see {@link EventIndex}). */
  root: number
  /** An offset inside the root node, to find the document in `yaml`'s parse. */
  rootOffset: number
}

/**
 * Deeper nesting is left to `yaml`. Manifests stay far below; `yaml` itself overflows the
 * stack somewhere near 1000 levels (how near depends on the stack in use) and kgit reports
 * that as "nested too deeply", so the fast path must not accept what `yaml` might refuse.
 */
const MAX_DEPTH = 256

/**
 * `!!map` keyed as `yaml` keys a JS object: a null key is '', other scalars go through
 * String(). Keys that `yaml` would keep apart but an object cannot (`1` and "1") count as
 * duplicates here, so such a file goes to `yaml`, which decides as before.
 */
const yamlMapTag = defineMappingTag<Record<string, unknown>>('tag:yaml.org,2002:map', {
  create: () => ({}),
  identify: () => false,
  addPair: (m, key, value) => {
    if (key !== null && typeof key === 'object') return 'complex mapping key'
    const k = keyString(key)
    if (k === '__proto__') Object.defineProperty(m, k, {value, writable: true, enumerable: true, configurable: true})
    else m[k] = value
    return ''
  },
  has: (m, key) => key !== null && typeof key === 'object' ? false : Object.hasOwn(m, keyString(key)),
  keys: (m) => Object.keys(m),
  get: (m, key) => (Object.hasOwn(m, keyString(key)) ? m[keyString(key)] : null),
})

const SCHEMA = CORE_SCHEMA.withTags(...CORE_SCALARS, mergeTag, yamlMapTag)

function keyString(key: unknown): string {
  return key === null ? '' : String(key)
}

/** Values and a position index of a file, or undefined when `yaml` must read it. */
export function parseFast(text: string): {docs: FastDoc[]; index: EventIndex} | undefined {
  if (leftToYaml(text)) return undefined
  let events: Event[]
  let values: unknown[]
  try {
    events = parseEvents(text, {maxDepth: MAX_DEPTH})
  } catch {
    return undefined // `yaml` reads it again and reports the error in its own words.
  }
  const shapes = scanDocuments(events)
  if (!shapes) return undefined
  try {
    values = constructFromEvents(events, {source: text, schema: SCHEMA})
  } catch {
    return undefined
  }
  if (values.length !== shapes.length) return undefined
  const docs: FastDoc[] = []
  for (const [i, s] of shapes.entries()) {
    let value = values[i]
    if (s.aliases) {
      if (!aliasesWithinLimit(events, s.first, text)) return undefined
      try {
        value = unshare(value)
      } catch {
        return undefined
      }
    }
    docs.push({value, root: s.root, rootOffset: s.rootOffset})
  }
  return {docs, index: new EventIndex(events, text)}
}

interface DocShape {
  /** Event index of the document's DOCUMENT event. */
  first: number
  /** Event index of its root node. */
  root: number
  rootOffset: number
  aliases: boolean
}

/**
 * One pass over the events: where each document's root is and whether it uses aliases.
 * Undefined for what the fast path leaves to `yaml`: directives, explicit tags, and empty
 * keys (`: value`), which `yaml` refuses in some places where js-yaml accepts them.
 */
function scanDocuments(events: readonly Event[]): DocShape[] | undefined {
  const docs: DocShape[] = []
  let doc: DocShape = {first: 0, root: -1, rootOffset: -1, aliases: false}
  // Open collections (level 0 is the document): whether a mapping, how many children read.
  const isMap: boolean[] = [false]
  const read: number[] = [0]
  let top = 0
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as Event
    if (e.type === EVENT_ID.POP) {
      top--
      continue
    }
    if (e.type === EVENT_ID.DOCUMENT) {
      if (e.directives.length > 0) return undefined // %YAML 1.1 changes `yaml`'s schema
      doc = {first: i, root: -1, rootOffset: -1, aliases: false}
      docs.push(doc)
      top = 0
      read[0] = 0
      continue
    }
    const n = read[top] ?? 0
    read[top] = n + 1
    if (e.type === EVENT_ID.ALIAS) {
      doc.aliases = true
      continue
    }
    if (e.tagStart !== -1) return undefined // `yaml` resolves explicit tags its own way
    if (e.type === EVENT_ID.SCALAR) {
      if (isMap[top] && n % 2 === 0 && e.valueStart === -1) return undefined
    } else {
      top++
      isMap[top] = e.type === EVENT_ID.MAPPING
      read[top] = 0
    }
    if (doc.root === -1) {
      doc.root = i
      doc.rootOffset = e.type === EVENT_ID.SCALAR ? e.valueStart : e.start
    }
  }
  return docs
}

/**
 * Texts where js-yaml is more lenient than `yaml`: an indented `---` on the first line
 * (js-yaml starts a document, `yaml` refuses), a lone CR (a line break for js-yaml only).
 */
function leftToYaml(text: string): boolean {
  return INDENTED_FIRST_MARKER.test(text) || (text.includes('\r') && LONE_CR.test(text))
}

const INDENTED_FIRST_MARKER = /^\ufeff?[ \t]+---(?:[ \t\r\n]|$)/
const LONE_CR = /\r(?!\n)/
