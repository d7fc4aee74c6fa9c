import type {PathPart} from '../yaml-docs.js'
import type {AjvError} from './builtin.js'
import {valueAt} from './messages.js'
import {isEncrypted} from '../secret.js'

/**
 * Where kubernetes-models' precompiled validators and the API server disagree, each
 * found by a real manifest of the corpus (test/unit/corpus.test.ts). Keep this list short
 * and explained: everything else is the schema's word.
 */

// The generator drops properties named "description" and "x-kubernetes-*" from the
// validators (its types still have them): CRD schemas, printer columns, PriorityClass.
const X_KUBERNETES = new Set([
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
])

/** Whether a field reported unknown is one the API server knows but the validator lost. */
export function droppedByGenerator(kind: string, path: readonly PathPart[]): boolean {
  const name = path[path.length - 1]
  if (kind === 'CustomResourceDefinition') return name === 'description' || X_KUBERNETES.has(String(name))
  return kind === 'PriorityClass' && path.length === 1 && name === 'description'
}

/** Required fields the API server fills in with a default before it validates. */
const DEFAULTED_BEFORE_VALIDATION: {pointer: RegExp; property: string}[] = [
  // batch/v1 PodFailurePolicyOnPodConditionsPattern.status defaults to "True".
  {pointer: /\/podFailurePolicy\/rules\/\d+\/onPodConditions\/\d+$/, property: 'status'},
]

/** Drops validator errors the API server would not raise for this data. */
export function apiServerWouldAccept(e: AjvError, root: unknown, pointerToPath: (p: string) => PathPart[]): boolean {
  if (e.keyword === 'required') {
    return DEFAULTED_BEFORE_VALIDATION.some((d) => d.property === e.params.missingProperty && d.pointer.test(e.instancePath))
  }
  // []byte fields are base64 in JSON; Go's decoder skips line breaks, the validator's regex does not.
  if (e.keyword === 'format' && e.params.format === 'byte') {
    const v = valueAt(root, pointerToPath(e.instancePath))
    // An age-encrypted Secret value (docs/secrets.md) stands where the base64 will be.
    return typeof v === 'string' && (BASE64.test(v.replace(/[\r\n]/g, '')) || isEncrypted(v))
  }
  return false
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
