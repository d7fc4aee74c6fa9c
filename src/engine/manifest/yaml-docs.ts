import type {ManifestError, SourcePos} from '../errors.js'
import type {EventIndex} from './yaml/event-index.js'
import {parseFast, type FastDoc} from './yaml/fast.js'
import {formatPath, type PathPart} from './yaml/path.js'
import {documentAt, parseForPositions, parseSlow, positionIn, type SlowFile} from './yaml/slow.js'

export {formatPath, type PathPart}

/** One YAML document (or one item of a `kind: List`), with a way back to its lines. */
export interface ParsedDoc {
  file: string
  value: unknown
  /** Source position of a field, for error messages; falls back to the nearest parent that exists. */
  posOf(path: readonly PathPart[]): SourcePos
}

/**
 * Splits a file into documents. Empty documents are skipped; `kind: List` is expanded
 * into its items, each keeping positions relative to the file.
 *
 * Values come from js-yaml, fast. A file it cannot read exactly as `yaml` would (an error,
 * explicit tags, directives, heavy alias use) is read by `yaml`, which words the errors as
 * kgit always did. Positions come from js-yaml's events, except the few nodes the two
 * parsers place differently: for those the file is parsed by `yaml` on first use.
 */
export function parseYamlFile(file: string, text: string): {docs: ParsedDoc[]; errors: ManifestError[]} {
  const fast = parseFast(text)
  if (!fast) {
    const slow = parseSlow(file, text)
    return {docs: slow.docs.flatMap((d) => expandList(file, d.value, d.posOf)), errors: slow.errors}
  }
  let parsed: SlowFile | undefined
  const slowFile = (): SlowFile => (parsed ??= parseForPositions(text))
  const docs: ParsedDoc[] = []
  for (const d of fast.docs) {
    if (d.value === null || d.value === undefined) continue
    docs.push(...expandList(file, d.value, (path) => fastPosition({file, doc: d, index: fast.index, slowFile}, path)))
  }
  return {docs, errors: []}
}

/** A document, or the items of a `kind: List` (positions stay those of the file). */
function expandList(file: string, value: unknown, posOf: (path: readonly PathPart[]) => SourcePos): ParsedDoc[] {
  if (isRecord(value) && value.kind === 'List' && Array.isArray(value.items)) {
    return value.items.map((item, i) => ({file, value: item, posOf: (p) => posOf(['items', i, ...p])}))
  }
  return [{file, value, posOf}]
}

interface FastFile {
  file: string
  doc: FastDoc
  index: EventIndex
  slowFile: () => SlowFile
}

function fastPosition(f: FastFile, path: readonly PathPart[]): SourcePos {
  const line = f.index.lineOf(f.doc.root, path)
  // The List wrapper is stripped from the displayed path, as positionIn does.
  const shown = path[0] === 'items' && typeof path[1] === 'number' ? path.slice(2) : path
  if (line !== undefined) return {file: f.file, line, path: formatPath(shown)}
  const doc = documentAt(f.slowFile(), f.doc.rootOffset)
  return doc ? positionIn(doc, f.slowFile().lc, f.file, path) : {file: f.file, line: 1, path: formatPath(shown)}
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
