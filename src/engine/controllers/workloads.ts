import type {Desired, DesiredPod, PodGroup} from '../types.js'
import {podTemplateHash, specHash} from './hash.js'

export interface Workloads {
  /** Pods with fixed names (kind: Pod). */
  pods: DesiredPod[]
  /** Replica groups (Deployments, through their current ReplicaSet). */
  groups: PodGroup[]
}

/** Expands the objects of a revision into the pods they stand for. */
export function expandWorkloads(desired: Desired): Workloads {
  const pods: DesiredPod[] = []
  const groups: PodGroup[] = []
  for (const o of desired.objects) {
    if (o.kind === 'Pod') {
      const {name, namespace, labels} = o.metadata
      pods.push({namespace, name, labels, spec: o.spec, specHash: specHash({labels, spec: o.spec}), source: o.source, ...unsupported(o.notes.unsupported)})
    } else if (o.kind === 'Deployment') {
      const templateHash = podTemplateHash(o.spec.template)
      const {namespace, name} = o.metadata
      const labels = {...o.spec.template.metadata.labels, 'pod-template-hash': templateHash}
      const owner = {kind: 'Deployment', name}
      const template: DesiredPod = {namespace, name: '', owner, labels, templateHash, spec: o.spec.template.spec, specHash: specHash({labels, spec: o.spec.template.spec}), source: o.source, ...unsupported(o.notes.unsupported)}
      groups.push({namespace, owner, prefix: `${name}-${templateHash}`, templateHash, replicas: o.spec.replicas, template})
    }
  }
  return {pods, groups}
}

function unsupported(list: string[]): {unsupported?: string[]} {
  return list.length > 0 ? {unsupported: list} : {}
}
