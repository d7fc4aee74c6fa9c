import {stringify} from 'yaml'
import {table} from './table.js'
import type {DeploymentHistory, DeploymentRef, Revision} from '../engine/controllers/rollout-history.js'

/** The change-cause annotation, or the commit that made the revision: subject (hash, author, date). */
export function changeCause(r: Revision): string {
  return r.changeCause ?? `${r.commit.subject} (${r.commit.hash.slice(0, 7)}, ${r.commit.author}, ${r.commit.date.slice(0, 10)})`
}

/** kubectl's `rollout history` table. */
export function historyRows(ref: DeploymentRef, h: DeploymentHistory): string[] {
  return [`deployment.apps/${ref.name}`, ...table([['REVISION', 'CHANGE-CAUSE'], ...h.revisions.map((r) => [String(r.revision), changeCause(r)])])]
}

/** One revision: its commit, file, pod-template-hash and the template as written in git. */
export function revisionDetail(ref: DeploymentRef, r: Revision): string[] {
  const yaml = stringify(r.raw, {flowCollectionPadding: false, lineWidth: 0}).trimEnd()
  return [
    `deployment.apps/${ref.name} with revision #${r.revision}`,
    `Commit:             ${r.commit.hash.slice(0, 12)} ${r.commit.subject} (${r.commit.author}, ${r.commit.date})`,
    `File:               ${r.file}`,
    `Pod-Template-Hash:  ${r.hash}`,
    ...(r.changeCause ? [`Change-Cause:       ${r.changeCause}`] : []),
    'Pod Template:',
    ...yaml.split('\n').map((l) => '  ' + l),
  ]
}

export function revisionJson(r: Revision, withTemplate: boolean): Record<string, unknown> {
  return {
    revision: r.revision,
    podTemplateHash: r.hash,
    changeCause: changeCause(r),
    commit: r.commit,
    file: r.file,
    ...(withTemplate ? {template: r.raw} : {}),
  }
}

export function historyJson(ref: DeploymentRef, h: DeploymentHistory): Record<string, unknown> {
  return {
    deployment: ref,
    currentRevision: h.current.revision,
    revisionHistoryLimit: h.revisionHistoryLimit,
    revisions: h.revisions.map((r) => revisionJson(r, false)),
  }
}
