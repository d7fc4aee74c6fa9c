import type {KObject, PodSecurityPolicyObject} from '../types.js'
import type {UserInfo} from './rbac.js'
import type {AdmissionPlugin, AdmissionRequest, Denial} from './plugin.js'
import {podSpecOf} from './pod-specs.js'
import {pspViolations} from './psp-checks.js'

/**
 * The PodSecurityPolicy admission plugin (validating), as Kubernetes' (docs/security-context.md):
 * every pod or pod template the change creates or updates is admitted when one of the
 * PodSecurityPolicies of the revision that the requesting user, or the pod's service
 * account, may `use` (policy/podsecuritypolicies, in the pod's namespace) allows it.
 * Policies are tried in name order. With the plugin enabled and no policy usable, every
 * pod is refused, as in Kubernetes.
 */
export const PLUGIN = 'PodSecurityPolicy'

/** The identity Kubernetes gives a service account's requests. */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {user: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated']}
}

export const podSecurityPolicy: AdmissionPlugin = {
  name: PLUGIN,
  mutating: false,
  admit(req: AdmissionRequest): Denial[] {
    const policies = req.desired.objects.filter((o): o is PodSecurityPolicyObject => o.kind === 'PodSecurityPolicy').sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))
    const out: Denial[] = []
    for (const ch of req.changes) {
      if (ch.verb === 'delete') continue
      const rule = refusal(req, policies, ch.object)
      if (rule) out.push({plugin: PLUGIN, kind: ch.object.kind, namespace: ch.object.metadata.namespace, name: ch.object.metadata.name, pos: ch.object.source, rule})
    }
    return out
  },
}

/** Why no usable policy admits the object's pods, or undefined when one does (or it makes no pods). */
function refusal(req: AdmissionRequest, policies: PodSecurityPolicyObject[], o: KObject): string | undefined {
  const at = podSpecOf(o)
  if (!at) return undefined
  const namespace = o.metadata.namespace
  const account = at.spec.serviceAccountName ?? 'default'
  const sa = serviceAccountUser(namespace, account)
  const attrs = (name: string) => ({verb: 'use', apiGroup: 'policy', resource: 'podsecuritypolicies', name, namespace})
  const usable = policies.filter((p) => req.authorize(attrs(p.metadata.name)) || req.authorize(attrs(p.metadata.name), sa))
  if (usable.length === 0) {
    const why = policies.length === 0 ? 'the revision has no PodSecurityPolicy' : `neither may use any of the ${policies.length} PodSecurityPolicies of the revision (${policies.map((p) => p.metadata.name).join(', ')})`
    return `unable to validate against any pod security policy: [] (user "${req.user.user}" and service account ${namespace}/${account}: ${why}; grant "use" on policy/podsecuritypolicies with a Role or ClusterRole)`
  }
  const tried: string[] = []
  for (const p of usable) {
    const errs = pspViolations(p.spec, at)
    if (errs.length === 0) return undefined
    tried.push(`PodSecurityPolicy ${p.metadata.name}: ${errs.join(', ')}`)
  }
  return `unable to validate against any pod security policy: [${tried.join('; ')}]`
}
