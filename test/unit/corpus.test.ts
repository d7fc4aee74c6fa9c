import {existsSync, readFileSync, readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {KGIT_KINDS} from '../../src/engine/manifest/schema.js'
import {checkFiles, type CheckedFile} from '../support/schema-harness.js'

// The shared corpus sits beside the repository (../shared): real manifests and the
// fixtures of kubectl-validate, kubeconform and kubeval. See its SOURCE.md files.
const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url))
const present = existsSync(join(CORPUS, 'k8s-website-examples')) && existsSync(join(CORPUS, 'invalid'))
if (!present) console.warn(`corpus tests skipped: ${CORPUS} is absent (it lives in shared/, beside the repository)`)

function read(dir: string): {path: string; text: string}[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]))
  return walk(dir)
    .filter((p) => /\.(ya?ml|json)$/.test(p))
    .sort()
    .map((p) => ({path: relative(CORPUS, p), text: readFileSync(p, 'utf8')}))
}

/** Website examples of kgit's kinds that an API server rejects too, and why. */
const WEBSITE_REJECTIONS: Record<string, string> = {
  'k8s-website-examples/application/job/job-tmpl.yaml': 'a template: its name "process-item-$ITEM" is expanded by sed before use; "$" is not allowed in a name',
  'k8s-website-examples/service/networking/dual-stack-ipv6-svc.yaml': 'spec.ipFamily was removed in Kubernetes 1.20 (replaced by ipFamilies); strict field validation rejects it',
}

describe.skipIf(!present)('k8s website examples', () => {
  it('accepts every document of a kind kgit runs, or explains the rejection', () => {
    const files = checkFiles(read(join(CORPUS, 'k8s-website-examples')), {duplicatesPerFile: true})
    const perKind = new Map<string, {docs: number; accepted: number}>()
    const rejected: string[] = []
    for (const f of files) {
      for (const d of f.docs) {
        const kind = d.result.kind
        if (!kind || !KGIT_KINDS[kind] || d.result.class !== 'kgit') continue
        const stat = perKind.get(kind) ?? {docs: 0, accepted: 0}
        stat.docs++
        const errors = f.errors.filter((e) => d.result.errors.includes(e) || (e.pos.line !== undefined && e.message.includes('duplicate')))
        if (errors.length === 0) stat.accepted++
        else rejected.push(`${f.path} (${kind}): ${WEBSITE_REJECTIONS[f.path] ?? 'UNEXPLAINED'}\n    ${errors.map((e) => e.message).join('\n    ')}`)
        perKind.set(kind, stat)
      }
    }
    const lines = [...perKind.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, s]) => `  ${k.padEnd(24)} ${String(s.accepted).padStart(3)}/${String(s.docs).padEnd(3)} ${((100 * s.accepted) / s.docs).toFixed(0)}%`)
    const total = [...perKind.values()].reduce((a, s) => ({docs: a.docs + s.docs, accepted: a.accepted + s.accepted}), {docs: 0, accepted: 0})
    console.log(`website examples, documents accepted per kind kgit runs:\n${lines.join('\n')}\n  ${'all'.padEnd(24)} ${total.accepted}/${total.docs}\nrejected:\n  ${rejected.join('\n  ')}`)
    expect(rejected.filter((r) => r.includes('UNEXPLAINED'))).toEqual([])
    expect(total.docs).toBeGreaterThan(250)
  })

  it('never crashes on any file, whatever its kind', () => {
    const files = checkFiles(read(join(CORPUS, 'k8s-website-examples')))
    for (const f of files) for (const e of f.errors) expect(e.pos.file).toBe(f.path)
  })
})

type Expect = 'reject' | 'accept' | 'none'

/** Where kgit (strict, no skip lists, Kubernetes' identity of objects) parts from the source tool. */
const DEVIATIONS: Record<string, {expect: Expect; why: string}> = {
  'invalid/kubeval/fixtures/same-kind-different-api.yaml': {expect: 'reject', why: 'apps/v1 and apps/v1beta1 Deployments are one object on an API server: a duplicate'},
  'invalid/kubeconform/fixtures/same-kind-different-api.yaml': {expect: 'reject', why: 'as kubeval/fixtures/same-kind-different-api.yaml'},
  'invalid/kubeval/fixtures/duplicates-with-namespace-default.yaml': {expect: 'accept', why: 'a duplicate only if the default namespace is "the-default-namespace"; kgit\'s is "default" (load.ts then reports the missing Namespace)'},
  'invalid/kubeconform/fixtures/duplicates-with-namespace-default.yaml': {expect: 'accept', why: 'as kubeval/fixtures/duplicates-with-namespace-default.yaml'},
  'invalid/kubeconform/fixtures/test_crd.yaml': {expect: 'accept', why: 'its CRD (crd_schema.yaml) is in the same repository; the TrainingJob passes that schema'},
  'invalid/kubeval/fixtures/valid.json': {expect: 'reject', why: 'spec.template.spec.hostMappings is no Kubernetes field: kubeval ignores unknown fields, strict field validation does not'},
}

function expectation(row: string | undefined): Expect {
  if (row === undefined) return 'none'
  if (/^(invalid|error|Failure)/.test(row) || row.includes('invalid with -strict') || row.includes('invalid with --strict')) return 'reject'
  // Custom resources whose CRD is not in the repository, and kinds kgit cannot skip.
  if (row.startsWith('valid (with') || row.startsWith('valid when kind')) return 'reject'
  if (/^(valid|Success)/.test(row)) return 'accept'
  return 'none'
}

/** 1-based document ranges of a file split on `---` lines, as kubectl-validate's test does. */
function documentOfLine(text: string, line: number): number {
  const lines = text.split('\n')
  let doc = 1
  for (let i = 0; i < line - 1 && i < lines.length; i++) if (/^---\s*$/.test(lines[i]!) && i > 0) doc++
  return doc
}

describe.skipIf(!present)('invalid corpus (kubectl-validate, kubeconform, kubeval fixtures)', () => {
  it('rejects every invalid fixture with file, line and field, and accepts the valid controls', () => {
    const rows = readFileSync(join(CORPUS, 'invalid', 'EXPECTED.tsv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t'))
    const expected = new Map(rows.map(([, path, doc, exp]) => [`invalid/${path}#${doc}`, exp!]))
    const resolve = (path: string, doc: string): string | undefined => {
      const row = expected.get(`${path}#${doc}`) ?? expected.get(`${path}#*`)
      return row?.startsWith('see ') ? resolve(`invalid/${row.slice(4)}`, doc) : row
    }
    const files: CheckedFile[] = []
    const texts = new Map<string, string>()
    // Each source is a repository of its own: its CRDs declare its custom resources.
    for (const source of ['kubectl-validate', 'kubeconform', 'kubeconform-pr291', 'kubeval']) {
      const input = read(join(CORPUS, 'invalid', source))
      for (const f of input) texts.set(f.path, f.text)
      files.push(...checkFiles(input, {duplicatesPerFile: true}))
    }
    const report: string[] = []
    const failures: string[] = []
    let rejected = 0
    for (const f of files) {
      for (const e of f.errors) {
        expect(e.pos.file).toBe(f.path)
        expect(e.pos.line).toBeGreaterThan(0)
      }
      const perDoc = [...new Set(rows.filter(([, p]) => `invalid/${p}` === f.path).map(([, , d]) => d!))].filter((d) => /^\d+$/.test(d))
      const units = perDoc.length > 0 ? perDoc : ['*']
      for (const unit of units) {
        const errors = unit === '*' ? f.errors : f.errors.filter((e) => documentOfLine(texts.get(f.path)!, e.pos.line!) === Number(unit))
        const deviation = DEVIATIONS[f.path]
        const want = deviation?.expect ?? expectation(resolve(f.path, unit))
        const got: Expect = errors.length > 0 ? 'reject' : 'accept'
        if (got === 'reject') rejected++
        const label = `${f.path}${unit === '*' ? '' : `#${unit}`}`
        report.push(`  ${got === 'reject' ? 'rejected' : 'accepted'} ${label}${deviation ? ` (kgit differs: ${deviation.why})` : ''}${errors[0] ? `\n      ${errors[0].message}` : ''}`)
        if (want !== 'none' && want !== got) failures.push(`${label}: expected ${want}, got ${got}${errors[0] ? `: ${errors[0].message}` : ''}`)
      }
    }
    console.log(`invalid corpus: ${rejected} rejected of ${report.length} checked\n${report.join('\n')}`)
    expect(failures).toEqual([])
  })
})
