import {createRequire} from 'node:module'
import type {Document, LineCounter, Node as YamlNode} from 'yaml'
import type * as YamlLib from 'yaml'
import {ManifestError, type SourcePos} from '../../errors.js'
import {MAX_ALIAS_COUNT} from './aliases.js'
import {formatPath, type PathPart} from './path.js'
import {unshare} from './unshare.js'

let yamlLib: typeof YamlLib | undefined
/** The `yaml` package, loaded on first use: most runs never need it (~40 ms of start-up). */
function yaml(): typeof YamlLib {
  yamlLib ??= createRequire(import.meta.url)('yaml') as typeof YamlLib
  return yamlLib
}

/**
 * The `yaml` package's side: exact positions (a CST with offsets) and exact error messages.
 * Slow (about 4 ms per 20 objects), so it runs only for a file the fast path leaves to it,
 * or for a position the fast path's index cannot place.
 */

/** A file parsed by `yaml`: its documents and the line table of their offsets. */
export interface SlowFile {
  docs: Document[]
  lc: LineCounter
}

/** One parsed document, before `kind: List` expansion. */
export interface RawDoc {
  value: unknown
  posOf(path: readonly PathPart[]): SourcePos
}

// Merge keys (`<<: *base`) as Kubernetes (go-yaml) reads them; the fast path enables them too.
const OPTIONS = {prettyErrors: false, uniqueKeys: true, merge: true} as const

/** Parses a file for its node tree only (no values): what positions are looked up in. */
export function parseForPositions(text: string): SlowFile {
  const {LineCounter, parseAllDocuments} = yaml()
  const lc = new LineCounter()
  const all = parseAllDocuments(text, {...OPTIONS, lineCounter: lc})
  return {docs: Array.isArray(all) ? all : [all], lc}
}

/** The whole file through `yaml`, as kgit always read it: values, positions and error messages. */
export function parseSlow(file: string, text: string): {docs: RawDoc[]; errors: ManifestError[]} {
  const docs: RawDoc[] = []
  const errors: ManifestError[] = []
  let parsed: SlowFile
  try {
    parsed = parseForPositions(text)
  } catch (err) {
    return {docs, errors: [new ManifestError({file, line: 1}, cleanYamlMessage((err as Error).message), {cause: err})]}
  }
  const {lc} = parsed
  for (const doc of parsed.docs) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) errors.push(new ManifestError({file, line: lc.linePos(e.pos[0]).line}, cleanYamlMessage(e.message)))
      continue
    }
    if (doc.contents === null) continue
    const line = lc.linePos(doc.contents.range?.[0] ?? 0).line
    let value: unknown
    try {
      value = doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})
      // `yaml` hands out one object for every use of an anchor; callers get a tree.
      if (text.includes('*')) value = unshare(value)
    } catch (err) {
      errors.push(new ManifestError({file, line}, cleanYamlMessage((err as Error).message), {cause: err}))
      continue
    }
    if (value === null || value === undefined) continue
    docs.push({value, posOf: (path) => positionIn(doc, parsed.lc, file, path)})
  }
  return {docs, errors}
}

/** The document of `parsed` that holds source offset `offset`. */
export function documentAt(parsed: SlowFile, offset: number): Document | undefined {
  let found: Document | undefined
  for (const doc of parsed.docs) {
    if ((doc.range?.[0] ?? 0) > offset) break
    found = doc
  }
  return found
}

/** Line and displayed path of `path` in `doc`, falling back to the nearest parent that exists. */
export function positionIn(doc: Document, lc: LineCounter, file: string, path: readonly PathPart[]): SourcePos {
  const {isMap, isScalar, isSeq} = yaml()
  let node: YamlNode | null | undefined = doc.contents as YamlNode | null
  let best = node?.range?.[0] ?? 0
  const list = [...path]
  // Strip the List wrapper from the displayed path; keep it for the lookup.
  const shown = list[0] === 'items' && typeof list[1] === 'number' ? list.slice(2) : list
  for (const part of list) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(part))
      if (!pair) break
      const keyRange = isScalar(pair.key) ? pair.key.range : undefined
      if (keyRange) best = keyRange[0]
      node = pair.value as YamlNode | null
      if (node?.range && !keyRange) best = node.range[0]
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part] as YamlNode | null
      if (!node?.range) break
      best = node.range[0]
    } else {
      break
    }
  }
  return {file, line: lc.linePos(best).line, path: formatPath(shown)}
}

function cleanYamlMessage(msg: string): string {
  if (/call stack/i.test(msg)) return 'invalid YAML: nested too deeply for a manifest'
  return 'invalid YAML: ' + msg.split('\n')[0]
}
