import {readdirSync, readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {findDeployment} from '../../src/engine/controllers/rollout-history.js'
import {podTemplateHash} from '../../src/engine/controllers/hash.js'
import {setPodTemplate} from '../../src/engine/manifest/set-template.js'

// Each folder: head.yaml (the file at HEAD), from.yaml (the file of the revision to go
// back to) and want.yaml (head.yaml with from.yaml's template). A new case is a new folder.
const DIR = new URL('../fixtures/rollout/', import.meta.url).pathname
const ref = {namespace: 'shop', name: 'web'}

function target(text: string) {
  const f = findDeployment('from.yaml', text, ref)
  if (!f || 'error' in f) throw new Error(`fixture from.yaml: ${f?.error ?? 'no Deployment'}`)
  return {file: 'from.yaml', text, raw: f.raw, hash: podTemplateHash(f.object.spec.template)}
}

describe('setPodTemplate', () => {
  for (const c of readdirSync(DIR)) {
    it(c, () => {
      const read = (f: string) => readFileSync(`${DIR}${c}/${f}`, 'utf8')
      const from = target(read('from.yaml'))
      const out = setPodTemplate({file: `${c}/head.yaml`, text: read('head.yaml'), ref, from})
      expect(out).toBe(read('want.yaml'))
      const after = findDeployment('want.yaml', out, ref)
      expect(after && !('error' in after) && podTemplateHash(after.object.spec.template)).toBe(from.hash)
    })
  }

  it('keeps every line outside the template', () => {
    const head = readFileSync(`${DIR}multidoc/head.yaml`, 'utf8')
    const out = setPodTemplate({file: 'head.yaml', text: head, ref, from: target(readFileSync(`${DIR}multidoc/from.yaml`, 'utf8'))})
    const outside = (t: string) => [...t.split('\n').slice(0, 13), ...t.split('\n').slice(-9)]
    expect(outside(out)).toEqual(outside(head))
  })

  it('names the file when the Deployment is not in it', () => {
    const from = target(readFileSync(`${DIR}list/from.yaml`, 'utf8'))
    expect(() => setPodTemplate({file: 'manifests/db.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n', ref, from})).toThrow('manifests/db.yaml: no spec.template of deployment/web (namespace shop) found to edit')
  })
})
