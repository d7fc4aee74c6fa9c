import {parseAllDocuments} from 'yaml'
import {describe, expect, it} from 'vitest'
import {parseYamlFile, type ParsedDoc, type PathPart} from '../../src/engine/manifest/yaml-docs.js'
import {parseFast} from '../../src/engine/manifest/yaml/fast.js'
import {parseSlow} from '../../src/engine/manifest/yaml/slow.js'

// The fast path (js-yaml) must read every file exactly as the `yaml` package does: same
// values, same lines, same errors. `parseSlow` is the reference: kgit's reading before the
// fast path, `yaml` all the way.

const CASES: Record<string, string> = {
  block: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app: web\nspec:\n  containers:\n    - name: c\n      image: busybox:1.36\n      args:\n      - sleep\n      - "3600"\n',
  flow: 'apiVersion: v1\nkind: Service\nmetadata: {name: s, labels: {app: web}}\nspec: {ports: [{port: 80, targetPort: http}], selector: {app: web}}\n',
  quoted: `a: "double \\t \\u00e9 \\x41 \\"q\\" \\\\"\nb: 'single ''quoted'''\nc: "folded\n  over lines"\n"key with: colon": 1\n'k2': "2"\n`,
  multiline: 'literal: |\n  line 1\n    indented\n  line 3\nkeep: |+\n  kept\n\nstrip: >-\n  folded\n  text\n\n  para\nplain: first\n  second\n  third\nindicator: |2\n    two extra\n',
  scalars: 'creationTimestamp: 2020-01-01T00:00:00Z\ndate: 2020-01-01\nyes: yes\non: on\noff: no\nt: true\nT: True\noct: 0o17\noctish: 0O17\nhex: 0x1F\nneghex: -0x1F\nzero: 012\ninf: .inf\nninf: -.Inf\nnan: .NaN\nnull1: ~\nnull2: null\nnull3:\nfloat: 1.5e3\ndot: 1.\nbig: 12345678901234567890\nhuge: 1e400\nnegzero: -0\nstr: 1_000\ncolon: 1:30\n',
  keys: '1: one\n0x10: hex\n1.5: float\ntrue: yes\n~: null key\n"2": two\n__proto__: {polluted: true}\nconstructor: c\n',
  anchors: 'base: &base\n  image: busybox:1.36\n  env: [{name: A, value: "1"}]\ncopy: *base\nlist: [*base, *base]\nscalar: &s text\nagain: *s\n',
  merge: 'defaults: &d {restartPolicy: Always, dnsPolicy: ClusterFirst}\nlabels: &l {app: web}\npod:\n  <<: *d\n  dnsPolicy: Default\nmulti:\n  <<: [*l, {app: ignored, tier: db}]\n  name: m\ninline: {<<: {a: 1}, b: 2}\nquotedKey: {"<<": {a: 1}}\n',
  multidoc: '# leading comment\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n# only a comment\n---\n\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n...\n--- {apiVersion: v1, kind: Namespace, metadata: {name: c}}\n---\n- a sequence\n---\njust a scalar\n',
  list: 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- &x\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: b\n-   apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: c}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: d}}\n',
  json: '{\n  "apiVersion": "v1",\n  "kind": "ConfigMap",\n  "metadata": {"name": "j", "annotations": {"a/b": "x\\ny"}},\n  "data": {"n": "1", "list": [1, 2.5, true, null]}\n}\n',
  crlf: 'apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: c # comment\r\ndata:\r\n  a: "1"\r\n  b: |\r\n    x\r\n    y\r\n---\r\nkind: Second\r\n',
  bom: '\ufeffapiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bom\n',
  unicode: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ünï\n  annotations:\n    jp: 日本語\n    emoji: "😀 \\U0001F600"\n    nbsp: "a\u00a0b"\ndata:\n  é: ü\n',
  explicitKeys: '? apiVersion\n: v1\n? kind\n: ConfigMap\nmetadata:\n  ? name\n  : explicit\n',
  nested: 'a:\n  - - x\n    - y\n  - - {k: [1, [2, [3]]]}\nb: []\nc: {}\nd: [[], {}, ""]\n',
}

/** What `yaml` makes of a text, as the brief puts it: each document's toJS(), empty ones dropped. */
function yamlValues(text: string): unknown[] {
  return parseAllDocuments(text, {merge: true}).map((d) => d.toJS()).filter((v) => v !== null && v !== undefined)
}

/** The reference ParsedDocs: `yaml` only, `kind: List` expanded as parseYamlFile does. */
function reference(file: string, text: string): {docs: ParsedDoc[]; errors: string[]} {
  const {docs, errors} = parseSlow(file, text)
  const expanded = docs.flatMap((d): ParsedDoc[] => {
    const v = d.value as {kind?: unknown; items?: unknown}
    if (v && typeof v === 'object' && v.kind === 'List' && Array.isArray(v.items)) return v.items.map((item, i) => ({file, value: item, posOf: (p) => d.posOf(['items', i, ...p])}))
    return [{file, value: d.value, posOf: d.posOf}]
  })
  return {docs: expanded, errors: errors.map((e) => e.message)}
}

/** Every path in a value, plus a few that do not exist (positions fall back to a parent). */
function pathsOf(v: unknown, prefix: PathPart[] = []): PathPart[][] {
  const out: PathPart[][] = [prefix, [...prefix, 'absent'], [...prefix, 99]]
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...prefix, i])))
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...prefix, k]))
  return out
}

const messages = (file: string, text: string) => parseYamlFile(file, text).errors.map((e) => e.message)

describe('fast path (js-yaml) values', () => {
  it.each(Object.entries(CASES))('%s: takes the fast path and equals what yaml gives', (_, text) => {
    const fast = parseFast(text)
    expect(fast).toBeDefined()
    const values = fast?.docs.map((d) => d.value).filter((v) => v !== null && v !== undefined)
    expect(values).toStrictEqual(yamlValues(text))
  })

  it('keeps yaml 1.2 core scalars as yaml does', () => {
    const v = parseYamlFile('s.yaml', CASES.scalars as string).docs[0]?.value as Record<string, unknown>
    expect(v.creationTimestamp).toBe('2020-01-01T00:00:00Z')
    expect(v.date).toBe('2020-01-01')
    expect([v.yes, v.on, v.off]).toEqual(['yes', 'on', 'no'])
    expect([v.oct, v.octish, v.hex, v.neghex, v.zero]).toEqual([15, '0O17', 31, '-0x1F', 12])
    expect([v.inf, v.ninf, v.nan, v.huge]).toEqual([Infinity, -Infinity, NaN, Infinity])
    expect([v.null1, v.null2, v.null3, v.str, v.colon]).toEqual([null, null, null, '1_000', '1:30'])
    expect(Object.is(v.negzero, -0)).toBe(true)
  })

  it('keys a mapping as yaml does: null is "", numbers by value, __proto__ is a plain key', () => {
    const v = parseYamlFile('k.yaml', CASES.keys as string).docs[0]?.value as Record<string, unknown>
    // (JS lists integer-like keys first, whichever parser built the object.)
    expect(Object.keys(v)).toEqual(['1', '2', '16', '1.5', 'true', '', '__proto__', 'constructor'])
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('applies merge keys as Kubernetes does: explicit keys win, earlier sources win', () => {
    const v = parseYamlFile('m.yaml', CASES.merge as string).docs[0]?.value as Record<string, unknown>
    expect(v.pod).toEqual({restartPolicy: 'Always', dnsPolicy: 'Default'})
    expect(v.multi).toEqual({app: 'web', tier: 'db', name: 'm'})
    expect(v.inline).toEqual({a: 1, b: 2})
    expect(v.quotedKey).toEqual({'<<': {a: 1}})
  })

  it('gives every use of an anchor its own copy', () => {
    const v = parseYamlFile('a.yaml', CASES.anchors as string).docs[0]?.value as Record<string, Record<string, unknown>>
    const list = v.list as unknown as Record<string, unknown>[]
    expect(v.copy).toEqual(v.base)
    expect(v.copy).not.toBe(v.base)
    expect(list[0]).not.toBe(list[1])
    expect(v.copy?.env).not.toBe(v.base?.env)
    ;(v.copy?.env as unknown[]).push('changed')
    expect(v.base?.env).toEqual([{name: 'A', value: '1'}])
    const m = parseYamlFile('m.yaml', 'b: &b {nested: {x: 1}}\nc: {<<: *b}\n').docs[0]?.value as Record<string, Record<string, unknown>>
    expect(m.c?.nested).toEqual({x: 1})
    expect(m.c?.nested).not.toBe(m.b?.nested)
  })
})

describe('positions', () => {
  it.each(Object.entries(CASES))('%s: every field has the line yaml gives it', (name, text) => {
    const file = `${name}.yaml`
    const fast = parseYamlFile(file, text)
    const ref = reference(file, text)
    expect(fast.errors).toEqual([])
    expect(fast.docs.map((d) => d.value)).toStrictEqual(ref.docs.map((d) => d.value))
    fast.docs.forEach((d, i) => {
      for (const p of pathsOf(d.value)) expect([p, d.posOf(p)]).toEqual([p, ref.docs[i]?.posOf(p)])
    })
  })

  it('puts each document of a multi-document file at its first line', () => {
    const {docs} = parseYamlFile('multi.yaml', CASES.multidoc as string)
    expect(docs.map((d) => d.posOf([]))).toEqual([
      {file: 'multi.yaml', line: 2, path: ''},
      {file: 'multi.yaml', line: 10, path: ''},
      {file: 'multi.yaml', line: 15, path: ''},
      {file: 'multi.yaml', line: 17, path: ''},
      {file: 'multi.yaml', line: 19, path: ''},
    ])
    expect(docs[1]?.posOf(['metadata', 'name'])).toEqual({file: 'multi.yaml', line: 13, path: 'metadata.name'})
    expect(docs[1]?.posOf(['metadata', 'namespace'])).toEqual({file: 'multi.yaml', line: 12, path: 'metadata.namespace'})
  })

  it('places List items and their fields, without the items[i] prefix in the path', () => {
    const {docs} = parseYamlFile('list.yaml', CASES.list as string)
    expect(docs.map((d) => d.posOf([]).line)).toEqual([4, 8, 12, 15])
    expect(docs[1]?.posOf(['metadata', 'name'])).toEqual({file: 'list.yaml', line: 11, path: 'metadata.name'})
    expect(docs[3]?.posOf(['metadata', 'name'])).toEqual({file: 'list.yaml', line: 15, path: 'metadata.name'})
  })

  it('counts lines the same with CRLF, a BOM and nested fields', () => {
    const crlf = parseYamlFile('c.yaml', CASES.crlf as string).docs
    expect(crlf.map((d) => d.posOf([]).line)).toEqual([1, 11])
    expect(crlf[0]?.posOf(['data', 'b'])).toEqual({file: 'c.yaml', line: 7, path: 'data.b'})
    const block = parseYamlFile('p.yaml', CASES.block as string).docs[0]
    expect(block?.posOf(['spec', 'containers', 0, 'args', 1])).toEqual({file: 'p.yaml', line: 13, path: 'spec.containers[0].args[1]'})
    expect(parseYamlFile('b.yaml', CASES.bom as string).docs[0]?.posOf(['metadata', 'name'])).toEqual({file: 'b.yaml', line: 4, path: 'metadata.name'})
  })
})

describe('hostile and broken input', () => {
  const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n'

  it('refuses a billion-laughs document as yaml does, quickly', () => {
    expect(messages('bomb.yaml', bomb)[0]).toMatch(/^bomb\.yaml:1: invalid YAML: Excessive alias count/)
    const deeper = Array.from({length: 40}, (_, i) => `l${i + 1}: &l${i + 1} [*l${i}, *l${i}, *l${i}, *l${i}]`).join('\n')
    expect(messages('deep-bomb.yaml', `l0: &l0 [x]\n${deeper}\n`)[0]).toMatch(/^deep-bomb\.yaml:1: invalid YAML: Excessive alias count/)
  })

  it('stops at the same alias count as yaml (200 per anchor)', () => {
    const uses = (n: number) => `a: &a x\nb: [${Array.from({length: n}, () => '*a').join(', ')}]\n`
    const ok = parseYamlFile('ok.yaml', uses(199))
    expect(ok.errors).toEqual([])
    expect(ok.docs[0]?.value).toStrictEqual(reference('ok.yaml', uses(199)).docs[0]?.value)
    expect(messages('over.yaml', uses(200))[0]).toMatch(/^over\.yaml:1: invalid YAML: Excessive alias count/)
    // Aliases inside merge sources are counted each time the source is merged, as yaml does.
    const merges = `s: &s x\nb: &b {k: *s}\nm: [${Array.from({length: 120}, () => '{<<: *b}').join(', ')}]\n`
    expect(messages('merges.yaml', merges)).toEqual(reference('merges.yaml', merges).errors)
  })

  it('reports a merge bomb and an alias to its own node without hanging', () => {
    const chain = Array.from({length: 30}, (_, i) => `m${i + 1}: &m${i + 1} {<<: [*m${i}, *m${i}], k${i}: 1}`).join('\n')
    const text = `m0: &m0 {a: 1}\n${chain}\n`
    expect(messages('merge-bomb.yaml', text)).toEqual(reference('merge-bomb.yaml', text).errors)
    expect(messages('merge-bomb.yaml', text)[0]).toMatch(/^merge-bomb\.yaml:1: invalid YAML: /)
    expect(messages('self.yaml', 'a: &a [1, *a]\n')).toEqual(['self.yaml:1: invalid YAML: an alias refers to a node that contains it'])
  })

  it('reports duplicate keys, tabs and deep nesting in yaml\'s words', () => {
    expect(messages('dup.yaml', 'kind: Pod\nkind: Pod\n')[0]).toMatch(/^dup\.yaml:2: invalid YAML: Map keys must be unique/)
    expect(messages('tabs.yaml', 'a:\n\t- b\n')[0]).toMatch(/^tabs\.yaml:2: invalid YAML/)
    expect(messages('deep.yaml', '['.repeat(50_000) + ']'.repeat(50_000))).toContain('deep.yaml:1: invalid YAML: nested too deeply for a manifest')
    const deepBlock = Array.from({length: 3000}, (_, i) => ' '.repeat(i) + 'k:').join('\n')
    expect(messages('deep2.yaml', deepBlock).some((m) => /^deep2\.yaml:\d+: invalid YAML: nested too deeply for a manifest$/.test(m))).toBe(true)
  })

  // Texts js-yaml accepts and yaml refuses (or reads otherwise): found by fuzzing the corpus.
  const BROKEN: Record<string, string> = {
    emptyKeyNestedMap: 'x:\n  : name: v\n',
    emptyKeySeq: 'a:\n  :  - b\n',
    indentedFirstMarker: ' ---\na: 1\n',
    tabIndentedMarker: '\t---\na: 1\n',
    loneCR: 'a: 1\rb: 2\n',
    unclosedQuote: 'a: "open\nb: 1\n',
    badIndent: 'a:\n  b: 1\n c: 2\n',
    compactNested: 'a: b: c\n',
    flowUnclosed: 'a: [1, 2\nb: 3\n',
    complexKey: '? [a, b]\n: c\n',
    collidingKeys: '1: a\n"1": b\n',
    unknownTag: 'a: !foo bar\nb: !!binary aGk=\n',
    yaml11: '%YAML 1.1\n---\na: yes\nb: 2001-12-14\n',
    floatTag: 'a: !!float 1\n',
    aliasUnknown: 'a: *nope\n',
    mergeScalar: 'a: {<<: 1}\n',
  }

  it.each(Object.entries(BROKEN))('%s: same errors and values as yaml', (name, text) => {
    const file = `${name}.yaml`
    const got = parseYamlFile(file, text)
    const ref = reference(file, text)
    expect(got.errors.map((e) => e.message)).toEqual(ref.errors)
    expect(got.docs.map((d) => d.value)).toStrictEqual(ref.docs.map((d) => d.value))
    got.docs.forEach((d, i) => {
      for (const p of pathsOf(d.value)) expect(d.posOf(p)).toEqual(ref.docs[i]?.posOf(p))
    })
  })

  it('reads garbage without crashing', () => {
    const garbage = String.fromCharCode(...Array.from({length: 4096}, (_, i) => ((i * 7919) % 255) + 1))
    expect(() => parseYamlFile('rand.yaml', garbage)).not.toThrow()
  })
})
