import {execa} from 'execa'
import {mkdir, mkdtemp, rm, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {nodeState} from '../../src/engine/facts/node-state.js'

// The node state script, run by bash against a fake `podman` that counts its calls.
let dir: string
let bin: string

async function run(): Promise<{out: ReturnType<ReturnType<typeof nodeState>['parse']>; calls: number}> {
  const f = nodeState(join(dir, 'data'), 'label=kgit.dev/managed=true')
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
  await writeFile(join(bin, 'podman'), `#!/bin/sh\necho "$@" >> ${dir}/calls\nif [ "$1" = info ]; then echo ${dir}/graph; exit 0; fi\ncat ${dir}/ps.json\n`, {mode: 0o755})
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
})
