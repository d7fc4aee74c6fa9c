import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {ErrorList} from '../../src/engine/errors.js'
import {loadRevision} from '../../src/engine/session.js'
import {withAdmission} from '../support/admission.js'
import {commitFiles, git} from '../support/git-repo.js'

let dir = ''

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kgit-admission-revision-'))
  git(dir, 'init', '-q')
  commitFiles(dir, {'kgit.yaml': withAdmission('    plugins: [NamespaceAutoProvision, AlwaysPullImages, AlwaysDeny]\n'), 'manifests/p.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: main, image: "docker.io/library/busybox:1.35"}]\n'}, 'revision')
})

afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('the admission chain as a revision is read (session.ts admitRevision)', () => {
  it('every read runs the mutating plugins, so get and apply see the same objects', async () => {
    const {desired} = await loadRevision({dir, revision: 'HEAD'})
    expect(desired.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Pod/p', 'Namespace/shop'])
    const p = desired.objects[0]!
    expect(p.kind === 'Pod' && p.spec.containers[0]!.imagePullPolicy).toBe('Always')
  })

  it('validate, plan and apply also run the validating plugins and refuse with every denial', async () => {
    const err = await loadRevision({dir, revision: 'HEAD', admission: true}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ErrorList)
    expect((err as ErrorList).errors.map((e) => e.message)).toEqual([
      'Pod shop/p (manifests/p.yaml:1): every change is refused (create Pod): kgit.yaml spec.admission enables AlwaysDeny (admission plugin AlwaysDeny)',
      'Namespace shop (manifests/p.yaml:1 metadata.namespace): every change is refused (create Namespace): kgit.yaml spec.admission enables AlwaysDeny (admission plugin AlwaysDeny)',
    ])
  })
})
