import {formatPos} from '../../errors.js'
import type {ResourceQuotaObject} from '../../types.js'
import type {AdmissionPlugin} from '../plugin.js'
import {checkRevisionQuotas} from '../quota.js'
import {fieldPos} from './common.js'

/**
 * Kubernetes' LimitRanger. Its work is done as the revision is read (manifest/load.ts,
 * admission/limit-ranger.ts) when kgit.yaml enables it: the defaults must be in the pod
 * specs before anything hashes them, and its errors point at the exact fields. Here it
 * only holds its place in the chain: enabling or disabling it is read from kgit.yaml.
 */
export const LimitRanger: AdmissionPlugin = {
  name: 'LimitRanger',
  mutating: true,
  admit: () => [],
}

/**
 * Kubernetes' ResourceQuota on the revision: every pod it runs and every object it declares,
 * per namespace, against each quota (admission/quota.ts). Quotas are about the namespace's
 * total, so the whole revision is counted, not only what the change writes. Each plan step
 * is checked again once the nodes are observed (session.ts), as long as the plugin is enabled.
 */
export const ResourceQuota: AdmissionPlugin = {
  name: 'ResourceQuota',
  mutating: false,
  admit(req) {
    const quotas = req.desired.objects.filter((o): o is ResourceQuotaObject => o.kind === 'ResourceQuota')
    return quotas.flatMap((q) => {
      const alone = {...req.desired, objects: req.desired.objects.filter((o) => o.kind !== 'ResourceQuota' || o === q)}
      const prefix = `ResourceQuota ${q.metadata.namespace}/${q.metadata.name} (${formatPos({file: q.source.file, ...(q.source.line !== undefined ? {line: q.source.line} : {})})}): `
      return checkRevisionQuotas(alone).map((e) => ({plugin: 'ResourceQuota', kind: 'ResourceQuota', namespace: q.metadata.namespace, name: q.metadata.name, pos: fieldPos(q), rule: e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message}))
    })
  },
}
