import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {LOCK_HELD_EXIT, LOCK_HELD_MARK, describeHolder, lock, parseHolder} from '../../src/engine/argv/lock.js'
import {LocalTransport} from '../../src/engine/exec/local-transport.js'
import {lockedError} from '../../src/engine/exec/cluster-lock.js'
import {parseDuration} from '../../src/cli/duration.js'

let base: string
const t = new LocalTransport('local')
const holder = JSON.stringify({user: 'root', host: 'h1', pid: 42, command: 'kgit apply', revision: 'abcdef1234567890', since: '2026-11-26T00:00:00Z'})

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'kgit lock $(x) `y` '))
})
afterAll(async () => {
  await rm(base, {recursive: true, force: true})
})

describe('the node lock scripts (run by a real shell)', () => {
  it('lets exactly one run take the lock, shows the holder to the other, and releases only with the token', async () => {
    const dir = join(base, "data dir 'quoted'")
    expect((await t.exec([lock.acquire(dir, 'tok-1', holder)])).exitCode).toBe(0)
    const second = await t.exec([lock.acquire(dir, 'tok-2', '{}')])
    expect(second.exitCode).toBe(LOCK_HELD_EXIT)
    expect(second.stdout).toBe(`${LOCK_HELD_MARK}\n${holder}`)
    await t.exec([lock.release(dir, 'tok-2')])
    expect((await t.exec([lock.read(dir)])).stdout).toBe(holder)
    await t.exec([lock.release(dir, 'tok-1')])
    expect((await t.exec([lock.read(dir)])).stdout).toBe('')
    expect((await t.exec([lock.acquire(dir, 'tok-2', '{}')])).exitCode).toBe(0)
  })

  it('waits a moment for the holder file of a run that has just taken the lock', async () => {
    const dir = join(base, 'fresh')
    const {mkdir, writeFile} = await import('node:fs/promises')
    await mkdir(join(dir, 'lock'), {recursive: true})
    setTimeout(() => void writeFile(join(dir, 'lock', 'holder'), holder), 200)
    const r = await t.exec([lock.acquire(dir, 'tok', '{}')])
    expect(r.exitCode).toBe(LOCK_HELD_EXIT)
    expect(r.stdout).toBe(`${LOCK_HELD_MARK}\n${holder}`)
  })

  it('names the known holder when another node still showed an empty holder file', () => {
    const h = parseHolder(holder)
    const msg = lockedError([{node: 'n1'}, {node: 'n2', holder: h}, {node: 'n3', holder: h}], 0).message
    expect(msg).toBe('the cluster is locked by root@h1 pid 42 (kgit apply of abcdef123456, since 2026-11-26T00:00:00Z) on node(s) n1, n2, n3; wait for that run, retry with --lock-timeout 5m, or if it is gone: kgit unlock')
    expect(lockedError([{node: 'n1'}], 0).message).toContain('locked by an unknown holder on node(s) n1')
  })

  it('breaks a lock and says whose it was', async () => {
    const dir = join(base, 'b')
    await t.exec([lock.acquire(dir, 'tok', holder)])
    expect((await t.exec([lock.break(dir)])).stdout).toBe(holder)
    expect((await t.exec([lock.acquire(dir, 'tok-3', holder)])).exitCode).toBe(0)
  })

  it('describes holders and parses durations', () => {
    expect(describeHolder(parseHolder(holder))).toBe('root@h1 pid 42 (kgit apply of abcdef123456, since 2026-11-26T00:00:00Z)')
    expect(describeHolder(parseHolder(''))).toBe('an unknown holder')
    expect([parseDuration('0', 'f'), parseDuration('30s', 'f'), parseDuration('5m', 'f'), parseDuration('2', 'f'), parseDuration('250ms', 'f')]).toEqual([0, 30_000, 300_000, 2000, 250])
    expect(() => parseDuration('soon', '--lock-timeout')).toThrow('--lock-timeout soon: expected a duration such as 0, 30s, 5m or 1h')
  })
})
