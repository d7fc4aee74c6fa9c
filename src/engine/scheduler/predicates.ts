import {selectorMatches} from '../manifest/labels.js'
import type {LabelSelector, NodeSelectorRequirement, NodeSelectorTerm, NodeSpec, PodSpec, Taint, Toleration} from '../types.js'

/** The labels Kubernetes puts on every node, under the ones kgit.yaml gives. */
export function nodeLabels(n: Pick<NodeSpec, 'name' | 'labels'>): Record<string, string> {
  return {'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', ...n.labels}
}

/** Zone of a node: `topology.kubernetes.io/zone`, or the label it replaced. */
export function zoneOf(labels: Record<string, string>): string | undefined {
  return labels['topology.kubernetes.io/zone'] ?? labels['failure-domain.beta.kubernetes.io/zone']
}

/** Kubernetes' ToleratesTaint: key, effect and value (operator Equal) or any value (Exists). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false
  if (t.key !== undefined && t.key !== taint.key) return false
  if (t.operator === 'Exists') return true
  return (t.value ?? '') === (taint.value ?? '')
}

export function tolerated(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => tolerates(t, taint))
}

/** The first taint with one of these effects that the pod does not tolerate. */
export function untoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[] | undefined, effects: readonly Taint['effect'][]): Taint | undefined {
  return taints.find((t) => effects.includes(t.effect) && !tolerated(tolerations, t))
}

/** `{key: value}` as the scheduler's messages write a taint. */
export function taintText(t: Taint): string {
  return `{${t.key}: ${t.value ?? ''}}`
}

function requirementHolds(req: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, req.key)
  const v = labels[req.key]
  switch (req.operator) {
    case 'In':
      return has && (req.values ?? []).includes(v!)
    case 'NotIn':
      return !has || !(req.values ?? []).includes(v!)
    case 'Exists':
      return has
    case 'DoesNotExist':
      return !has
    case 'Gt':
    case 'Lt': {
      if (!has || !/^-?[0-9]+$/.test(v!)) return false
      const a = Number(v)
      const b = Number((req.values ?? [])[0])
      return req.operator === 'Gt' ? a > b : a < b
    }
  }
}

/** A term holds when all its expressions and fields hold; an empty term matches nothing. */
export function termMatches(term: NodeSelectorTerm, labels: Record<string, string>, nodeName: string): boolean {
  const exprs = term.matchExpressions ?? []
  const fields = term.matchFields ?? []
  if (exprs.length === 0 && fields.length === 0) return false
  return exprs.every((e) => requirementHolds(e, labels)) && fields.every((f) => requirementHolds(f, {'metadata.name': nodeName}))
}

/** nodeSelector and required node affinity (terms ORed), as the NodeAffinity filter checks them. */
export function nodeAffinityMatches(spec: Pick<PodSpec, 'nodeSelector' | 'affinity'>, labels: Record<string, string>, nodeName: string): boolean {
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false
  const terms = spec.affinity?.nodeAffinity?.required
  return !terms || terms.some((t) => termMatches(t, labels, nodeName))
}

/** Label selectors of pod affinity terms: an absent selector matches nothing, `{}` everything. */
export function labelSelectorMatches(sel: LabelSelector | undefined, labels: Record<string, string>): boolean {
  return sel !== undefined && selectorMatches(sel, labels)
}
