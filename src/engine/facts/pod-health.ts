import {podmanContainerName, podmanPodName} from '../marks.js'
import type {ObservedPod} from '../types.js'
import type {NodeFiles} from './node-files.js'

/** A probe as recorded on the pod (label kgit.dev/probes). */
export interface ProbeMark {
  c: string
  k: 'ready' | 'live'
  p: number
  t: number
}

/** The liveness loop's message while it restarts a container (templates/node/kgit-probe.sh). */
const RESTARTING = 'restarting the container'
/** A restart that has not finished in this long (past the grace period) is not one any more. */
const RESTART_WINDOW_SECONDS = 120
const RESTARTED = 'container restarted'
const JUST_RESTARTED_SECONDS = 10

/** A probe loop that has not written for this long (past its period) is gone. */
const STALE_SLACK_SECONDS = 15

/**
 * Readiness and drift of one pod, from its containers and kgit's files on the node.
 * `clock` maps the node's seconds to this machine's milliseconds.
 */
export function assessPod(pod: ObservedPod, probes: ProbeMark[], files: NodeFiles, clock: (nodeSeconds: number) => number): void {
  const podName = podmanPodName(pod.namespace, pod.name)
  const drift: string[] = []
  const recorded = files.podIds.get(podName)
  if (recorded !== pod.podmanName) drift.push(recorded ? `pod ${podName} is not the one kgit created (ID ${short(pod.podmanName)}, kgit created ${short(recorded)})` : `pod ${podName} was not created by kgit (no ID recorded under the node's dataDir)`)
  for (const c of pod.containers) {
    const id = files.containerIds.get(c.container)
    if (c.id && id !== c.id) drift.push(`container ${c.name} was replaced by hand (ID ${short(c.id)}${id ? `, kgit started ${short(id)}` : ''})`)
  }
  let readySince = 0
  let notReady: string | undefined
  for (const c of pod.containers) {
    c.ready = c.state === 'running'
    if (c.state !== 'running') notReady ??= `container ${c.name} is ${c.state}${c.exitCode !== undefined && c.state === 'exited' ? ` (exit code ${c.exitCode})` : ''}`
    else if (c.startedAt) readySince = Math.max(readySince, clock(c.startedAt))
  }
  if (pod.containers.length === 0) notReady ??= 'no containers'
  let restarts = 0
  for (const m of probes) {
    const state = files.probes.get(`${podmanContainerName(pod.namespace, pod.name, m.c)}.${m.k}`)
    const what = m.k === 'ready' ? 'readiness' : 'liveness'
    if (!state || state.token !== pod.podmanName) {
      drift.push(`the ${what} probe of container ${m.c} is not running`)
      if (m.k === 'ready') {
        notReady ??= `the readiness probe of container ${m.c} is not running`
        const c = pod.containers.find((x) => x.name === m.c)
        if (c) c.ready = false
      }
      continue
    }
    restarts += state.restarts
    const restarting = state.status === 'fail' && state.message.endsWith(RESTARTING) && files.now - state.lastRun < RESTART_WINDOW_SECONDS
    // Restarted a moment ago: podman's answer, read just before, may still show it stopped.
    const justRestarted = state.status === 'ok' && state.message.endsWith(RESTARTED) && files.now - state.since < JUST_RESTARTED_SECONDS
    if (m.k === 'live' && (restarting || justRestarted)) {
      const c = pod.containers.find((x) => x.name === m.c)
      if (c) c.restarting = true
    }
    if (files.now - state.lastRun > 3 * m.p + m.t + STALE_SLACK_SECONDS) drift.push(`the ${what} probe of container ${m.c} stopped (last ran ${files.now - state.lastRun}s ago)`)
    if (m.k !== 'ready') continue
    if (state.status === 'ok') readySince = Math.max(readySince, clock(state.since))
    else {
      notReady ??= `container ${m.c}: ${state.message || 'readiness probe failing'}`
      const c = pod.containers.find((x) => x.name === m.c)
      if (c) c.ready = false
    }
  }
  pod.ready = notReady === undefined
  if (pod.ready && readySince > 0) pod.readySince = readySince
  if (notReady) pod.notReady = notReady
  if (restarts > 0) pod.restarts = restarts
  if (drift.length > 0) pod.drift = drift.join('; ')
}

export function parseProbeMarks(json: string | undefined): ProbeMark[] {
  if (!json) return []
  try {
    const v: unknown = JSON.parse(json)
    return Array.isArray(v) ? (v as ProbeMark[]).filter((m) => typeof m?.c === 'string' && (m.k === 'ready' || m.k === 'live')) : []
  } catch {
    return []
  }
}

function short(id: string): string {
  return id.slice(0, 12)
}
