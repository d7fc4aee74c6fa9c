import {ManifestError, formatPos} from '../../errors.js'
import {isRecord, type ParsedDoc} from '../yaml-docs.js'
import {KGIT_KINDS, groupOf} from './kinds.js'

export interface Identified {
  doc: ParsedDoc
  kind: string
  /** The normalised apiVersion (apps/v1 for every Deployment), so old and new spellings collide. */
  apiVersion: string
  namespaced: boolean
}

/**
 * Two documents that would be the same object on an API server: same group, kind,
 * namespace and name. The second one is reported, pointing at the first.
 */
export function duplicateErrors(docs: readonly Identified[]): ManifestError[] {
  const errors: ManifestError[] = []
  const seen = new Map<string, ParsedDoc>()
  for (const d of docs) {
    const meta = isRecord(d.doc.value) && isRecord(d.doc.value.metadata) ? d.doc.value.metadata : undefined
    if (!meta || typeof meta.name !== 'string' || meta.name === '') continue
    const namespace = d.namespaced ? (typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default') : ''
    const group = groupOf(KGIT_KINDS[d.kind]?.preferred ?? d.apiVersion)
    const key = `${group}/${d.kind}/${namespace}/${meta.name}`
    const prev = seen.get(key)
    if (prev) {
      const what = `${d.kind} "${namespace ? namespace + '/' : ''}${meta.name}"`
      errors.push(new ManifestError(d.doc.posOf(['metadata', 'name']), `duplicate ${what}: also defined at ${formatPos(prev.posOf([]))}`))
    } else {
      seen.set(key, d.doc)
    }
  }
  return errors
}
