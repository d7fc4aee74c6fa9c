import {execa} from 'execa'
import {readFileSync} from 'node:fs'
import {mkdir, mkdtemp, rm, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {nodeState} from '../../src/engine/facts/node-state.js'

// The node state script, run by bash against a fake `podman` that counts its calls.
let dir: string
let bin: string

async function run(sysRoot = ''): Promise<{out: ReturnType<ReturnType<typeof nodeState>['parse']>; calls: number}> {
  const f = nodeState(join(dir, 'data'), 'label=kgit.dev/managed=true', sysRoot)
  const r = await execa(f.argv[0]!, f.argv.slice(1), {env: {PATH: `${bin}:${process.env.PATH}`}})
  const calls = Number((await execa('sh', ['-c', `cat ${dir}/calls 2>/dev/null | wc -l`])).stdout.trim())
  return {out: f.parse(r.stdout), calls}
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kgit-node-state-'))
  bin = join(dir, 'bin')
  await mkdir(bin)
  await mkdir(join(dir, 'graph', 'libpod'), {recursive: true})
  await writeFile(join(dir, 'graph', 'libpod', 'bolt_state.db'), '')
  await writeFile(join(bin, 'podman'), `#!/bin/sh\necho "$@" >> ${dir}/calls\nif [ "$1" = info ]; then echo ${dir}/graph; exit 0; fi\nif [ "$1 $2" = "ps -aq" ]; then echo c1; exit 0; fi\nif [ "$1 $2" = "container inspect" ]; then cat ${dir}/restarts; exit 0; fi\ncat ${dir}/ps.json\n`, {mode: 0o755})
  await writeFile(join(dir, 'ps.json'), `[\n  {\n    "Id": "c1",\n    "Pid": ${process.pid},\n    "State": "running"\n  }\n]`)
  await mkdir(join(dir, 'data', 'ids'), {recursive: true})
  // podman writes ID files without a final newline.
  await writeFile(join(dir, 'data', 'ids', 'default_web-1.pod'), 'p1')
})

afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('node state script', () => {
  it('reads kgit files and runs podman ps once, then answers from its cache while the database is unchanged', async () => {
    const first = await run()
    expect(first.out.files.podIds.get('default_web-1')).toBe('p1')
    expect(first.out.containers).toEqual([{Id: 'c1', Pid: process.pid, State: 'running'}])
    const second = await run()
    expect(second.out.containers).toEqual(first.out.containers)
    expect(second.calls).toBe(first.calls)
  })

  it('asks podman again when its database changed, or a container it listed as running has no process', async () => {
    const db = join(dir, 'graph', 'libpod', 'bolt_state.db')
    const before = (await run()).calls
    await utimes(db, new Date(Date.now() + 5000), new Date(Date.now() + 5000))
    expect((await run()).calls).toBe(before + 1)
    await writeFile(join(dir, 'ps.json'), `[\n  {\n    "Id": "c1",\n    "Pid": 999999,\n    "State": "running"\n  }\n]`)
    await utimes(db, new Date(Date.now() + 10_000), new Date(Date.now() + 10_000))
    const n = (await run()).calls
    // The database is old again, but the cached answer names a process that is gone.
    await utimes(db, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
    expect((await run()).calls).toBe(n + 1)
    await writeFile(join(dir, 'ps.json'), `[\n  {\n    "Id": "c1",\n    "Pid": ${process.pid},\n    "State": "running"\n  }\n]`)
    expect((await run()).calls).toBe(n + 2)
    expect((await run()).calls).toBe(n + 2)
  })

  it('asks restart counts (on-failure containers) with a fresh podman ps only, and keeps them with its cache', async () => {
    const db = join(dir, 'graph', 'libpod', 'bolt_state.db')
    // The database written after the cache (a time to come), then old again (the cache is newer).
    const changed = () => utimes(db, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000))
    const settled = () => utimes(db, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
    await writeFile(join(dir, 'ps.json'), `[\n  {\n    "Id": "c1",\n    "Pid": ${process.pid},\n    "State": "running",\n    "Labels": {\n      "kgit.dev/restart": "on-failure"\n    }\n  }\n]`)
    await writeFile(join(dir, 'restarts'), '@@kgit-restarts@@ c1 2\n')
    const before = (await run()).calls
    await changed()
    const fresh = await run()
    // podman ps, ps -aq and container inspect.
    expect(fresh.calls).toBe(before + 3)
    expect(fresh.out.restarts).toEqual(new Map([['c1', 2]]))
    await settled()
    // Unchanged database: no podman at all, the same counts.
    await writeFile(join(dir, 'restarts'), '@@kgit-restarts@@ c1 5\n')
    const cached = await run()
    expect(cached.calls).toBe(before + 3)
    expect(cached.out.restarts).toEqual(new Map([['c1', 2]]))
    // A restart writes the database: asked again.
    await changed()
    const restarted = await run()
    expect(restarted.calls).toBe(before + 6)
    expect(restarted.out.restarts).toEqual(new Map([['c1', 5]]))
    await settled()
  })

  it('reports the online CPUs and MemTotal of this machine', async () => {
    const {out} = await run()
    const nproc = Number((await execa('nproc', ['--all'])).stdout.trim())
    const memKb = Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1])
    // A cgroup v2 limit on this machine's root cgroup would lower both; none on a host.
    expect(out.capacity!.cpu).toBeLessThanOrEqual(nproc * 1000)
    expect(out.capacity!.cpu).toBeGreaterThan(0)
    expect(out.capacity!.memory).toBeLessThanOrEqual(memKb * 1024)
    expect(out.capacity!.memory).toBeGreaterThan(0)
    expect(out.files.now).toBeGreaterThan(0)
  })

  it('counts CPU ranges, falls back to /proc/cpuinfo, and honours cgroup v2 cpu.max and memory.max', async () => {
    const root = join(dir, 'root')
    const put = async (path: string, text: string): Promise<void> => {
      await mkdir(join(root, path, '..'), {recursive: true})
      await writeFile(join(root, path), text)
    }
    await put('proc/meminfo', 'MemTotal:        4005888 kB\nMemFree:  1 kB\n')
    await put('sys/devices/system/cpu/online', '0-3,8-11,16\n')
    expect((await run(root)).out.capacity).toEqual({cpu: 9000, memory: 4005888 * 1024})
    await rm(join(root, 'sys/devices/system/cpu/online'))
    await put('proc/cpuinfo', 'processor\t: 0\nmodel name\t: x\n\nprocessor\t: 1\nmodel name\t: x\n')
    expect((await run(root)).out.capacity).toEqual({cpu: 2000, memory: 4005888 * 1024})
    await put('sys/fs/cgroup/cpu.max', '150000 100000\n')
    await put('sys/fs/cgroup/memory.max', '1073741824\n')
    expect((await run(root)).out.capacity).toEqual({cpu: 1500, memory: 1073741824})
    await put('sys/fs/cgroup/cpu.max', 'max 100000\n')
    await put('sys/fs/cgroup/memory.max', 'max\n')
    expect((await run(root)).out.capacity).toEqual({cpu: 2000, memory: 4005888 * 1024})
    await rm(join(root, 'proc'), {recursive: true})
    const r = await run(root)
    expect(r.out.capacity).toBeUndefined()
    expect(r.out.files.podIds.get('default_web-1')).toBe('p1')
  })
})
