import {describe, expect, it} from 'vitest'
import {applyActions, type ApplyEvent} from '../../src/engine/exec/apply.js'
import type {ExecOptions, ExecResult, Transport} from '../../src/engine/exec/transport.js'
import {plan} from '../../src/engine/plan/plan.js'
import {deployment, desired, FakeFleet, pod} from './plan-helpers.js'

/** Records every command; fails the ones `failWhen` picks. */
class RecordingTransport implements Transport {
  calls: string[][][] = []
  constructor(
    readonly node: string,
    private readonly failWhen: (steps: readonly (readonly string[])[]) => boolean = () => false,
  ) {}
  async exec(steps: readonly (readonly string[])[], _opts?: ExecOptions): Promise<ExecResult> {
    this.calls.push(steps.map((s) => [...s]))
    await new Promise((r) => setTimeout(r, 1))
    // Like podman: `pod create` prints the new pod's ID before a later step fails.
    const podId = steps.some((s) => s[1] === 'pod' && s[2] === 'create') ? 'ab'.repeat(32) + '\n' : ''
    return this.failWhen(steps) ? {stdout: podId, stderr: 'Error: image not known\n', exitCode: 125} : {stdout: podId, stderr: '', exitCode: 0}
  }
  async close(): Promise<void> {}
}

function handles(t: Transport): Map<string, {transport: Transport; dataDir: string}> {
  return new Map([[t.node, {transport: t, dataDir: '/d'}]])
}

describe('applyActions', () => {
  it('removes before it starts on each node, one round trip per pod', async () => {
    const fleet = new FakeFleet(1)
    const first = plan(desired(1, deployment('web', 1), pod('a')), fleet.observed())
    fleet.apply(first.actions)
    const p = plan(desired(1, deployment('web', 1), pod('a', 'busybox:1.36')), fleet.observed())
    const t = new RecordingTransport('n1')
    const res = await applyActions(p.actions, handles(t))
    expect(res.failed).toEqual([])
    expect(t.calls.map((c) => c.map((s) => (s[0] === 'sh' ? s[3] : s.slice(1, 3).join(' '))))).toEqual([
      ['kgit-pod-files', 'pod rm', 'volume prune'],
      ['kgit-pod-prepare', 'pod create', 'run --detach'],
    ])
  })

  it('reports a failed start with node and reason, removes the half-made pod, and goes on', async () => {
    const p = plan(desired(2, pod('good'), pod('bad', 'nope:1')), new FakeFleet(2).observed())
    const fails = (steps: readonly (readonly string[])[]) => steps.some((s) => s.includes('nope:1'))
    const ts = new Map([['n1', new RecordingTransport('n1', fails)], ['n2', new RecordingTransport('n2', fails)]])
    const events: ApplyEvent[] = []
    const res = await applyActions(p.actions, new Map([...ts].map(([n, t]) => [n, {transport: t, dataDir: '/d'}])), (e) => events.push(e))
    expect(res.done.map((a) => a.type !== 'delete' && a.pod.name)).toEqual(['good'])
    expect(res.failed).toHaveLength(1)
    const err = res.failed[0]!.error
    expect(err.message).toMatch(/^failed to start pod default\/bad on node n\d: exit 125 \(Error: image not known\)$/)
    const node = res.failed[0]!.action.node
    const calls = (ts.get(node) as RecordingTransport).calls
    expect(calls.at(-1)?.[1]).toEqual(['podman', 'pod', 'rm', '--force', '--time', '0', 'ab'.repeat(32)])
    expect(events.map((e) => e.type).sort()).toEqual(['done', 'failed', 'start', 'start'])
  })

  it('removes nothing when the pod could not even be created (the name may be someone else’s)', async () => {
    const p = plan(desired(1, pod('taken')), new FakeFleet(1).observed())
    const t = new RecordingTransport('n1', () => true)
    t.exec = async (steps) => {
      t.calls.push(steps.map((s) => [...s]))
      return {stdout: '', stderr: 'Error: name "default_taken" is in use\n', exitCode: 125}
    }
    const res = await applyActions(p.actions, handles(t))
    expect(res.failed).toHaveLength(1)
    expect(t.calls).toHaveLength(1)
  })

  it('fails the actions of a node it has no connection to', async () => {
    const p = plan(desired(1, pod('solo')), new FakeFleet(1).observed())
    const res = await applyActions(p.actions, new Map())
    expect(res.failed.map((f) => f.error.message)).toEqual(['no connection to node n1'])
  })
})
