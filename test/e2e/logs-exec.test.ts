import {execa} from 'execa'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {labTransport, type LabState} from '../../src/engine/exec/lab/index.js'
import {commit, kgit, lab} from './helpers.js'

const repo = inject('labRepo')
const BIN = new URL('../../bin/run.js', import.meta.url).pathname
let state: LabState

const TICKER = 'echo hello; i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done'

// Spec order (talk, aux) is not alphabetical: the default must come from the revision.
const POD = `apiVersion: v1
kind: Pod
metadata: {name: talker, namespace: default}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - {name: talk, image: localhost/busybox:1.35, command: [sh, -c, '${TICKER}']}
    - {name: aux, image: localhost/busybox:1.35, command: [sh, -c, 'echo aux-hello; exec sleep 3600']}
`

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: echoer, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: echoer}}
  template:
    metadata:
      labels: {app: echoer}
      annotations: {kubectl.kubernetes.io/default-container: side}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - {name: main, image: localhost/busybox:1.35, command: [sleep, '3600']}
        - {name: side, image: localhost/busybox:1.35, command: [sh, -c, 'echo side-hello; exec sleep 3600']}
`

async function nodeOf(pod: string): Promise<string> {
  const r = await kgit(repo, 'get', 'pods', '-o', 'wide')
  const lines = r.stdout.split('\n')
  const row = lines.find((l) => l.startsWith(pod + ' '))
  if (!row) throw new Error(`pod ${pod} not listed:\n${r.stdout}`)
  return row.split(/\s+/)[lines[0]!.split(/\s+/).indexOf('NODE')]!
}

/** podman logs processes still running for the container (the nodes share this machine's process table). */
async function logProcesses(container: string): Promise<string> {
  const r = await labTransport(state, 'n1').exec([['pgrep', '-af', `podman logs --follow .*${container}$`]])
  return r.stdout.trim()
}

beforeAll(async () => {
  state = await lab(inject('labName'))
  await commit(repo, {'manifests/talker.yaml': POD, 'manifests/echoer.yaml': DEPLOYMENT}, 'e2e: talker and echoer')
  const r = await kgit(repo, 'apply')
  expect(r.exitCode, r.stderr + r.stdout).toBe(0)
  // Let the ticker say a few lines.
  await new Promise((res) => setTimeout(res, 2500))
})

afterAll(async () => {
  await commit(repo, {manifests: null, 'manifests/.gitkeep': ''}, 'e2e: clean up')
  await kgit(repo, 'apply')
})

describe('kgit logs over SSH', () => {
  it("prints the first container's lines (spec order) with kubectl's note", async () => {
    const r = await kgit(repo, 'logs', 'talker')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^hello\ntick 0\ntick 1\n/)
    expect(r.stderr).toBe('Defaulted container "talk" out of: talk, aux')
  })

  it('-c picks the container, and --tail 1 gives one line', async () => {
    const aux = await kgit(repo, 'logs', 'talker', '-c', 'aux')
    expect([aux.exitCode, aux.stdout, aux.stderr]).toEqual([0, 'aux-hello', ''])
    const tail = await kgit(repo, 'logs', 'pod/talker', '-c', 'talk', '--tail', '1')
    expect(tail.exitCode, tail.stderr).toBe(0)
    expect(tail.stdout).toMatch(/^tick \d+$/)
  })

  it('--timestamps prefixes lines, --since leaves the old ones out', async () => {
    const ts = await kgit(repo, 'logs', 'talker', '-c', 'aux', '--timestamps')
    expect(ts.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+ aux-hello$/)
    await new Promise((res) => setTimeout(res, 1500))
    const since = await kgit(repo, 'logs', 'talker', '-c', 'aux', '--since', '1s')
    expect([since.exitCode, since.stdout]).toEqual([0, ''])
  })

  it('-f streams new lines and leaves no podman logs behind on the node when stopped', async () => {
    const child = execa('node', [BIN, 'logs', '-f', 'talker', '-c', 'talk', '--tail', '0'], {cwd: repo, reject: false, env: {NO_COLOR: '1'}})
    const seen: number[] = []
    let text = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no streamed lines in 20 s: ${JSON.stringify(text)}`)), 20_000)
      child.stdout!.on('data', (d: Buffer) => {
        text += d.toString()
        for (const m of text.matchAll(/tick (\d+)\n/g)) if (!seen.includes(Number(m[1]))) seen.push(Number(m[1]))
        if (seen.length >= 2) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    expect(seen[1]).toBe(seen[0]! + 1)
    expect(await logProcesses('default_talker_talk')).not.toBe('')
    child.kill('SIGTERM')
    const r = await child
    expect(r.exitCode).toBe(143)
    let left = 'unchecked'
    for (let i = 0; i < 20 && left !== ''; i++) {
      left = await logProcesses('default_talker_talk')
      if (left !== '') await new Promise((res) => setTimeout(res, 250))
    }
    expect(left).toBe('')
  })

  it('-f into a reader that goes away (| head -1) ends, and stops the podman logs on the node', async () => {
    const r = await execa('sh', ['-c', `node ${BIN} logs -f talker -c talk | head -1`], {cwd: repo, reject: false, timeout: 60_000, env: {NO_COLOR: '1'}})
    expect([r.exitCode, r.stdout]).toEqual([0, 'hello'])
    let left = 'unchecked'
    for (let i = 0; i < 40 && left !== ''; i++) {
      left = await logProcesses('default_talker_talk')
      if (left !== '') await new Promise((res) => setTimeout(res, 250))
    }
    expect(left).toBe('')
  })

  it('deployment/NAME uses one of its pods and its default-container annotation, silently', async () => {
    const r = await kgit(repo, 'logs', 'deployment/echoer')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toBe('side-hello')
    expect(r.stderr).toMatch(/^Found 2 pods, using pod\/echoer-[a-z0-9]+-[a-z0-9]+$/)
  })

  it('refuses --previous, and names the valid containers or the missing pod', async () => {
    const p = await kgit(repo, 'logs', '-p', 'talker')
    expect([p.exitCode, p.stderr]).toEqual([1, expect.stringContaining('error: --previous is not available with podman')])
    const c = await kgit(repo, 'logs', 'talker', '-c', 'db')
    expect([c.exitCode, c.stderr]).toEqual([1, 'error: container "db" is not valid for pod "talker" in namespace "default": choose one of: talk, aux'])
    const n = await kgit(repo, 'logs', 'nope', '-n', 'shop')
    expect([n.exitCode, n.stderr]).toEqual([1, 'Error from server (NotFound): pods "nope" not found in namespace "shop"'])
  })
})

describe('kgit exec over SSH', () => {
  it("returns the command's exit code, as kubectl says it", async () => {
    const r = await kgit(repo, 'exec', 'talker', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3')
    expect(r.exitCode).toBe(3)
    expect(r.stdout).toBe('out')
    expect(r.stderr).toBe('Defaulted container "talk" out of: talk, aux\nerr\ncommand terminated with exit code 3')
  })

  it('passes argv words as they are, and stdin with -i', async () => {
    const words = ['$(id)', '`id`', "it's", 'a b', 'x\ny']
    const p = await kgit(repo, 'exec', 'talker', '-c', 'aux', '--', 'printf', '%s|', ...words)
    expect([p.exitCode, p.stdout]).toEqual([0, words.map((w) => w + '|').join('')])
    const cat = await execa('node', [BIN, 'exec', '-i', 'talker', '-c', 'aux', '--', 'cat'], {cwd: repo, reject: false, input: 'piped\nthrough\n', env: {NO_COLOR: '1'}})
    expect([cat.exitCode, cat.stdout, cat.stderr]).toEqual([0, 'piped\nthrough', ''])
    const noInput = await execa('node', [BIN, 'exec', 'talker', '-c', 'aux', '--', 'cat'], {cwd: repo, reject: false, input: 'ignored\n', env: {NO_COLOR: '1'}})
    expect([noInput.exitCode, noInput.stdout]).toEqual([0, ''])
  })

  it('-t without a local terminal warns and runs on pipes', async () => {
    const r = await execa('node', [BIN, 'exec', '-it', 'talker', '-c', 'aux', '--', 'sh', '-c', 'test -t 0 && echo tty || echo pipes'], {cwd: repo, reject: false, input: '', env: {NO_COLOR: '1'}})
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, 'pipes', 'Unable to use a TTY - input is not a terminal or the right kind of file'])
  })

  it('needs -- and a command', async () => {
    const a = await kgit(repo, 'exec', 'talker', 'ls')
    expect([a.exitCode, a.stderr]).toEqual([1, expect.stringContaining('error: the command to run goes after --: kgit exec POD')])
    const b = await kgit(repo, 'exec', 'talker', '--')
    expect([b.exitCode, b.stderr]).toEqual([1, expect.stringContaining('error: nothing after --')])
  })

  it('runs on the node that has the pod, and leaves the cluster as it was', async () => {
    const node = await nodeOf('talker')
    const r = await kgit(repo, 'exec', 'talker', '-c', 'aux', '--', 'hostname')
    expect([r.exitCode, r.stdout]).toEqual([0, 'talker'])
    expect(state.nodes.map((n) => n.name)).toContain(node)
    expect((await kgit(repo, 'plan', '--detailed-exitcode')).exitCode).toBe(0)
  })

  it("names the unreachable node when the pod is not found elsewhere", async () => {
    const node = await nodeOf('talker')
    const cluster = (await readFile(join(repo, 'kgit.yaml'), 'utf8')).replace(/(- name: (\S+)\n\s+address: \S+)/g, (all, head: string, name: string) => (name === node ? `${head}\n      port: 1` : all))
    const file = join(repo, '..', 'unreachable.yaml')
    await writeFile(file, cluster)
    const r = await kgit(repo, 'logs', 'talker', '--cluster', file)
    expect(r.exitCode).toBe(1)
    expect(r.stderr.split('\n')).toEqual(['Error from server (NotFound): pods "talker" not found in namespace "default"', expect.stringMatching(new RegExp(`^error: node ${node} is unreachable: .+; the pod may be running there$`))])
  })

  it('a deleted pod is not found', async () => {
    await commit(repo, {'manifests/talker.yaml': null}, 'e2e: talker goes')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    for (const args of [['logs', 'talker'], ['exec', 'talker', '--', 'true']]) {
      const r = await kgit(repo, ...args)
      expect([r.exitCode, r.stderr]).toEqual([1, 'Error from server (NotFound): pods "talker" not found in namespace "default"'])
    }
  })
})
