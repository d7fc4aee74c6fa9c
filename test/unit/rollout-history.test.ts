import {describe, expect, it} from 'vitest'
import {deploymentHistory, parseDeploymentArg, pickRevision, undoTarget, type CommitChanges} from '../../src/engine/controllers/rollout-history.js'
import {podTemplateHash} from '../../src/engine/controllers/hash.js'
import {parseLog} from '../../src/engine/exec/git-history.js'

/** A Deployment whose template differs by the env var V; `extra` adds top-level spec lines. */
function web(v: string, opts: {name?: string; ns?: string; extra?: string; cause?: string} = {}): string {
  const name = opts.name ?? 'web'
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${opts.ns ?? 'default'}${opts.cause ? `\n  annotations: {kubernetes.io/change-cause: "${opts.cause}"}` : ''}
spec:
${opts.extra ?? ''}  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
        - {name: main, image: localhost/busybox:1.35, command: [sleep, "3600"], env: [{name: V, value: "${v}"}]}
`
}

/** One commit per entry: the files it changed (null: removed). */
function commits(...steps: Record<string, string | null>[]): CommitChanges[] {
  return steps.map((files, i) => ({
    commit: {hash: `${i + 1}`.padStart(40, 'a'), subject: `commit ${i + 1}`, author: 'dev', date: `2026-01-0${(i % 9) + 1}T00:00:00Z`},
    files: Object.entries(files).map(([path, text]) => (text === null ? {path} : {path, content: text})),
  }))
}

const ref = {namespace: 'default', name: 'web'}
const F = 'manifests/web.yaml'

// Each case: the commits, then [revision, subject of the commit that made it] retained, oldest first.
const CASES: {name: string; commits: CommitChanges[]; want: [number, string][]; file?: string}[] = [
  {name: 'one revision per template change', commits: commits({[F]: web('1')}, {[F]: web('2')}, {[F]: web('3')}), want: [[1, 'commit 1'], [2, 'commit 2'], [3, 'commit 3']]},
  {name: 'a change outside the template is no new revision', commits: commits({[F]: web('1')}, {[F]: web('1', {extra: '  replicas: 3\n'})}, {[F]: web('2')}), want: [[1, 'commit 1'], [2, 'commit 3']]},
  {name: 'commits to other files are skipped', commits: commits({[F]: web('1')}, {'manifests/db.yaml': web('9', {name: 'db'})}, {[F]: web('2')}), want: [[1, 'commit 1'], [2, 'commit 3']]},
  {name: 'a template that comes back takes the next number', commits: commits({[F]: web('1')}, {[F]: web('2')}, {[F]: web('3')}, {[F]: web('2')}), want: [[1, 'commit 1'], [3, 'commit 3'], [4, 'commit 4']]},
  {name: 'the same name in another namespace is another Deployment', commits: commits({[F]: web('1')}, {'manifests/other.yaml': web('2', {ns: 'shop'})}), want: [[1, 'commit 1']]},
  {name: 'moving to another file keeps the history', commits: commits({[F]: web('1')}, {[F]: null, 'manifests/app/web.yaml': web('1')}, {'manifests/app/web.yaml': web('2')}), want: [[1, 'commit 1'], [2, 'commit 3']], file: 'manifests/app/web.yaml'},
  {name: 'removing the Deployment deletes its history', commits: commits({[F]: web('1')}, {[F]: web('2')}, {[F]: null}, {[F]: web('3')}), want: [[1, 'commit 4']]},
  {name: 'only revisionHistoryLimit + 1 are kept', commits: commits({[F]: web('1', {extra: '  revisionHistoryLimit: 1\n'})}, {[F]: web('2', {extra: '  revisionHistoryLimit: 1\n'})}, {[F]: web('3', {extra: '  revisionHistoryLimit: 1\n'})}), want: [[2, 'commit 2'], [3, 'commit 3']]},
  {name: 'a commit that cannot be read is skipped', commits: commits({[F]: web('1')}, {[F]: web('2').replace('image:', 'image: [') }, {[F]: web('3')}), want: [[1, 'commit 1'], [2, 'commit 3']]},
  {name: 'a Deployment inside a kind: List', commits: commits({[F]: `apiVersion: v1\nkind: List\nitems:\n- ${web('1').replace(/\n/g, '\n  ').trimEnd()}\n`}, {[F]: web('2')}), want: [[1, 'commit 1'], [2, 'commit 2']]},
]

describe('deploymentHistory', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const h = deploymentHistory(c.commits, ref)!
      expect(h.revisions.map((r) => [r.revision, r.commit.subject])).toEqual(c.want)
      expect(h.current).toBe(h.revisions.at(-1))
      expect(h.file).toBe(c.file ?? F)
    })
  }

  it('hashes the template as kgit loads it: the label its pods carry', () => {
    const h = deploymentHistory(commits({[F]: web('1')}), ref)!
    expect(h.current.hash).toBe(podTemplateHash(h.current.template))
    expect(h.current.template.spec.containers[0]!.imagePullPolicy).toBe('IfNotPresent')
  })

  it('reads the change-cause annotation', () => {
    const h = deploymentHistory(commits({[F]: web('1', {cause: 'kubectl set image'})}), ref)!
    expect(h.current.changeCause).toBe('kubectl set image')
  })

  it('is undefined for a Deployment that is not there', () => {
    expect(deploymentHistory(commits({[F]: web('1')}), {namespace: 'default', name: 'api'})).toBeUndefined()
    expect(deploymentHistory(commits({[F]: web('1')}, {[F]: null}), ref)).toBeUndefined()
  })
})

describe('undo targets and revision numbers', () => {
  const h = deploymentHistory(commits({[F]: web('1')}, {[F]: web('2')}, {[F]: web('3')}, {[F]: web('2')}), ref)!
  it('goes back to the revision before the current by default', () => expect(undoTarget(h, ref).revision).toBe(3))
  it('takes --to-revision', () => expect(undoTarget(h, ref, 1).revision).toBe(1))
  it('refuses the current revision', () => expect(() => undoTarget(h, ref, 4)).toThrow('deployment/web is already at revision 4: nothing to undo'))
  it('names the revisions there are', () => expect(() => pickRevision(h, ref, 2)).toThrow('revision 2 is not in the history of deployment/web in namespace default (revisions: 1, 3, 4)'))
  it('needs a previous revision', () => {
    const one = deploymentHistory(commits({[F]: web('1')}), ref)!
    expect(() => undoTarget(one, ref)).toThrow('has no previous revision to go back to (it has only revision 1)')
  })
})

describe('parseDeploymentArg', () => {
  it.each([['deployment/web'], ['deploy/web'], ['deployments/web'], ['Deployment/web'], ['deployment', 'web']])('%s %s', (a, b) => expect(parseDeploymentArg(a, b)).toBe('web'))
  it('refuses other kinds', () => expect(() => parseDeploymentArg('pod/web')).toThrow('"pod/web": rollout works on deployments: name one as deployment/NAME'))
  it('needs a name', () => expect(() => parseDeploymentArg('deployment/')).toThrow('name the deployment as deployment/NAME'))
})

describe('parseLog', () => {
  it('reads git log -z --raw records', () => {
    const z = '0'.repeat(40)
    const out = `\x1e${'a'.repeat(40)}\x1fAda\x1f2026-01-01T00:00:00+00:00\x1fadd web\0\n:000000 100644 ${z} ${'b'.repeat(40)} A\0manifests/web.yaml\0:000000 100644 ${z} ${'c'.repeat(40)} A\0manifests/README.md\0:000000 120000 ${z} ${'d'.repeat(40)} A\0manifests/link.yaml\0`
      + `\x1e${'e'.repeat(40)}\x1fBo\x1f2026-01-02T00:00:00+00:00\x1fremove\0\n:100644 000000 ${'b'.repeat(40)} ${z} D\0manifests/web.yaml\0`
    expect(parseLog(out)).toEqual([
      {commit: {hash: 'a'.repeat(40), author: 'Ada', date: '2026-01-01T00:00:00+00:00', subject: 'add web'}, files: [{path: 'manifests/web.yaml', oid: 'b'.repeat(40)}, {path: 'manifests/link.yaml'}]},
      {commit: {hash: 'e'.repeat(40), author: 'Bo', date: '2026-01-02T00:00:00+00:00', subject: 'remove'}, files: [{path: 'manifests/web.yaml'}]},
    ])
  })
})
