import {loadDesired} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import type {Desired} from '../../src/engine/types.js'
import {cluster} from '../unit/plan-helpers.js'

/** A revision read as `kgit apply` reads it (LimitRange admission included), for tests of quotas and limits. */
export function revision(docs: string[], nodes = 2): {desired?: Desired; errors: string[]; warnings: string[]} {
  const enc = new TextEncoder()
  const r = loadDesired({revision: 'rev1', clusterFile: {path: 'kgit.yaml', content: enc.encode(cluster(nodes))}, files: [{path: 'manifests/all.yaml', content: enc.encode(docs.join('---\n'))}], schema})
  return {...(r.desired ? {desired: r.desired} : {}), errors: r.errors.map((e) => e.message), warnings: r.warnings}
}
