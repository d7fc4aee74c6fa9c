import {LineCounter, parseAllDocuments, isMap, isSeq, isScalar, type Document, type Node as YamlNode} from 'yaml'
import {ManifestError, type SourcePos} from '../errors.js'

export type PathPart = string | number

/** One YAML document (or one item of a `kind: List`), with a way back to its lines. */
export interface ParsedDoc {
  file: string
  value: unknown
  /** Source position of a field, for error messages; falls back to the nearest parent that exists. */
  posOf(path: readonly PathPart[]): SourcePos
}

/** Bounds that keep hostile input (YAML bombs, deep nesting) from exhausting the machine. */
const MAX_ALIAS_COUNT = 200

export function formatPath(path: readonly PathPart[]): string {
  let s = ''
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`
  return s
}

/**
 * Splits a file into documents. Empty documents are skipped; `kind: List` is expanded
 * into its items, each keeping positions relative to the file.
 */
export function parseYamlFile(file: string, text: string): {docs: ParsedDoc[]; errors: ManifestError[]} {
  const lc = new LineCounter()
  const docs: ParsedDoc[] = []
  const errors: ManifestError[] = []
  let all: ReturnType<typeof parseAllDocuments>
  try {
    all = parseAllDocuments(text, {lineCounter: lc, prettyErrors: false, uniqueKeys: true})
  } catch (err) {
    return {docs, errors: [new ManifestError({file, line: 1}, cleanYamlMessage((err as Error).message), {cause: err})]}
  }
  const list = Array.isArray(all) ? all : [all]
  for (const doc of list) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) errors.push(new ManifestError({file, line: lineAt(lc, e.pos[0])}, cleanYamlMessage(e.message)))
      continue
    }
    if (doc.contents === null) continue
    let value: unknown
    try {
      value = doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})
    } catch (err) {
      errors.push(new ManifestError({file, line: lineAt(lc, doc.contents.range?.[0] ?? 0)}, cleanYamlMessage((err as Error).message), {cause: err}))
      continue
    }
    if (value === null || value === undefined) continue
    const posOf = (path: readonly PathPart[]): SourcePos => positionIn(doc, lc, file, path)
    if (isRecord(value) && value.kind === 'List' && Array.isArray(value.items)) {
      value.items.forEach((item, i) => docs.push({file, value: item, posOf: (p) => posOf(['items', i, ...p])}))
    } else {
      docs.push({file, value, posOf})
    }
  }
  return {docs, errors}
}

function positionIn(doc: Document, lc: LineCounter, file: string, path: readonly PathPart[]): SourcePos {
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
  return {file, line: lineAt(lc, best), path: formatPath(shown)}
}

function lineAt(lc: LineCounter, offset: number): number {
  return lc.linePos(offset).line
}

function cleanYamlMessage(msg: string): string {
  if (/call stack/i.test(msg)) return 'invalid YAML: nested too deeply for a manifest'
  return 'invalid YAML: ' + msg.split('\n')[0]
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
