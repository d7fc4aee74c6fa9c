import {PRUNE_ANNOTATION} from '../marks.js'
import type {CronJobObject, Desired, DesiredPod, KObject, PodGroup, PodNotes, PodTemplate} from '../types.js'
import {daemonGroup, type DaemonGroup} from './daemon-set.js'
import {statefulGroup, type StatefulGroup} from './stateful-set.js'
import {podTemplateHash, specHash} from './hash.js'
import {jobGroup, type JobGroup} from './job.js'

export interface Workloads {
  /** Pods with fixed names (kind: Pod). */
  pods: DesiredPod[]
  /** Replica groups: Deployments (through their current ReplicaSet), ReplicaSets, ReplicationControllers. */
  groups: PodGroup[]
  /** DaemonSets: one pod per node that may run it. */
  daemons: DaemonGroup[]
  /** StatefulSets: pods NAME-0 .. NAME-(N-1). */
  stateful: StatefulGroup[]
  /** Jobs: pods that run to completion. */
  jobs: JobGroup[]
  /** CronJobs: their children are Jobs the records and the schedule name (plan/cron-jobs.ts). */
  crons: CronJobObject[]
}

/** Expands the objects of a revision into the pods they stand for. */
export function expandWorkloads(desired: Desired): Workloads {
  const pods: DesiredPod[] = []
  const groups: PodGroup[] = []
  const daemons: DaemonGroup[] = []
  const stateful: StatefulGroup[] = []
  const jobs: JobGroup[] = []
  const crons: CronJobObject[] = []
  for (const o of desired.objects) {
    if (o.kind === 'Pod') {
      const {name, namespace, labels} = o.metadata
      pods.push({namespace, name, labels, spec: o.spec, specHash: specHash({labels, spec: o.spec}), source: o.source, ...unsupported(o.notes.unsupported), ...keep(o)})
    } else if (o.kind === 'Deployment') {
      const s = o.spec
      const g = group(o, s.template, s.replicas, o.notes, true)
      groups.push({...g, rollout: {strategy: s.strategy, minReadySeconds: s.minReadySeconds, progressDeadlineSeconds: s.progressDeadlineSeconds, paused: s.paused}})
    } else if (o.kind === 'ReplicaSet' || o.kind === 'ReplicationController') {
      groups.push(group(o, o.spec.template, o.spec.replicas, o.notes, false))
    } else if (o.kind === 'DaemonSet') {
      daemons.push(daemonGroup(o))
    } else if (o.kind === 'StatefulSet') {
      stateful.push(statefulGroup(o))
    } else if (o.kind === 'Job') {
      jobs.push(jobGroup(o))
    } else if (o.kind === 'CronJob') {
      crons.push(o)
    }
  }
  return {pods, groups, daemons, stateful, jobs, crons}
}

/**
 * A replica group. Deployment pods are `NAME-HASH-SUFFIX` (their ReplicaSet is
 * `NAME-HASH`, as Kubernetes names it); ReplicaSet pods are `NAME-SUFFIX`.
 */
function group(o: KObject & {notes: PodNotes}, tpl: PodTemplate, replicas: number, notes: PodNotes, hashInName: boolean): PodGroup {
  const templateHash = podTemplateHash(tpl)
  const {namespace, name} = o.metadata
  const labels = {...tpl.metadata.labels, ...(hashInName ? {'pod-template-hash': templateHash} : {})}
  const owner = {kind: o.kind, name}
  const template: DesiredPod = {namespace, name: '', owner, labels, templateHash, spec: tpl.spec, specHash: specHash({labels, spec: tpl.spec}), source: o.source, ...unsupported(notes.unsupported), ...keep(o)}
  return {namespace, owner, prefix: hashInName ? `${name}-${templateHash}` : name, templateHash, replicas, template}
}

function keep(o: KObject): {keep?: boolean} {
  return o.metadata.annotations[PRUNE_ANNOTATION] === 'disabled' ? {keep: true} : {}
}

function unsupported(list: string[]): {unsupported?: string[]} {
  return list.length > 0 ? {unsupported: list} : {}
}
