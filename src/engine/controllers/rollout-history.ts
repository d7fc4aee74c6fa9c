import {UsageError} from '../errors.js'
import {parseObject} from '../manifest/objects.js'
import {isRecord, parseYamlFile, type ParsedDoc} from '../manifest/yaml-docs.js'
import type {DeploymentObject, PodTemplate} from '../types.js'
import {podTemplateHash} from './hash.js'

/** One commit of the manifest history. */
export interface CommitInfo {
  hash: string
  subject: string
  author: string
  /** ISO 8601 author date. */
  date: string
}

/** A manifest file a commit changed: its new content, or no content when the commit removed it. */
export interface FileChange {
  path: string
  content?: Uint8Array | string
}

export interface CommitChanges {
  commit: CommitInfo
  files: FileChange[]
}

export interface DeploymentRef {
  namespace: string
  name: string
}

/** A revision as Kubernetes numbers them: one per distinct pod template, renumbered when it comes back. */
export interface Revision {
  revision: number
  /** pod-template-hash of the template as kgit loads it (the label on its pods). */
  hash: string
  template: PodTemplate
  /** spec.template as written in git. */
  raw: unknown
  /** The commit that (last) brought this template, the file that held it and that file's text. */
  commit: CommitInfo
  file: string
  text: string
  changeCause?: string
}

export interface DeploymentHistory {
  /** Retained revisions (the last revisionHistoryLimit + 1), oldest first; the last is the current one. */
  revisions: Revision[]
  current: Revision
  /** The file that holds the Deployment at the newest commit. */
  file: string
  revisionHistoryLimit: number
  /** Commits at which the Deployment could not be read (they could not have been applied either). */
  unreadable: {commit: CommitInfo; reason: string}[]
}

export const CHANGE_CAUSE = 'kubernetes.io/change-cause'

type Found = {object: DeploymentObject; raw: unknown; text: string} | {error: string}

interface WalkState {
  holders: Map<string, Found>
  revisions: Map<string, Revision>
  next: number
  current?: Revision
  limit: number
  unreadable: DeploymentHistory['unreadable']
}

/**
 * Numbers the pod templates a Deployment had over `commits` (oldest first) as Kubernetes
 * numbers its ReplicaSets: each new template takes the next number, and a template equal
 * to a retained or earlier one (an undo) takes the next number too, its old number
 * disappearing. Removing the Deployment from git deletes its history, as in Kubernetes.
 * Undefined when the Deployment is not there after the last commit.
 */
export function deploymentHistory(commits: CommitChanges[], ref: DeploymentRef): DeploymentHistory | undefined {
  const s: WalkState = {holders: new Map(), revisions: new Map(), next: 1, limit: 10, unreadable: []}
  for (const c of commits) step(s, c, ref)
  if (!s.current || s.holders.size !== 1) return undefined
  const [file] = s.holders.keys()
  const revisions = [...s.revisions.values()].sort((a, b) => a.revision - b.revision)
  return {revisions, current: s.current, file: file!, revisionHistoryLimit: s.limit, unreadable: s.unreadable}
}

function step(s: WalkState, c: CommitChanges, ref: DeploymentRef): void {
  let touched = false
  for (const f of c.files) {
    const found = f.content === undefined ? undefined : findDeployment(f.path, toText(f.content), ref)
    if (found || s.holders.has(f.path)) touched = true
    if (found) s.holders.set(f.path, found)
    else s.holders.delete(f.path)
  }
  // Commits that did not touch the file holding the Deployment cannot change its template.
  if (!touched) return
  if (s.holders.size === 0) {
    s.revisions.clear()
    s.current = undefined
    s.next = 1
    return
  }
  if (s.holders.size > 1) return void s.unreadable.push({commit: c.commit, reason: `defined in ${[...s.holders.keys()].join(' and ')}`})
  const [file, found] = [...s.holders][0]!
  if ('error' in found) return void s.unreadable.push({commit: c.commit, reason: found.error})
  s.limit = found.object.spec.revisionHistoryLimit
  const hash = podTemplateHash(found.object.spec.template)
  if (s.current?.hash === hash) return
  const cause = found.object.metadata.annotations[CHANGE_CAUSE]
  s.current = {revision: s.next++, hash, template: found.object.spec.template, raw: found.raw, commit: c.commit, file, text: found.text, ...(cause ? {changeCause: cause} : {})}
  s.revisions.set(hash, s.current)
  // Kubernetes keeps revisionHistoryLimit old ReplicaSets besides the current one.
  const old = [...s.revisions.values()].sort((a, b) => a.revision - b.revision)
  for (const r of old.slice(0, Math.max(0, old.length - s.limit - 1))) s.revisions.delete(r.hash)
}

function toText(content: Uint8Array | string): string {
  return typeof content === 'string' ? content : new TextDecoder().decode(content)
}

/**
 * The Deployment in one file, read as kgit reads it but without schema validation (the
 * revision was validated when it was applied). Files that do not even contain the name
 * are not parsed.
 */
export function findDeployment(path: string, text: string, ref: DeploymentRef): Found | undefined {
  if (!text.includes(ref.name)) return undefined
  const {docs, errors} = parseYamlFile(path, text)
  const doc = docs.find((d) => isDeploymentDoc(d, ref))
  if (!doc) return errors.length > 0 ? {error: errors[0]!.message} : undefined
  const res = parseObject(doc)
  if (!res.object || res.object.kind !== 'Deployment') return {error: res.errors[0]?.message ?? `${path}: not readable as a Deployment`}
  return {object: res.object, raw: (doc.value as {spec?: {template?: unknown}}).spec?.template, text}
}

function isDeploymentDoc(d: ParsedDoc, ref: DeploymentRef): boolean {
  const v = d.value
  if (!isRecord(v) || v.kind !== 'Deployment' || !isRecord(v.metadata) || v.metadata.name !== ref.name) return false
  return (v.metadata.namespace ?? 'default') === ref.namespace
}

/** One retained revision, or an error listing those there are. */
export function pickRevision(h: DeploymentHistory, ref: DeploymentRef, n: number): Revision {
  const r = h.revisions.find((x) => x.revision === n)
  if (!r) throw new UsageError(`revision ${n} is not in the history of deployment/${ref.name} in namespace ${ref.namespace} (revisions: ${h.revisions.map((x) => x.revision).join(', ')})`)
  return r
}

/** The revision `rollout undo` goes back to: `to`, or the one before the current. */
export function undoTarget(h: DeploymentHistory, ref: DeploymentRef, to?: number): Revision {
  if (to === undefined || to === 0) {
    const prev = h.revisions.at(-2)
    if (!prev) throw new UsageError(`deployment/${ref.name} in namespace ${ref.namespace} has no previous revision to go back to (it has only revision ${h.current.revision})`)
    return prev
  }
  const target = pickRevision(h, ref, to)
  if (target.hash === h.current.hash) throw new UsageError(`deployment/${ref.name} is already at revision ${target.revision}: nothing to undo`)
  return target
}

/** `deployment/NAME`, `deploy/NAME`, `deployments/NAME` (or the kind and the name as two words). */
/** What `kgit rollout status` takes: deployment/NAME, daemonset/NAME (ds/NAME) or statefulset/NAME (sts/NAME). */
export function parseRolloutStatusArg(resource: string, name?: string): {kind: 'Deployment' | 'DaemonSet' | 'StatefulSet'; name: string} {
  const [kind, n, ...rest] = name === undefined ? resource.split('/') : [resource, name]
  const k = (kind ?? '').toLowerCase()
  const other = ['daemonset', 'daemonsets', 'ds', 'daemonset.apps', 'daemonsets.apps'].includes(k) ? 'DaemonSet' : ['statefulset', 'statefulsets', 'sts', 'statefulset.apps', 'statefulsets.apps'].includes(k) ? 'StatefulSet' : undefined
  if (!other) return {kind: 'Deployment', name: parseDeploymentArg(resource, name)}
  if (!n || rest.length > 0) throw new UsageError(`"${resource}${name ? ' ' + name : ''}": name the ${other === 'DaemonSet' ? 'daemon set as daemonset/NAME' : 'stateful set as statefulset/NAME'}`)
  return {kind: other, name: n}
}

export function parseDeploymentArg(resource: string, name?: string): string {
  const [kind, n, ...rest] = name === undefined ? resource.split('/') : [resource, name]
  const kinds = ['deployment', 'deployments', 'deploy', 'deployment.apps', 'deployments.apps']
  if (!kinds.includes((kind ?? '').toLowerCase())) throw new UsageError(`"${resource}": rollout works on deployments: name one as deployment/NAME`)
  if (!n || rest.length > 0) throw new UsageError(`"${resource}${name ? ' ' + name : ''}": name the deployment as deployment/NAME`)
  return n
}
