import {execa} from 'execa'
import {createHmac} from 'node:crypto'
import {request as httpsRequest} from 'node:https'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parseListen} from '../../src/commands/reconcile.js'
import {parseCluster} from '../../src/engine/manifest/cluster.js'
import {Coalescer} from '../../src/engine/gitops/coalesce.js'
import {installHooks, renderHook, shellWord} from '../../src/engine/gitops/hooks.js'
import {fetchMirror} from '../../src/engine/gitops/mirror.js'
import {notify, notifyReason} from '../../src/engine/gitops/notify.js'
import {RECONCILE_EXIT, exitCodeOf, type ReconcileReport} from '../../src/engine/gitops/reconcile.js'
import {startServer} from '../../src/engine/gitops/server.js'
import {userForToken} from '../../src/engine/exec/token-file.js'
import {parsePush, verifyWebhook, type WebhookRequest} from '../../src/engine/gitops/webhook.js'
import {plan} from '../../src/engine/plan/plan.js'
import {deployment, desired, FakeFleet} from './plan-helpers.js'

const SECRET = 'It is a secret'
const body = Buffer.from(JSON.stringify({ref: 'refs/heads/main', after: 'a'.repeat(40)}))
const hmac = (b: Buffer, key = SECRET) => createHmac('sha256', key).update(b).digest('hex')
const req = (headers: Record<string, string>, b = body): WebhookRequest => ({headers, body: b})

describe('webhook signatures', () => {
  it('GitHub: sha256= HMAC of the body', () => {
    expect(verifyWebhook(req({'x-hub-signature-256': `sha256=${hmac(body)}`}), SECRET)).toEqual({ok: true, provider: 'github'})
    expect(verifyWebhook(req({'x-hub-signature-256': `sha256=${hmac(body, 'other')}`}), SECRET)).toEqual({ok: false, status: 403, reason: 'X-Hub-Signature-256 does not match the body (wrong secret, or the body was changed)'})
    // The same signature on a changed body.
    expect(verifyWebhook(req({'x-hub-signature-256': `sha256=${hmac(body)}`}, Buffer.concat([body, Buffer.from(' ')])), SECRET)).toMatchObject({ok: false, status: 403})
    expect(verifyWebhook(req({'x-hub-signature-256': hmac(body)}), SECRET)).toEqual({ok: false, status: 403, reason: 'X-Hub-Signature-256 is not "sha256=" and 64 hex digits'})
  })

  it('Gitea and Forgejo: hex HMAC; GitLab: the secret as a token; Bearer', () => {
    expect(verifyWebhook(req({'x-gitea-signature': hmac(body)}), SECRET)).toEqual({ok: true, provider: 'gitea'})
    expect(verifyWebhook(req({'x-forgejo-signature': hmac(body)}), SECRET)).toEqual({ok: true, provider: 'gitea'})
    expect(verifyWebhook(req({'x-gitea-signature': hmac(body, 'x')}), SECRET)).toMatchObject({ok: false, status: 403})
    expect(verifyWebhook(req({'x-gitlab-token': SECRET}), SECRET)).toEqual({ok: true, provider: 'gitlab'})
    expect(verifyWebhook(req({'x-gitlab-token': SECRET + 'x'}), SECRET)).toEqual({ok: false, status: 403, reason: 'X-Gitlab-Token is not the shared secret'})
    expect(verifyWebhook(req({authorization: `Bearer ${SECRET}`}), SECRET)).toEqual({ok: true, provider: 'token'})
    expect(verifyWebhook(req({authorization: `Basic ${SECRET}`}), SECRET)).toEqual({ok: false, status: 401, reason: 'Authorization is not "Bearer TOKEN"'})
  })

  it('no credential at all: 401', () => {
    expect(verifyWebhook(req({'x-github-event': 'push'}), SECRET)).toEqual({ok: false, status: 401, reason: 'no signature: expected X-Hub-Signature-256, X-Gitea-Signature, X-Gitlab-Token or Authorization: Bearer'})
  })
})

describe('webhook payloads', () => {
  it('a push names its branch and commit; tags and other branches are told apart', () => {
    expect(parsePush('github', req({'x-github-event': 'push'}))).toEqual({kind: 'push', provider: 'github', branch: 'main', after: 'a'.repeat(40)})
    expect(parsePush('gitlab', req({'x-gitlab-event': 'Push Hook'}))).toEqual({kind: 'push', provider: 'gitlab', branch: 'main', after: 'a'.repeat(40)})
    expect(parsePush('gitea', req({'x-gitea-event': 'push'}, Buffer.from('{"ref":"refs/tags/v1"}')))).toEqual({kind: 'push', provider: 'gitea', branch: ''})
    expect(parsePush('github', req({'x-github-event': 'ping'}))).toEqual({kind: 'other', provider: 'github', event: 'ping'})
    expect(parsePush('token', req({}, Buffer.alloc(0)))).toEqual({kind: 'push', provider: 'token'})
  })

  it('a body that is not the provider\'s JSON is an error', () => {
    expect(() => parsePush('github', req({'x-github-event': 'push'}, Buffer.from('ref=main')))).toThrow(/^the push payload is not JSON: /)
    expect(() => parsePush('github', req({'x-github-event': 'push'}, Buffer.from('{"after":"x"}')))).toThrow('the push payload has no "ref" string')
  })
})

describe('the webhook server', () => {
  const pushes: unknown[] = []
  const logs: string[] = []
  let url = ''
  let close: () => void
  beforeAll(async () => {
    const s = await startServer({host: '127.0.0.1', port: 0, secret: SECRET, branch: 'main', metrics: async () => ({contentType: 'text/plain', text: 'm 1'}), onPush: (e) => pushes.push(e), log: (l) => logs.push(l)})
    const a = s.address() as {port: number}
    url = `http://127.0.0.1:${a.port}`
    close = () => s.close()
  })
  afterAll(() => close())

  it('refuses bad signatures with 403 and logs them, queues good pushes with 202, ignores other branches', async () => {
    const post = (b: Buffer, headers: Record<string, string>) => fetch(`${url}/webhook`, {method: 'POST', body: b, headers})
    expect((await post(body, {'x-hub-signature-256': `sha256=${hmac(body, 'bad')}`})).status).toBe(403)
    expect(logs[0]).toMatch(/^webhook refused \(403\) from 127\.0\.0\.1:\d+: X-Hub-Signature-256 does not match the body/)
    expect((await post(body, {})).status).toBe(401)
    expect(pushes).toEqual([])
    expect((await post(body, {'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body)}`})).status).toBe(202)
    const dev = Buffer.from('{"ref":"refs/heads/dev"}')
    const other = await post(dev, {'x-gitea-event': 'push', 'x-gitea-signature': hmac(dev)})
    expect(other.status).toBe(200)
    expect(await other.text()).toBe('ignored: a push to dev, not main\n')
    expect(pushes).toEqual([{kind: 'push', provider: 'github', branch: 'main', after: 'a'.repeat(40)}])
    expect((await fetch(`${url}/webhook`)).status).toBe(405)
    expect(await (await fetch(`${url}/metrics`)).text()).toBe('m 1\n')
  })
})

describe('the webhook server with a token file', () => {
  it("accepts a bearer token of the static token file (its user is logged), refuses an unknown one with 403, and one without a credential with 401", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kgit-tokens-'))
    const file = join(dir, 'tokens.csv')
    await writeFile(file, 'tok-ci-0123456789,ci-bot,1001,"deployers"\n')
    const pushes: unknown[] = []
    const logs: string[] = []
    const s = await startServer({host: '127.0.0.1', port: 0, tokenUser: async (t) => (await userForToken(file, t))?.user, branch: 'main', metrics: async () => ({contentType: 'text/plain', text: ''}), onPush: (e) => pushes.push(e), log: (l) => logs.push(l)})
    try {
      const url = `http://127.0.0.1:${(s.address() as {port: number}).port}/webhook`
      expect((await fetch(url, {method: 'POST', headers: {authorization: 'Bearer tok-ci-0123456789'}})).status).toBe(202)
      expect(logs[0]).toMatch(/^webhook from 127\.0\.0\.1:\d+: bearer token of user "ci-bot"$/)
      expect((await fetch(url, {method: 'POST', headers: {authorization: 'Bearer nope'}})).status).toBe(403)
      expect(logs[1]).toMatch(/^webhook refused \(403\) from 127\.0\.0\.1:\d+: the bearer token is in no line of the token file$/)
      expect((await fetch(url, {method: 'POST', body: '{}'})).status).toBe(401)
      expect(pushes).toEqual([{kind: 'push', provider: 'token'}])
    } finally {
      s.close()
      await rm(dir, {recursive: true, force: true})
    }
  })
})

describe('the webhook server over HTTPS', () => {
  it('serves the webhook with the certificate it is given; plain HTTP gets no answer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kgit-tls-'))
    await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')])
    const ca = await readFile(join(dir, 'cert.pem'), 'utf8')
    const pushes: unknown[] = []
    const s = await startServer({host: '127.0.0.1', port: 0, secret: SECRET, tls: {cert: ca, key: await readFile(join(dir, 'key.pem'), 'utf8')}, metrics: async () => ({contentType: 'text/plain', text: ''}), onPush: (e) => pushes.push(e), log: () => {}})
    const port = (s.address() as {port: number}).port
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const r = httpsRequest({host: '127.0.0.1', port, path: '/webhook', method: 'POST', ca, headers}, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        r.on('error', reject)
        r.end(body)
      })
    try {
      expect(await post({'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body)}`})).toBe(202)
      expect(await post({'x-hub-signature-256': `sha256=${hmac(body, 'bad')}`})).toBe(403)
      expect(pushes).toHaveLength(1)
      await expect(fetch(`http://127.0.0.1:${port}/webhook`, {method: 'POST', body})).rejects.toThrow()
    } finally {
      s.close()
      await rm(dir, {recursive: true, force: true})
    }
  })
})

describe('coalescing', () => {
  const tick = (ms: number) => new Promise((r) => setTimeout(r, ms))

  it('a burst of triggers makes one run, with every reason', async () => {
    const runs: string[][] = []
    const c = new Coalescer(async (r) => void runs.push(r), 30)
    c.trigger('a')
    c.trigger('b')
    c.trigger('c')
    await tick(80)
    expect(runs).toEqual([['a', 'b', 'c']])
    await c.stop()
  })

  it('triggers during a run make exactly one more run after it, never two at once', async () => {
    const runs: string[][] = []
    let active = 0
    let most = 0
    const c = new Coalescer(async (r) => {
      active++
      most = Math.max(most, active)
      runs.push(r)
      await tick(60)
      active--
    }, 10)
    c.trigger('first')
    await tick(30)
    c.trigger('x')
    c.trigger('y')
    await tick(150)
    expect(runs).toEqual([['first'], ['x', 'y']])
    expect(most).toBe(1)
    await c.stop()
  })

  it('stop waits for the current run and starts no new one', async () => {
    let done = false
    const c = new Coalescer(async () => {
      await tick(50)
      done = true
    }, 0)
    c.trigger('a')
    await tick(10)
    await c.stop()
    expect(done).toBe(true)
    c.trigger('b')
    expect(c.busy).toBe(false)
  })
})

const report = (r: Partial<ReconcileReport>): ReconcileReport => ({outcome: 'noop', changed: false, drift: [], summary: {create: 0, replace: 0, delete: 0}, outOfSync: 0, unreachable: [], unschedulable: [], errors: [], cronJobs: [], durationMs: 5, at: '2026-01-01T00:00:00.000Z', ...r})

describe('exit codes of kgit reconcile --once', () => {
  it.each([
    ['noop', 0],
    ['applied', 0],
    ['suspended', 0],
    ['failed', 1],
    ['locked', 3],
    ['fetch-failed', 4],
  ] as const)('%s: %i', (outcome, code) => {
    expect(exitCodeOf({outcome})).toBe(code)
  })

  it('are the documented ones', () => {
    expect(RECONCILE_EXIT).toEqual({ok: 0, failed: 1, locked: 3, fetch: 4})
  })
})

describe('--listen', () => {
  const fail = (m: string): never => {
    throw new Error(m)
  }
  it('takes PORT or HOST:PORT, loopback by default', () => {
    expect(parseListen('9470', fail)).toEqual({host: '127.0.0.1', port: 9470})
    expect(parseListen('0.0.0.0:80', fail)).toEqual({host: '0.0.0.0', port: 80})
    expect(parseListen('[::1]:9470', fail)).toEqual({host: '::1', port: 9470})
    expect(() => parseListen('localhost:99999', fail)).toThrow('--listen localhost:99999: expected HOST:PORT or PORT (port 0 to 65535; 0: any free port)')
  })
})

describe('kgit.yaml spec.suspend and spec.notifications', () => {
  const head = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: lab}\nspec:\n  nodes: [{name: n1, address: 198.51.100.2}]\n'
  it('reads them', () => {
    const {cluster, errors} = parseCluster('kgit.yaml', head + '  suspend: true\n  notifications:\n    command: [/usr/local/bin/page, ops]\n    webhook: https://chat.example.com/hook\n')
    expect(errors).toEqual([])
    expect(cluster?.suspend).toBe(true)
    expect(cluster?.notifications).toEqual({command: ['/usr/local/bin/page', 'ops'], webhook: 'https://chat.example.com/hook', on: ['failure', 'drift']})
  })

  it('names the file, line and field of a mistake', () => {
    const msgs = parseCluster('kgit.yaml', head + '  suspend: yes please\n  notifications:\n    webhook: chat.example.com\n    on: [failure, sometimes]\n').errors.map((e) => e.message)
    expect(msgs).toEqual(['kgit.yaml:6 spec.suspend: must be true or false, got string "yes please"', 'kgit.yaml:8 spec.notifications.webhook: must be an http:// or https:// URL', 'kgit.yaml:9 spec.notifications.on[1]: must be failure or drift'])
    expect(parseCluster('kgit.yaml', head + '  notifications: {}\n').errors.map((e) => e.message)).toEqual(['kgit.yaml:6 spec.notifications: needs command or webhook'])
  })
})

describe('suspend in the plan', () => {
  it('spec.suspend: every action is held and reported, nothing is left to do', () => {
    const d = desired(2, deployment('web', 2))
    const held = plan({...d, cluster: {...d.cluster, suspend: true}}, new FakeFleet(2).observed())
    expect(held.actions).toEqual([])
    expect(held.network.syncs).toEqual([])
    expect(held.suspended?.map((a) => a.type)).toEqual(['sync-network', 'sync-network', 'create', 'create'])
  })

  it('the annotation holds only its object', () => {
    const annotated = deployment('web', 1).replace('metadata: {name: web, namespace: default}', 'metadata: {name: web, namespace: default, annotations: {kgit.dev/suspend: "true"}}')
    const p = plan(desired(1, annotated, deployment('api', 1)), new FakeFleet(1).observed())
    expect(p.actions.map((a) => (a.type === 'create' ? a.pod.owner?.name : a.type))).toEqual(['api'])
    expect(p.suspended?.map((a) => (a.type === 'create' ? a.pod.owner?.name : a.type))).toEqual(['web'])
  })
})

describe('notifications', () => {
  it('are sent on failure and on drift, as spec.notifications.on says', () => {
    const notifications = {command: ['true'], on: ['failure' as const]}
    expect(notifyReason(report({outcome: 'failed', notifications}))).toBe('failure')
    expect(notifyReason(report({outcome: 'applied', drift: [{node: 'n1', action: 'create', what: 'pod a/b', reason: 'drift: gone', drift: true}], notifications}))).toBeUndefined()
    expect(notifyReason(report({outcome: 'applied', drift: [{node: 'n1', action: 'create', what: 'pod a/b', reason: 'drift: gone', drift: true}], notifications: {...notifications, on: ['drift']}}))).toBe('drift')
    expect(notifyReason(report({outcome: 'failed'}))).toBeUndefined()
  })

  it('runs the command with the JSON report on stdin; a failing command is a warning', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kgit-unit-notify-'))
    try {
      const out = join(dir, 'payload.json')
      const problems = await notify(report({outcome: 'failed', cluster: 'lab', revision: 'abc', errors: [new Error('boom')], notifications: {command: ['sh', '-c', `cat > ${out}`], on: ['failure']}}), 'ops1')
      expect(problems).toEqual([])
      expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({kind: 'KgitReconcile', cluster: 'lab', host: 'ops1', outcome: 'failed', revision: 'abc', errors: ['boom'], reason: 'failure'})
      expect(await notify(report({outcome: 'failed', notifications: {command: ['sh', '-c', 'echo no >&2; exit 3'], on: ['failure']}}), 'h')).toEqual(['notification command sh failed: exit 3: no'])
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})

describe('hooks and the mirror', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kgit-unit-gitops-'))
  })
  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('hook scripts get kgit\'s command and the branch, quoted for sh', async () => {
    expect(shellWord("it's")).toBe(`'it'\\''s'`)
    const text = await renderHook('pre-receive', ['/usr/bin/node', '/opt/my kgit/bin/run.js'], 'main')
    expect(text).toContain(`kgit() { /usr/bin/node '/opt/my kgit/bin/run.js' "$@"; }`)
    expect(text).toContain('branch=main\n')
    expect(text).not.toContain('@KGIT@')
  })

  it('installs into a bare repository only, and keeps hooks kgit did not write', async () => {
    const work = join(dir, 'work')
    await execa('git', ['init', '-q', work])
    await expect(installHooks({gitDir: work, branch: 'main', kgit: 'kgit', layout: 'plain', force: false})).rejects.toThrow(`--git-dir ${work}: not a bare repository`)
    const bare = join(dir, 'b.git')
    await execa('git', ['init', '-q', '--bare', bare])
    await writeFile(join(bare, 'hooks', 'pre-receive'), '#!/bin/sh\nexit 0\n')
    await expect(installHooks({gitDir: bare, branch: 'main', kgit: 'kgit', layout: 'plain', force: false})).rejects.toThrow(`${join(bare, 'hooks', 'pre-receive')} exists and was not written by kgit`)
    const written = await installHooks({gitDir: bare, branch: 'main', kgit: 'kgit', layout: 'd', force: false})
    expect([...written]).toEqual([join(bare, 'hooks/pre-receive.d/kgit'), join(bare, 'hooks/post-receive.d/kgit')])
    expect(written.log).toBe(join(bare, 'kgit-hook.log'))
  })

  it('fetches a branch into a mirror, says whether it moved, and skips while another run fetches', async () => {
    const src = join(dir, 'src')
    await execa('git', ['init', '-q', '-b', 'main', src])
    const c = (m: string) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', m], {cwd: src})
    await c('one')
    const mirror = join(dir, 'm.git')
    const first = await fetchMirror({remote: src, branch: 'main', mirror, dir})
    expect(first.before).toBeUndefined()
    const again = await fetchMirror({remote: src, branch: 'main', mirror, dir})
    expect(again.before).toBe(first.commit)
    expect(again.commit).toBe(first.commit)
    await c('two')
    const moved = await fetchMirror({remote: src, branch: 'main', mirror, dir})
    expect(moved.commit).not.toBe(first.commit)
    await writeFile(join(mirror, 'kgit-fetch.lock'), `4242 ${Date.now()}`)
    await expect(fetchMirror({remote: src, branch: 'main', mirror, dir})).rejects.toThrow(`another run (pid 4242) is fetching into ${mirror}`)
    await writeFile(join(mirror, 'kgit-fetch.lock'), `4242 ${Date.now() - 3_600_000}`)
    expect((await fetchMirror({remote: src, branch: 'main', mirror, dir})).commit).toBe(moved.commit)
    await expect(fetchMirror({remote: 'nosuchremote', branch: 'main', mirror, dir: src})).rejects.toThrow(`--remote nosuchremote: not a remote of the repository in ${src} (git remote -v lists them), and not a URL`)
  })
})
