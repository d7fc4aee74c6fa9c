import {isMap, isScalar, isSeq, parseDocument, type Pair, type YAMLMap} from 'yaml'
import {BugError, ErrorList, UsageError} from '../errors.js'
import {canonicalJson} from '../controllers/hash.js'
import {parseCluster} from './cluster.js'

/** The scheduling fields `kgit cordon`, `uncordon` and `drain` write on a node of kgit.yaml. */
export interface NodeSchedule {
  unschedulable: boolean
  drain: boolean
}

type Field = keyof NodeSchedule
const FIELDS: Field[] = ['unschedulable', 'drain']

/**
 * kgit.yaml with `spec.nodes[name=node]` given these scheduling fields, and nothing else
 * changed: comments, key order and the other nodes are kept byte for byte. A field set to
 * true is written `field: true` (its value replaced, or a line added after the node's
 * last field); a field set to false is removed (its line, or its `, field: v` in a flow
 * map), or written `false` when it shares its line with another field. The result is read
 * back and must hold exactly the wanted change.
 */
export function setNodeSchedule(file: string, text: string, node: string, want: NodeSchedule): string {
  let out = text
  for (const f of FIELDS) out = setField(file, out, node, f, want[f])
  const problem = verify(file, text, out, node, want)
  if (problem) throw new BugError(`the edited ${file} does not hold the wanted change of node ${node} (${problem})`)
  return out
}

function setField(file: string, text: string, node: string, field: Field, value: boolean): string {
  const map = nodeMap(file, text, node)
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === field)
  if (pair) {
    const v = pair.value
    if (isScalar(v) && v.value === value) return text
    if (value) return replaceValue(text, pair, 'true')
    return removePair(text, map, pair)
  }
  return value ? addPair(text, map, `${field}: true`) : text
}

function nodeMap(file: string, text: string, node: string): YAMLMap {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) throw new UsageError(`${file}: cannot be read as YAML (${doc.errors[0]!.message})`)
  const nodes = doc.getIn(['spec', 'nodes'], true)
  const map = isSeq(nodes) ? nodes.items.find((n) => isMap(n) && String(n.get('name')) === node) : undefined
  if (!isMap(map)) throw new UsageError(`${file}: no node ${node} under spec.nodes`)
  return map
}

function rangeOf(n: unknown): [number, number] {
  const r = (n as {range?: [number, number, number]} | null)?.range
  if (!r) throw new BugError('a YAML node without a position')
  return [r[0], r[1]]
}

function replaceValue(text: string, pair: Pair, value: string): string {
  const [start, end] = rangeOf(pair.value)
  return text.slice(0, start) + value + text.slice(end)
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1
}

function lineEnd(text: string, at: number): number {
  const i = text.indexOf('\n', at)
  return i < 0 ? text.length : i + 1
}

function removePair(text: string, map: YAMLMap, pair: Pair): string {
  const [keyStart] = rangeOf(pair.key)
  const [, valueEnd] = rangeOf(pair.value)
  if (map.flow) {
    const before = text.slice(0, keyStart)
    const comma = before.search(/,\s*$/)
    if (comma >= 0) return text.slice(0, comma) + text.slice(valueEnd)
    const after = /^\s*,\s*/.exec(text.slice(valueEnd))
    return text.slice(0, keyStart) + text.slice(valueEnd + (after ? after[0].length : 0))
  }
  const start = lineStart(text, keyStart)
  const end = lineEnd(text, valueEnd)
  // Alone on its lines (only indentation before, a comment at most after): the lines go.
  if (/^\s*$/.test(text.slice(start, keyStart)) && /^\s*(#.*)?\n?$/.test(text.slice(valueEnd, end))) return text.slice(0, start) + text.slice(end)
  return replaceValue(text, pair, 'false')
}

function addPair(text: string, map: YAMLMap, line: string): string {
  const [mapStart, mapEnd] = rangeOf(map)
  if (map.flow) {
    // `{name: n1}` -> `{name: n1, unschedulable: true}`, the space before `}` (if any) kept.
    const head = text.slice(0, text.lastIndexOf('}', mapEnd))
    const trimmed = head.trimEnd()
    return trimmed + (trimmed.endsWith('{') ? '' : ', ') + line + head.slice(trimmed.length) + text.slice(head.length)
  }
  const first = map.items[0]
  if (!first) throw new UsageError('a node without fields')
  const [keyStart] = rangeOf(first.key)
  const indent = ' '.repeat(keyStart - lineStart(text, keyStart))
  // After the last character of the node's last value, at the end of that line.
  let last = mapEnd
  while (last > mapStart && /\s/.test(text[last - 1]!)) last--
  const at = lineEnd(text, last - 1)
  const nl = at === text.length && !text.endsWith('\n') ? '\n' : ''
  return text.slice(0, at) + nl + indent + line + '\n' + text.slice(at)
}

/** Why `after` is not `before` with the wanted change, or undefined when it is. */
function verify(file: string, before: string, after: string, node: string, want: NodeSchedule): string | undefined {
  const a = parseCluster(file, after)
  const b = parseCluster(file, before)
  if (!b.cluster) throw new ErrorList(b.errors)
  if (!a.cluster) return a.errors.map((e) => e.message).join('; ')
  const n = a.cluster.nodes.find((x) => x.name === node)
  if (!n) return 'the node is gone'
  if (n.drain !== want.drain || n.unschedulable !== (want.unschedulable || want.drain)) return `unschedulable: ${n.unschedulable}, drain: ${n.drain}`
  const rest = (c: typeof a.cluster) => canonicalJson({...c, nodes: c!.nodes.map((x) => (x.name === node ? {...x, unschedulable: undefined, drain: undefined} : x))})
  if (rest(a.cluster) !== rest(b.cluster)) return 'fields besides unschedulable and drain changed'
  return undefined
}

/**
 * kgit.yaml without the node `node` under spec.nodes (`kgit node forget`): its entry's
 * lines (or its `{...}` in a flow list) go, everything else is kept byte for byte. The
 * result is read back and must be the old cluster minus that node.
 */
export function removeNode(file: string, text: string, node: string): string {
  const doc = parseDocument(text)
  if (doc.errors.length > 0) throw new UsageError(`${file}: cannot be read as YAML (${doc.errors[0]!.message})`)
  const seq = doc.getIn(['spec', 'nodes'], true)
  if (!isSeq(seq)) throw new UsageError(`${file}: no spec.nodes list`)
  const i = seq.items.findIndex((n) => isMap(n) && String(n.get('name')) === node)
  if (i < 0) throw new UsageError(`${file}: no node ${node} under spec.nodes`)
  if (seq.items.length === 1) throw new UsageError(`${file}: ${node} is the only node; a cluster needs at least one`)
  const [start, end] = rangeOf(seq.items[i])
  let out: string
  if (seq.flow) {
    const prev = i > 0 ? rangeOf(seq.items[i - 1])[1] : undefined
    const next = i + 1 < seq.items.length ? rangeOf(seq.items[i + 1])[0] : undefined
    // `[a, B, c]` -> `[a, c]`; `[B, c]` -> `[c]`; `[a, B]` -> `[a]`.
    out = prev !== undefined ? text.slice(0, prev) + text.slice(end) : text.slice(0, start) + text.slice(next ?? end)
  } else {
    let last = end
    while (last > start && /\s/.test(text[last - 1]!)) last--
    let from = lineStart(text, start)
    // `-` alone on the line above the entry's first field.
    const above = from > 0 ? lineStart(text, from - 1) : from
    if (from > 0 && /^\s*-\s*$/.test(text.slice(above, from - 1)) && !/^\s*-/.test(text.slice(from, start))) from = above
    out = text.slice(0, from) + text.slice(lineEnd(text, last - 1))
  }
  const a = parseCluster(file, out)
  const b = parseCluster(file, text)
  if (!b.cluster) throw new ErrorList(b.errors)
  if (!a.cluster) throw new BugError(`the edited ${file} cannot be read: ${a.errors.map((e) => e.message).join('; ')}`)
  if (canonicalJson(a.cluster) !== canonicalJson({...b.cluster, nodes: b.cluster.nodes.filter((n) => n.name !== node)})) throw new BugError(`the edited ${file} is not the old one without node ${node}`)
  return out
}
