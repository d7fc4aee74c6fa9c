import {changeSet, type AdmissionRequest} from '../../src/engine/admission/plugin.js'
import {loadDesired} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import type {Desired, KObject} from '../../src/engine/types.js'

const CLUSTER = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  nodes:\n    - {name: n1, address: 10.0.0.1}\n'

/** kgit.yaml with `spec.admission` given as YAML lines (indented under spec). */
export const withAdmission = (admission?: string): string => (admission === undefined ? CLUSTER : `${CLUSTER}  admission:\n${admission}`)

/** Reads a revision as kgit does, with the given spec.admission. */
export function load(admission: string | undefined, ...docs: string[]): {desired?: Desired; errors: string[]; warnings: string[]} {
  const enc = new TextEncoder()
  const r = loadDesired({revision: 'r', clusterFile: {path: 'kgit.yaml', content: enc.encode(withAdmission(admission))}, files: [{path: 'manifests/all.yaml', content: enc.encode(docs.join('---\n'))}], schema})
  return {...(r.desired ? {desired: r.desired} : {}), errors: r.errors.map((e) => e.message), warnings: r.warnings}
}

export function request(desired: Desired, previous?: KObject[]): AdmissionRequest {
  return {desired, changes: changeSet(previous, desired.objects), previous: previous ?? [], user: {user: 'alice', groups: [], method: 'test'}, authorize: () => true}
}

