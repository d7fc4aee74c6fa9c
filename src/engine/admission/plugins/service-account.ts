import type {AdmissionPlugin} from '../plugin.js'
import {deny, written} from './common.js'

/**
 * Kubernetes' ServiceAccount plugin. Its mutation (serviceAccountName: default) is how kgit
 * reads a pod already: an absent name is the account `default`, which every namespace has
 * (kept absent so pod spec hashes do not change), and the account's imagePullSecrets are
 * used when the pod names none (plan/pod-files.ts). Its validation: a Pod that names a
 * ServiceAccount the revision does not have is refused. Workload templates are not
 * (Kubernetes admits the Deployment; its controller then fails to make pods: a warning).
 */
export const ServiceAccount: AdmissionPlugin = {
  name: 'ServiceAccount',
  mutating: true,
  admit(req) {
    const accounts = new Set(req.desired.objects.filter((o) => o.kind === 'ServiceAccount').map((o) => `${o.metadata.namespace}/${o.metadata.name}`))
    return written(req)
      .filter((o) => o.kind === 'Pod' && o.spec.serviceAccountName !== undefined && !accounts.has(`${o.metadata.namespace}/${o.spec.serviceAccountName}`))
      .map((o) => deny('ServiceAccount', o, `ServiceAccount "${o.kind === 'Pod' ? o.spec.serviceAccountName : ''}" is not in namespace ${o.metadata.namespace} of this revision (error looking up service account)`, 'spec.serviceAccountName'))
  },
}
