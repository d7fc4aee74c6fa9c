import {execa} from 'execa'
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {shortAmount} from '../../src/cli/render-resources.js'
import {commit, kgit} from './helpers.js'

// Lab nodes are network namespaces of this machine: they report its CPUs and memory.
const repo = inject('labRepo')
let original: string

/** What the node state script should find here: online CPUs and MemTotal, lowered by a cgroup v2 limit. */
function hostCapacity(): {cpu: number; memory: number} {
  let cpu = Number(execFileSync('nproc', ['--all'], {encoding: 'utf8'}).trim()) * 1000
  let memory = Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024
  const max = existsSync('/sys/fs/cgroup/cpu.max') ? readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(' ') : []
  if (max.length === 2 && max[0] !== 'max') cpu = Math.min(cpu, Math.ceil((Number(max[0]) * 1000) / Number(max[1])))
  const mem = existsSync('/sys/fs/cgroup/memory.max') ? readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim() : 'max'
  if (mem !== 'max') memory = Math.min(memory, Number(mem))
  return {cpu, memory}
}

function row(out: string, node: string): string[] {
  return out.split('\n').find((l) => l.startsWith(`${node} `))!.split(/\s{3,}/)
}

const subjects = async (): Promise<string[]> => (await execa('git', ['log', '--format=%s', '-3'], {cwd: repo})).stdout.split('\n')

beforeAll(async () => {
  original = await readFile(join(repo, 'kgit.yaml'), 'utf8')
})

afterAll(async () => {
  if ((await readFile(join(repo, 'kgit.yaml'), 'utf8')) !== original) await commit(repo, {'kgit.yaml': original}, 'e2e: nodes as they were')
})

describe('node capacity', () => {
  it('get nodes -o wide and describe node show what the node has, read over SSH', async () => {
    const {cpu, memory} = hostCapacity()
    const wide = await kgit(repo, 'get', 'nodes', '-o', 'wide')
    expect(wide.exitCode, wide.stderr).toBe(0)
    expect(wide.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+ADDRESS\s+PODS\s+COMMIT\s+CPU\(REQ\/ALLOC\)\s+MEMORY\(REQ\/ALLOC\)\s+DATADIR\s+LABELS$/)
    const n1 = row(wide.stdout, 'n1')
    expect(n1[1]).toBe('Ready')
    expect(n1.slice(5, 7)).toEqual([`0/${shortAmount('cpu', cpu)}`, `0/${shortAmount('memory', memory)}`])
    const json = JSON.parse((await kgit(repo, 'get', 'nodes', '-o', 'json')).stdout) as {name: string; capacity: object; allocatable: object; requested: object}[]
    expect(json[0]).toMatchObject({name: 'n1', capacity: {cpu, memory, pods: 110}, allocatable: {cpu, memory, pods: 110}, requested: {pods: 0}})
    const d = await kgit(repo, 'describe', 'node', 'n1')
    expect(d.exitCode, d.stderr).toBe(0)
    const block = `  cpu:     ${cpu / 1000}\n  memory:  ${memory / 1024}Ki\n  pods:    110\n`
    expect(d.stdout).toContain(`Capacity:\n${block}Allocatable:\n${block}`)
    expect(d.stdout).toMatch(/^Unschedulable:\s+false$/m)
    expect(d.stdout).toMatch(/^Non-terminated Pods:\s+\(0 in total\)$/m)
    expect(d.stdout).toMatch(/^ {2}cpu\s+0 \(0%\)\s+0 \(0%\)$/m)
  })

  it('capacity, reserved and allocatable in kgit.yaml take the place of what the node reports', async () => {
    const {memory} = hostCapacity()
    const edited = original.replace(/(- name: n1\n(\s+)address: \S+\n)/, '$1$2capacity: {cpu: "16", memory: 64Gi}\n$2reserved: {cpu: 500m}\n')
    expect(edited).not.toBe(original)
    await commit(repo, {'kgit.yaml': edited.replace(/(- name: n2\n(\s+)address: \S+\n)/, '$1$2allocatable: {pods: 20}\n')}, 'e2e: capacity of n1')
    const wide = await kgit(repo, 'get', 'nodes', '-o', 'wide')
    expect(row(wide.stdout, 'n1').slice(5, 7)).toEqual(['0/15500m', '0/64Gi'])
    const d = await kgit(repo, 'describe', 'node', 'n1')
    expect(d.stdout).toContain('Capacity:\n  cpu:     16\n  memory:  64Gi\n  pods:    110\nAllocatable:\n  cpu:     15500m\n  memory:  64Gi\n')
    const json = JSON.parse((await kgit(repo, 'get', 'nodes', '-o', 'json')).stdout) as {allocatable: object}[]
    expect(json[1]!.allocatable).toMatchObject({pods: 20, memory})
    await commit(repo, {'kgit.yaml': original}, 'e2e: capacity as reported')
  })
})

describe('kgit cordon, uncordon and drain', () => {
  it('cordon commits unschedulable: true and get nodes shows SchedulingDisabled; uncordon reverts', async () => {
    const c = await kgit(repo, 'cordon', 'n1')
    expect(c.exitCode, c.stderr).toBe(0)
    expect(c.stdout).toMatch(/^node\/n1 cordoned: committed [0-9a-f]{12} on \S+ \(kgit\.yaml\)$/m)
    expect((await subjects())[0]).toBe('kgit cordon n1')
    expect(row((await kgit(repo, 'get', 'nodes')).stdout, 'n1')[1]).toBe('Ready,SchedulingDisabled')
    expect(row((await kgit(repo, 'get', 'nodes')).stdout, 'n2')[1]).toBe('Ready')
    expect((await kgit(repo, 'describe', 'node', 'n1')).stdout).toMatch(/^Unschedulable:\s+true$/m)
    const again = await kgit(repo, 'cordon', 'n1')
    expect([again.exitCode, again.stdout.trim()]).toEqual([0, 'node n1 is already cordoned'])
    const u = await kgit(repo, 'uncordon', 'n1')
    expect(u.exitCode, u.stderr).toBe(0)
    expect((await subjects())[0]).toBe('kgit uncordon n1')
    expect(await readFile(join(repo, 'kgit.yaml'), 'utf8')).toBe(original)
    expect(row((await kgit(repo, 'get', 'nodes')).stdout, 'n1')[1]).toBe('Ready')
  })

  it('drain commits and applies; unknown nodes and an edited kgit.yaml are refused', async () => {
    const d = await kgit(repo, 'drain', 'n2')
    expect(d.exitCode, d.stderr + d.stdout).toBe(0)
    expect(d.stdout).toMatch(/^node\/n2 drained: committed [0-9a-f]{12}/m)
    expect((await subjects())[0]).toBe('kgit drain n2')
    expect((await kgit(repo, 'describe', 'node', 'n2')).stdout).toMatch(/^Unschedulable:\s+true \(drained/m)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
    const unknown = await kgit(repo, 'cordon', 'n9')
    expect(unknown.exitCode).toBe(1)
    expect(unknown.stderr).toContain('node "n9" is not in kgit.yaml (nodes: n1, n2, n3)')
    await writeFile(join(repo, 'kgit.yaml'), (await readFile(join(repo, 'kgit.yaml'), 'utf8')) + '# edit under way\n')
    const dirty = await kgit(repo, 'uncordon', 'n2')
    expect(dirty.exitCode).toBe(1)
    expect(dirty.stderr).toContain('kgit.yaml has uncommitted changes: commit or stash them first (kgit uncordon commits that file)')
    await execa('git', ['checkout', '--', 'kgit.yaml'], {cwd: repo})
    expect((await kgit(repo, 'uncordon', 'n2')).exitCode).toBe(0)
    expect(await readFile(join(repo, 'kgit.yaml'), 'utf8')).toBe(original)
  })
})
