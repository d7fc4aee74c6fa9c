import type {JobObject, ObjectMeta} from '../types.js'
import type {FieldReader} from './field-reader.js'
import {selectorMatches} from './labels.js'
import {readTemplate} from './objects.js'

const POLICY = ['spec', 'template', 'spec', 'restartPolicy']

/**
 * A Job (batch/v1), defaulted as Kubernetes does: completions and parallelism 1 when
 * neither is given (completions unset with parallelism set is a work queue), backoffLimit 6.
 * Kubernetes generates the selector; one given needs `manualSelector: true`.
 */
export function readJob(r: FieldReader, apiVersion: string, source: JobObject['source'], metadata: ObjectMeta): JobObject {
  r.map(['spec'], {required: true})
  const {template, notes} = readTemplate(r)
  const policy = r.get(POLICY)
  if (policy === undefined) r.fail(POLICY, 'Required value: valid values: "OnFailure", "Never"')
  else if (template.spec.restartPolicy === 'Always') r.fail(POLICY, 'Unsupported value: "Always": supported values: "OnFailure", "Never"')
  readSelector(r, template.metadata.labels)
  unsupported(r)
  const parallelism = r.int(['spec', 'parallelism'], {min: 0})
  const completions = r.int(['spec', 'completions'], {min: 0})
  const spec: JobObject['spec'] = {
    completions: completions ?? (parallelism === undefined ? 1 : null),
    parallelism: parallelism ?? 1,
    backoffLimit: r.int(['spec', 'backoffLimit'], {min: 0}) ?? 6,
    template,
  }
  const deadline = r.int(['spec', 'activeDeadlineSeconds'], {min: 1})
  if (deadline !== undefined) spec.activeDeadlineSeconds = deadline
  const ttl = r.int(['spec', 'ttlSecondsAfterFinished'], {min: 0})
  if (ttl !== undefined) spec.ttlSecondsAfterFinished = ttl
  return {kind: 'Job', apiVersion: 'batch/v1', source, metadata, spec, notes}
}

function readSelector(r: FieldReader, labels: Record<string, string>): void {
  const given = r.map(['spec', 'selector'])
  if (given === undefined) return
  if (r.bool(['spec', 'manualSelector']) !== true) {
    r.fail(['spec', 'selector'], '`selector` will be auto-generated: leave it out, or set manualSelector: true')
    return
  }
  const selector = {matchLabels: r.strMap(['spec', 'selector', 'matchLabels'])}
  if (!selectorMatches(selector, labels)) r.fail(['spec', 'template', 'metadata', 'labels'], '`selector` does not match template `labels`')
}

/** Fields kgit cannot honour yet: an error, never a Job that runs differently from what it says. */
function unsupported(r: FieldReader): void {
  const mode = r.get(['spec', 'completionMode'])
  if (mode !== undefined && mode !== 'NonIndexed') r.fail(['spec', 'completionMode'], `Unsupported value: ${JSON.stringify(mode)}: this version of kgit runs NonIndexed Jobs only`)
  if (r.get(['spec', 'suspend']) === true) r.fail(['spec', 'suspend'], 'Unsupported value: true: this version of kgit cannot suspend a Job')
  for (const f of ['podFailurePolicy', 'successPolicy', 'backoffLimitPerIndex', 'maxFailedIndexes', 'podReplacementPolicy']) {
    if (r.get(['spec', f]) !== undefined) r.fail(['spec', f], 'this version of kgit does not run it yet')
  }
}
