import {execa} from 'execa'
import {createPublicKey, randomBytes, verify} from 'node:crypto'
import {mkdtemp, readdir, readFile, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {labTransport, type LabState} from '../../src/engine/exec/lab/index.js'
import {deploymentYaml} from '../support/manifests.js'
import {commit, lab, labCluster, podman, podsOn, type Run} from './helpers.js'

const ROOT = new URL('../..', import.meta.url).pathname
const repo = inject('labRepo')
let state: LabState
/** The kgit process's own HOME and TMPDIR: every byte under them is searched for the secret. */
let home: string
let temp: string
labCluster(repo)

/** Everything kgit printed during the test, and what `ps` showed while it ran. */
const printed: string[] = []
const psSeen: string[] = []

/** Runs the built CLI with HOME and TMPDIR of its own, sampling `ps -eo args` (this machine and the lab nodes) while it runs. */
async function kgit(args: string[], env: Record<string, string> = {}): Promise<Run> {
  let running = true
  const sampler = (async () => {
    while (running) {
      const ps = await execa('ps', ['-eo', 'args'], {reject: false})
      psSeen.push(String(ps.stdout))
      // Every 100 ms: a process that carries arguments to a node (podman run, ssh) lives for
      // longer than that, and a tighter loop took a core of a 2-core machine away from the other labs.
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  const r = await execa('node', [join(ROOT, 'bin/run.js'), ...args], {cwd: repo, reject: false, env: {NO_COLOR: '1', HOME: home, TMPDIR: temp, EDITOR: 'true', ...env}})
  running = false
  await sampler
  const out = {stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1}
  printed.push(out.stdout, out.stderr)
  return out
}

function secretYaml(name: string, values: Record<string, string>): string {
  return `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}}\ntype: Opaque\nstringData:\n${Object.entries(values).map(([k, v]) => `  ${k}: "${v}"\n`).join('')}`
}

function configYaml(greeting: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-config}\ndata:\n  greeting: "${greeting}"\n  app.conf: |\n    level=info\n`
}

/** `vol` reads the Secret and the ConfigMap as files (one subPath mount); `env` reads the Secret as env. */
const volApp = deploymentYaml('vol', 1, {
  image: 'localhost/busybox:1.35',
  grace: 1,
  command: ['sleep', '3600'],
  podSpec: '      volumes:\n        - {name: creds, secret: {secretName: db}}\n        - {name: cfg, configMap: {name: app-config, items: [{key: greeting, path: hello.txt, mode: 0400}, {key: app.conf, path: conf/app.conf}]}}\n',
  container: '          volumeMounts:\n            - {name: creds, mountPath: /etc/creds}\n            - {name: cfg, mountPath: /etc/cfg}\n            - {name: cfg, mountPath: /etc/pinned.txt, subPath: hello.txt}\n',
})
const envApp = deploymentYaml('env', 1, {
  image: 'localhost/busybox:1.35',
  grace: 1,
  command: ['sleep', '3600'],
  container: '          env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}]\n          envFrom: [{secretRef: {name: db}, prefix: ALL_}]\n',
})

async function podOf(app: string): Promise<{node: string; index: number; pod: string}> {
  for (const [index, n] of state.nodes.entries()) {
    const p = (await podsOn(state, n.name)).find((x) => x.labels['kgit.dev/owner'] === `Deployment/${app}`)
    if (p) return {node: n.name, index, pod: p.labels['kgit.dev/name']!}
  }
  throw new Error(`no pod of ${app}`)
}

async function inPod(app: string, ...cmd: string[]): Promise<string> {
  const {node, pod} = await podOf(app)
  return podman(state, node, 'exec', `default_${pod}_main`, ...cmd)
}

function envOf(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
}

async function startedAt(app: string): Promise<string> {
  const {node, pod} = await podOf(app)
  return podman(state, node, 'inspect', '--format', '{{.State.StartedAt}}', `default_${pod}_main`)
}

/** Every regular file under `dir` that holds `needle`. */
async function filesHolding(dir: string, needle: string): Promise<string[]> {
  const out: string[] = []
  const entries = await readdir(dir, {recursive: true, withFileTypes: true}).catch(() => [])
  for (const e of entries) {
    const p = join(e.parentPath ?? (e as unknown as {path: string}).path, e.name)
    if (!e.isFile()) continue
    const buf = await readFile(p).catch(() => Buffer.alloc(0))
    if (buf.includes(needle)) out.push(p)
  }
  return out
}

async function onNode(node: string, script: string): Promise<string> {
  const r = await labTransport(state, node).exec([['sh', '-c', script]])
  return r.stdout
}

const secret1 = randomBytes(18).toString('hex')
const secret2 = randomBytes(18).toString('hex')

beforeAll(async () => {
  state = await lab(inject('labName'))
  home = await mkdtemp(join(tmpdir(), 'kgit-e2e-home-'))
  temp = await mkdtemp(join(tmpdir(), 'kgit-e2e-tmp-'))
  const key = await kgit(['secret', 'keygen'])
  expect(key.exitCode, key.stderr).toBe(0)
  expect((await stat(join(home, '.config/kgit/age.key'))).mode & 0o777).toBe(0o600)
  const add = await kgit(['secret', 'recipients', 'add', key.stdout.trim()])
  expect(add.exitCode, add.stderr).toBe(0)
})

afterAll(async () => {
  await rm(home, {recursive: true, force: true})
  await rm(temp, {recursive: true, force: true})
})

describe('ConfigMaps and encrypted Secrets on a real lab', () => {
  it('delivers a random secret as file and env, and it shows nowhere else', async () => {
    const {writeFile} = await import('node:fs/promises')
    // The plaintext exists only in this test's memory and, for a moment, in the file kgit encrypts in place.
    await writeFile(join(repo, 'manifests-db.tmp.yaml'), secretYaml('db', {password: secret1, user: 'app'}))
    const enc = await kgit(['secret', 'encrypt', 'manifests-db.tmp.yaml'])
    expect(enc.exitCode, enc.stderr).toBe(0)
    const encrypted = await readFile(join(repo, 'manifests-db.tmp.yaml'), 'utf8')
    expect(encrypted).not.toContain(secret1)
    expect(encrypted).toContain('-----BEGIN AGE ENCRYPTED FILE-----')
    await commit(repo, {'manifests-db.tmp.yaml': null, 'manifests/db.yaml': encrypted, 'manifests/config.yaml': configYaml('hello'), 'manifests/vol.yaml': volApp, 'manifests/env.yaml': envApp}, 'secrets')

    const plan = await kgit(['plan'])
    expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0)
    const r = await kgit(['apply'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)

    expect(await inPod('vol', 'cat', '/etc/creds/password')).toBe(secret1)
    expect(await inPod('vol', 'cat', '/etc/cfg/hello.txt')).toBe('hello')
    expect(await inPod('vol', 'cat', '/etc/cfg/conf/app.conf')).toBe('level=info\n')
    expect(await inPod('vol', 'cat', '/etc/pinned.txt')).toBe('hello')
    expect((await inPod('vol', 'stat', '-L', '-c', '%a', '/etc/cfg/hello.txt')).trim()).toBe('400')
    expect((await inPod('vol', 'stat', '-L', '-c', '%a', '/etc/creds/user')).trim()).toBe('644')
    expect(envOf(await inPod('env', 'env'))).toMatchObject({DB_PASSWORD: secret1, ALL_user: 'app', ALL_password: secret1})

    // On the node: root-only files on a tmpfs under dataDir.
    const {node} = await podOf('vol')
    const dataDir = join(state.nodes.find((n) => n.name === node)!.dir, 'data')
    expect(await onNode(node, `findmnt -n -o FSTYPE --target "${dataDir}/pod-files"; stat -c %a "${dataDir}/pod-files"`)).toBe('tmpfs\n700\n')

    // Labels of every container kgit made: no value.
    for (const app of ['vol', 'env']) {
      const {node: n, pod} = await podOf(app)
      expect(await podman(state, n, 'inspect', '--format', '{{json .Config.Labels}}', `default_${pod}_main`)).not.toContain(secret1)
      expect(await podman(state, n, 'pod', 'inspect', `default_${pod}`)).not.toContain(secret1)
    }
    const again = await kgit(['apply'])
    expect(again.exitCode, again.stdout + again.stderr).toBe(0)
    expect(again.stdout).toMatch(/No changes/)
  })

  it('updates ConfigMap files in the running pod, leaves subPath files as they were', async () => {
    const before = await startedAt('vol')
    await commit(repo, {'manifests/config.yaml': configYaml('bonjour')}, 'config change')
    const plan = await kgit(['plan'])
    expect(plan.stdout).toMatch(/~ pod default\/vol-\S+ \(Deployment\/vol\): files of volume\(s\) creds, cfg changed \([0-9a-f]{16} -> [0-9a-f]{16}\), updated in place/)
    const r = await kgit(['apply'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(await inPod('vol', 'cat', '/etc/cfg/hello.txt')).toBe('bonjour')
    expect(await inPod('vol', 'cat', '/etc/pinned.txt')).toBe('hello')
    expect(await startedAt('vol')).toBe(before)
    expect((await kgit(['plan'])).stdout).toMatch(/No changes/)
  })

  it('rotates a secret: new file in the running pod, env pods replaced', async () => {
    const before = await startedAt('vol')
    // The editor takes the values from its environment: argv (and so ps) never holds them.
    const editor = `node -e 'const f=require("fs");const p=process.argv[1];f.writeFileSync(p,f.readFileSync(p,"utf8").replace(process.env.OLD,process.env.NEW))'`
    const edit = await kgit(['secret', 'edit', 'manifests/db.yaml'], {EDITOR: editor, OLD: secret1, NEW: secret2})
    expect(edit.exitCode, edit.stderr).toBe(0)
    const text = await readFile(join(repo, 'manifests/db.yaml'), 'utf8')
    expect(text).not.toContain(secret2)
    await commit(repo, {}, 'rotate')
    const r = await kgit(['apply'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(await inPod('vol', 'cat', '/etc/creds/password')).toBe(secret2)
    expect(await startedAt('vol')).toBe(before)
    expect(envOf(await inPod('env', 'env')).DB_PASSWORD).toBe(secret2)
    expect((await kgit(['plan'])).stdout).toMatch(/No changes/)
  })

  it('writes files removed by hand again (drift)', async () => {
    const {node, index, pod} = await podOf('vol')
    const dir = join(state.nodes[index]!.dir, 'data', 'pod-files', `default_${pod}`)
    await onNode(node, `rm -f "${dir}/hash"`)
    const plan = await kgit(['plan'])
    expect(plan.stdout).toMatch(/files of volume\(s\) creds, cfg are missing on the node, written again/)
    expect((await kgit(['apply'])).exitCode).toBe(0)
    expect((await kgit(['plan'])).stdout).toMatch(/No changes/)
  })

  it('refuses a wrong or missing key before any node is touched', async () => {
    const pods = await Promise.all(state.nodes.map((n) => podsOn(state, n.name)))
    const missing = await kgit(['apply'], {KGIT_AGE_KEY_FILE: join(home, 'nope.key')})
    expect(missing.exitCode).toBe(1)
    expect(missing.stderr).toContain(`cannot read the age identity file ${join(home, 'nope.key')}: no such file`)
    const other = await mkdtemp(join(tmpdir(), 'kgit-e2e-other-'))
    const gen = await kgit(['secret', 'keygen', '--age-key-file', join(other, 'k')])
    expect(gen.exitCode, gen.stderr).toBe(0)
    const wrong = await kgit(['apply', '--age-key-file', join(other, 'k')])
    await rm(other, {recursive: true, force: true})
    expect(wrong.exitCode).toBe(1)
    expect(wrong.stderr).toMatch(/manifests\/db\.yaml:\d+ data\.\S+: cannot decrypt this Secret with the identities in .*: it was not encrypted for them/)
    expect(await Promise.all(state.nodes.map((n) => podsOn(state, n.name)))).toEqual(pods)
  })

  it('mounts a signed service account token once the revision has the signing key', async () => {
    const key = await kgit(['secret', 'service-account-key', 'manifests/sa-key.yaml'])
    expect(key.exitCode, key.stderr).toBe(0)
    const tok = deploymentYaml('tok', 1, {image: 'localhost/busybox:1.35', grace: 1, command: ['sleep', '3600']})
    await commit(repo, {'manifests/tok.yaml': tok}, 'service account key')
    const r = await kgit(['apply'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(await inPod('tok', 'cat', '/var/run/secrets/kubernetes.io/serviceaccount/namespace')).toBe('default')
    const token = await inPod('tok', 'cat', '/var/run/secrets/kubernetes.io/serviceaccount/token')
    const [h, b, sig] = token.split('.')
    expect(JSON.parse(Buffer.from(b!, 'base64url').toString())).toMatchObject({sub: 'system:serviceaccount:default:default'})
    expect(verify(null, Buffer.from(`${h}.${b}`), createPublicKey(key.stdout), Buffer.from(sig!, 'base64url'))).toBe(true)
    expect((await kgit(['plan'])).stdout).toMatch(/No changes/)
  })

  it('removes the files from the node with the Secret and its pods', async () => {
    const {node, index, pod} = await podOf('vol')
    const dir = join(state.nodes[index]!.dir, 'data', 'pod-files')
    await commit(repo, {'manifests/db.yaml': null, 'manifests/vol.yaml': null, 'manifests/env.yaml': null, 'manifests/tok.yaml': null, 'manifests/sa-key.yaml': null}, 'no secret')
    const r = await kgit(['apply'])
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    expect(await onNode(node, `ls -A "${dir}"`)).not.toContain(`default_${pod}`)
    expect(await onNode(node, `grep -rl "${secret2}" "${dir}" || true`)).toBe('')
  })

  it('never showed a value: not in output, ps, or any file under HOME, TMPDIR or the repository', async () => {
    for (const v of [secret1, secret2]) {
      expect(printed.filter((p) => p.includes(v))).toEqual([])
      expect(psSeen.filter((p) => p.includes(v))).toEqual([])
      expect(await filesHolding(home, v)).toEqual([])
      expect(await filesHolding(temp, v)).toEqual([])
      expect(await filesHolding(repo, v)).toEqual([])
    }
    expect(psSeen.length).toBeGreaterThan(20)
  })
})
