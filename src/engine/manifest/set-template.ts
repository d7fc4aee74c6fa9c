import {Document, isMap, isScalar, isSeq, parseAllDocuments, type Pair, type YAMLMap} from 'yaml'
import {BugError, UsageError} from '../errors.js'
import {findDeployment, type DeploymentRef} from '../controllers/rollout-history.js'
import {canonicalJson, podTemplateHash} from '../controllers/hash.js'

export interface SetTemplateInput {
  /** The file that holds the Deployment now, and its text. */
  file: string
  text: string
  ref: DeploymentRef
  /** The template to restore: the file that held it, its text then, the value, and its pod-template-hash. */
  from: {file: string; text: string; raw: unknown; hash: string}
}

/** Where `template:` sits in a file: the pair, and the column of its key. */
interface TemplateSite {
  pair: Pair<unknown, unknown>
  keyCol: number
}

/**
 * The file with the Deployment's `spec.template` replaced by `from`'s, and nothing else
 * changed: the text around it (comments, key order, the other documents) is kept byte
 * for byte. The template's lines are copied from the file that held it, re-indented;
 * when they cannot be (flow style, anchors from outside the template), the template is
 * written anew in block style. The result is read back and must give `from.hash`.
 */
export function setPodTemplate(input: SetTemplateInput): string {
  const dst = locate(input.file, input.text, input.ref)
  const src = locate(input.from.file, input.from.text, input.ref)
  const copied = copyLines(input.text, dst, input.from.text, src)
  if (copied !== undefined && verify(input, copied) === undefined) return copied
  const rendered = renderBlock(input.text, dst, input.from.raw)
  const problem = verify(input, rendered)
  if (problem) throw new BugError(`rollout undo: the edited ${input.file} does not hold the template of the target revision (${problem})`)
  return rendered
}

function locate(file: string, text: string, ref: DeploymentRef): TemplateSite {
  for (const doc of parseAllDocuments(text)) {
    if (!('contents' in doc) || doc.errors.length > 0) continue
    const root = doc.contents
    const candidates: unknown[] = isMap(root) && String(root.get('kind')) === 'List' ? listItems(root) : [root]
    for (const node of candidates) {
      if (!isMap(node) || String(node.get('kind')) !== 'Deployment') continue
      const meta = node.get('metadata', true)
      if (!isMap(meta) || String(meta.get('name')) !== ref.name || String(meta.get('namespace') ?? 'default') !== ref.namespace) continue
      const spec = node.get('spec', true)
      const pair = isMap(spec) ? spec.items.find((p) => isScalar(p.key) && p.key.value === 'template') : undefined
      if (!pair || !isScalar(pair.key) || !pair.key.range) break
      return {pair, keyCol: column(text, pair.key.range[0])}
    }
  }
  throw new UsageError(`${file}: no spec.template of deployment/${ref.name} (namespace ${ref.namespace}) found to edit`)
}

function listItems(root: YAMLMap): unknown[] {
  const items = root.get('items', true)
  return isSeq(items) ? items.items : []
}

function column(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1)
}

/** The whole lines under `template:` in block style: from the line after the key to the end of the value. */
function blockLines(text: string, site: TemplateSite): {start: number; end: number; col: number} | undefined {
  const v = site.pair.value
  if (!isMap(v) || v.flow || !v.range) return undefined
  const start = text.indexOf('\n', (site.pair.key as {range: [number, number, number]}).range[1]) + 1
  if (start === 0 || start > v.range[0]) return undefined
  return {start, end: v.range[1], col: column(text, v.range[0])}
}

function copyLines(dstText: string, dst: TemplateSite, srcText: string, src: TemplateSite): string | undefined {
  const d = blockLines(dstText, dst)
  const s = blockLines(srcText, src)
  if (!d || !s) return undefined
  let lines = srcText.slice(s.start, s.end)
  if (!lines.endsWith('\n') && dstText.slice(d.start, d.end).endsWith('\n')) lines += '\n'
  return dstText.slice(0, d.start) + reindent(lines, d.col - s.col) + dstText.slice(d.end)
}

function reindent(lines: string, delta: number): string {
  if (delta === 0) return lines
  return lines
    .split('\n')
    .map((l) => {
      if (l.trim() === '') return l
      if (delta > 0) return ' '.repeat(delta) + l
      const lead = l.length - l.trimStart().length
      return l.slice(Math.min(lead, -delta))
    })
    .join('\n')
}

/**
 * Writes the template anew in place of whatever follows `template:`: block style, or as
 * JSON (valid flow YAML) when `template:` itself sits inside a flow collection.
 */
function renderBlock(text: string, dst: TemplateSite, raw: unknown): string {
  const indent = ' '.repeat(dst.keyCol + 2)
  const body = new Document(raw).toString({flowCollectionPadding: false, lineWidth: 0})
  const block = body
    .trimEnd()
    .split('\n')
    .map((l) => (l === '' ? l : indent + l))
    .join('\n')
  const lines = blockLines(text, dst)
  if (lines) return text.slice(0, lines.start) + block + '\n' + text.slice(lines.end)
  const range = (dst.pair.value as {range?: [number, number, number]} | null)?.range
  const colon = text.indexOf(':', (dst.pair.key as {range: [number, number, number]}).range[1])
  const end = range ? range[1] : colon + 1
  const eol = text.indexOf('\n', end) < 0 ? text.length : text.indexOf('\n', end)
  const rest = text.slice(end, eol)
  // A comment after the old value moves up to the key's line, where it cannot end up inside the template.
  if (/^\s*(#.*)?$/.test(rest)) return text.slice(0, colon + 1) + rest.trimEnd() + '\n' + block + text.slice(eol)
  return text.slice(0, range ? range[0] : colon + 1) + (range ? '' : ' ') + JSON.stringify(raw) + text.slice(end)
}

/** Why `edited` is not the wanted file, or undefined when it is. */
function verify(input: SetTemplateInput, edited: string): string | undefined {
  const before = findDeployment(input.file, input.text, input.ref)
  const after = findDeployment(input.file, edited, input.ref)
  if (!after || 'error' in after) return after?.error ?? 'the Deployment is gone'
  if (!before || 'error' in before) return before?.error ?? 'the Deployment was not there'
  const hash = podTemplateHash(after.object.spec.template)
  if (hash !== input.from.hash) return `pod-template-hash ${hash}, wanted ${input.from.hash}`
  const rest = (o: typeof after) => canonicalJson({...o.object, source: undefined, notes: undefined, spec: {...o.object.spec, template: undefined}})
  if (rest(before) !== rest(after)) return 'fields outside spec.template changed'
  return undefined
}
