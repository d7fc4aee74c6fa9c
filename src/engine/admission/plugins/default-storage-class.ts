import {byText} from '../../order.js'
import type {StorageClassObject} from '../../types.js'
import type {AdmissionPlugin, Denial} from '../plugin.js'
import {deny} from './common.js'

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class'

/**
 * Kubernetes' DefaultStorageClass: a PersistentVolumeClaim (or a StatefulSet's claim
 * template) that names no storageClassName gets the class annotated
 * storageclass.kubernetes.io/is-default-class: "true". Two default classes are an error
 * while any claim needs one. Without the plugin kgit still gives such claims the default
 * class when it binds them (Kubernetes' retroactive default class assignment).
 */
export const DefaultStorageClass: AdmissionPlugin = {
  name: 'DefaultStorageClass',
  mutating: true,
  admit(req) {
    const defaults = req.desired.objects.filter((o): o is StorageClassObject => o.kind === 'StorageClass' && o.isDefault).sort((a, b) => byText(a.metadata.name, b.metadata.name))
    const denials: Denial[] = []
    for (const o of req.desired.objects) {
      const templates = o.kind === 'StatefulSet' ? o.spec.volumeClaimTemplates.filter((t) => t.storageClassName === undefined) : []
      const claim = o.kind === 'PersistentVolumeClaim' && o.spec.storageClassName === undefined && !o.owner ? o : undefined
      if (!claim && templates.length === 0) continue
      if (defaults.length > 1) {
        denials.push(deny('DefaultStorageClass', o, `${defaults.length} default StorageClasses were found (${defaults.map((c) => c.metadata.name).join(', ')}, annotated ${DEFAULT_CLASS_ANNOTATION}: "true"): keep one, or name the class in storageClassName`, claim ? 'spec.storageClassName' : 'spec.volumeClaimTemplates'))
        continue
      }
      const name = defaults[0]?.metadata.name
      if (name === undefined) continue
      if (claim) claim.spec.storageClassName = name
      for (const t of templates) t.storageClassName = name
    }
    return denials
  },
}
