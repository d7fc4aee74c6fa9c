import {readFile, writeFile, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stringify} from 'yaml'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {deploymentYaml} from '../support/manifests.js'
import {commit, kgit, lab, podCounts, podman} from './helpers.js'

const repo = inject('labRepo')
let state: LabState
let scratch: string

const HOSTILE: Record<string, string> = {
  SUBST: '$(touch /tmp/kgit-pwned)',
  BACKTICK: '`touch /tmp/kgit-pwned2`',
  QUOTES: `it's "quoted" \\ back`,
  SPACES: '  two  spaces  ',
  NEWLINES: 'line1\nline2\n',
  SEMI: 'a; rm -rf / ; b && c || d | e > f',
  GLOB: '* ? [a-z] ~ $HOME ${PATH}',
}

function hostilePod(): string {
  const args = Object.values(HOSTILE)
  const script = [
    // `$$` is Kubernetes' escape for `$` in command and args: `$$$$v` reaches the shell as `$$v`.
    'for v in ' + Object.keys(HOSTILE).join(' ') + '; do eval "printf %s \\"\\$$$$v\\"" > /tmp/env.$v; done',
    'i=0; for a in "$@"; do printf %s "$a" > /tmp/arg.$i; i=$((i+1)); done',
    'exec sleep 3600',
  ].join('\n')
  return stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name: 'hostile'},
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{name: 'main', image: 'localhost/busybox:1.35', command: ['sh', '-c', script, 'sh'], args, env: Object.entries(HOSTILE).map(([name, value]) => ({name, value}))}],
    },
  })
}

beforeAll(async () => {
  state = await lab(inject('labName'))
  scratch = await mkdtemp(join(tmpdir(), 'kgit-e2e-safety-'))
})

afterAll(async () => {
  await rm(scratch, {recursive: true, force: true})
  await commit(repo, {manifests: null, 'manifests/.gitkeep': ''}, 'e2e: clean up')
  await kgit(repo, 'apply')
})

describe('safety', () => {
  it('delivers env values and args to the container byte for byte, running none of them', async () => {
    await commit(repo, {'manifests/hostile.yaml': hostilePod()})
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    const node = state.nodes.find((n) => n.name)!
    let where = ''
    for (const n of state.nodes) if ((await podman(state, n.name, 'ps', '--format', '{{.Names}}')).includes('default_hostile_main')) where = n.name
    expect(where).not.toBe('')
    await new Promise((res) => setTimeout(res, 500))
    for (const [name, value] of Object.entries(HOSTILE)) {
      expect(await podman(state, where, 'exec', 'default_hostile_main', 'cat', `/tmp/env.${name}`)).toBe(value)
    }
    for (const [i, value] of Object.values(HOSTILE).entries()) {
      expect(await podman(state, where, 'exec', 'default_hostile_main', 'cat', `/tmp/arg.${i}`)).toBe(value)
    }
    // Nothing was run by a shell, on the node or in the container.
    const ls = await podman(state, where, 'exec', 'default_hostile_main', 'ls', '/tmp')
    expect(ls).not.toContain('kgit-pwned')
    expect(node).toBeDefined()
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('reports an unreachable node by name and still converges the others', async () => {
    const cluster = await readFile(join(repo, 'kgit.yaml'), 'utf8')
    const n1 = state.nodes[0]!
    // A node whose sshd does not listen: the port is closed, the key is pinned.
    const ghost = cluster.replace(/\n {2}nodes:\n/, `\n  nodes:\n    - name: ghost\n      address: ${n1.address}\n      port: 2222\n`)
    const knownHosts = await readFile(join(repo, 'known_hosts'), 'utf8')
    const n1Key = knownHosts.split('\n').find((l) => l.startsWith(n1.address + ' '))!.split(' ').slice(1).join(' ')
    await commit(repo, {'known_hosts': knownHosts + `[${n1.address}]:2222 ${n1Key}\n`, 'manifests/more.yaml': deploymentYaml('another', 1, {image: 'localhost/busybox:1.35', command: ['sleep', '3600'], grace: 1})})
    const file = join(scratch, 'ghost.yaml')
    await writeFile(file, ghost)
    const r = await kgit(repo, 'apply', '--cluster', file)
    expect(r.exitCode).toBe(1)
    expect(r.stderr).toContain(`error: node ghost is unreachable: connection refused by ${n1.address}:2222 (is sshd running there?)`)
    expect(r.stdout).toContain('1 created')
    expect((await podCounts(state)).reduce((a, b) => a + b)).toBe(2)
  })

  it('refuses a node whose host key does not match known_hosts, and applies nothing there', async () => {
    const cluster = await readFile(join(repo, 'kgit.yaml'), 'utf8')
    const knownHosts = await readFile(join(repo, 'known_hosts'), 'utf8')
    const lines = knownHosts.trim().split('\n')
    // Swap the keys of n1 and n2: each node now presents a key pinned for another.
    const [a, b] = [lines[0]!.split(' '), lines[1]!.split(' ')]
    const swapped = [[a[0], ...b.slice(1)].join(' '), [b[0], ...a.slice(1)].join(' '), ...lines.slice(2)].join('\n') + '\n'
    const khFile = join(scratch, 'known_hosts.bad')
    await writeFile(khFile, swapped)
    const file = join(scratch, 'badkeys.yaml')
    await writeFile(file, cluster.replace(/knownHostsFile: .*/, `knownHostsFile: ${khFile}`))
    await commit(repo, {'manifests/third.yaml': hostilePod().replace('name: hostile', 'name: third')})
    const before = await podCounts(state)
    const r = await kgit(repo, 'plan', '--cluster', file)
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(new RegExp(`node n1: unreachable: HOST KEY MISMATCH for ${state.nodes[0]!.address.replaceAll('.', '\\.')}: it presented ssh-ed25519 SHA256:`))
    expect(r.stdout).toMatch(/node n2: unreachable: HOST KEY MISMATCH/)
    expect(await podCounts(state)).toEqual(before)
  })
})
