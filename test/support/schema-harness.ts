import type {ManifestError} from '../../src/engine/errors.js'
import {indexCrds, validateDocument, type SchemaResult} from '../../src/engine/manifest/schema.js'
import {duplicateErrors, type Identified} from '../../src/engine/manifest/schema/duplicates.js'
import {parseYamlFile, type ParsedDoc} from '../../src/engine/manifest/yaml-docs.js'

export interface CheckedDoc {
  doc: ParsedDoc
  result: SchemaResult
}

export interface CheckedFile {
  path: string
  docs: CheckedDoc[]
  /** Every error of the file: YAML, schema and duplicates. */
  errors: ManifestError[]
}

/**
 * What load.ts does once schema validation is wired in, for tests and the corpus report:
 * parse every file, index the CRDs of the whole set, validate each document, and find
 * duplicates (within each file when `duplicatesPerFile`, as kubeval does).
 */
export function checkFiles(files: {path: string; text: string}[], opts: {duplicatesPerFile?: boolean} = {}): CheckedFile[] {
  const parsed = files.map((f) => ({path: f.path, ...parseYamlFile(f.path, f.text)}))
  const crds = indexCrds(parsed.flatMap((p) => p.docs))
  const out: CheckedFile[] = parsed.map((p) => {
    const docs = p.docs.map((doc) => ({doc, result: validateDocument(doc, crds)}))
    return {path: p.path, docs, errors: [...p.errors, ...docs.flatMap((d) => d.result.errors)]}
  })
  const groups = opts.duplicatesPerFile ? out.map((f) => [f]) : [out]
  for (const group of groups) {
    const identified: Identified[] = group.flatMap((f) =>
      f.docs.filter((d) => d.result.kind && d.result.apiVersion && d.result.errors.length === 0).map((d) => ({doc: d.doc, kind: d.result.kind!, apiVersion: d.result.apiVersion!, namespaced: d.result.namespaced ?? true})),
    )
    for (const e of duplicateErrors(identified)) group.find((f) => f.path === e.pos.file)?.errors.push(e)
  }
  return out
}
