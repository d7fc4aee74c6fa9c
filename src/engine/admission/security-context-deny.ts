import type {AdmissionPlugin, AdmissionRequest, Denial} from './plugin.js'
import {podSpecOf} from './pod-specs.js'

/**
 * The SecurityContextDeny admission plugin (validating), as Kubernetes': a pod or pod
 * template may not set seLinuxOptions, runAsUser, supplementalGroups or fsGroup in its
 * securityContext, nor seLinuxOptions or runAsUser in a container's.
 */
export const PLUGIN = 'SecurityContextDeny'

export const securityContextDeny: AdmissionPlugin = {
  name: PLUGIN,
  mutating: false,
  admit(req: AdmissionRequest): Denial[] {
    const out: Denial[] = []
    for (const ch of req.changes) {
      if (ch.verb === 'delete') continue
      const at = podSpecOf(ch.object)
      if (!at) continue
      const o = ch.object
      const deny = (rule: string) => out.push({plugin: PLUGIN, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, pos: o.source, rule})
      const sc = at.spec.securityContext
      const p = `${at.path}.securityContext`
      if (sc?.seLinuxOptions) deny(`${p}.seLinuxOptions: Forbidden: pod.Spec.SecurityContext.SELinuxOptions is forbidden`)
      if (sc?.runAsUser !== undefined) deny(`${p}.runAsUser: Forbidden: pod.Spec.SecurityContext.RunAsUser is forbidden`)
      if (sc?.supplementalGroups?.length) deny(`${p}.supplementalGroups: Forbidden: pod.Spec.SecurityContext.SupplementalGroups is forbidden`)
      if (sc?.fsGroup !== undefined) deny(`${p}.fsGroup: Forbidden: pod.Spec.SecurityContext.FSGroup is forbidden`)
      at.spec.containers.forEach((c, i) => {
        const cp = `${at.path}.containers[${i}].securityContext`
        if (c.securityContext?.seLinuxOptions) deny(`${cp}.seLinuxOptions: Forbidden: SecurityContext.SELinuxOptions is forbidden`)
        if (c.securityContext?.runAsUser !== undefined) deny(`${cp}.runAsUser: Forbidden: SecurityContext.RunAsUser is forbidden`)
      })
    }
    return out
  },
}
