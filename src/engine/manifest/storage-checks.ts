import {ManifestError, formatPos} from '../errors.js'
import type {KObject, PersistentVolumeClaimObject, PersistentVolumeObject, StorageClassObject} from '../types.js'
import {LOCAL_PATH_PROVISIONERS} from './storage.js'

/**
 * Checks of claims against the revision's volumes and classes, before any node is read:
 * a claim no PV of its class could ever hold and no kgit provisioner can make is an error
 * (it would wait for ever); several default classes is a warning (the first by name wins).
 */
export function checkStorage(objects: readonly KObject[]): {errors: ManifestError[]; warnings: string[]} {
  const errors: ManifestError[] = []
  const warnings: string[] = []
  const classes = objects.filter((o): o is StorageClassObject => o.kind === 'StorageClass')
  const defaults = classes.filter((c) => c.isDefault).map((c) => c.metadata.name).sort()
  if (defaults.length > 1) warnings.push(`${formatPos(classes.find((c) => c.metadata.name === defaults[1])!.source)}: several StorageClasses are marked default (${defaults.join(', ')}): claims without storageClassName get ${defaults[0]}`)
  const pvs = objects.filter((o): o is PersistentVolumeObject => o.kind === 'PersistentVolume')
  for (const c of objects.filter((o): o is PersistentVolumeClaimObject => o.kind === 'PersistentVolumeClaim')) {
    const cls = c.spec.storageClassName ?? defaults[0] ?? ''
    const klass = classes.find((x) => x.metadata.name === cls)
    if (klass && LOCAL_PATH_PROVISIONERS.includes(klass.provisioner)) continue
    if (c.spec.volumeName) continue
    const fits = pvs.filter((pv) => pv.spec.storageClassName === cls && c.spec.accessModes.every((m) => pv.spec.accessModes.includes(m)))
    if (fits.some((pv) => pv.spec.capacity >= c.spec.request)) continue
    const largest = Math.max(0, ...fits.map((pv) => pv.spec.capacity))
    const what = fits.length === 0 ? `no PersistentVolume of class "${cls}" with access modes ${c.spec.accessModes.join(', ')}` : `the largest PersistentVolume of class "${cls}" with its access modes holds ${largest} bytes`
    const how = cls === '' ? 'and it names no storage class' : klass ? `and class ${cls} has no provisioner kgit runs (${LOCAL_PATH_PROVISIONERS[0]})` : `and StorageClass "${cls}" is not in this revision`
    errors.push(new ManifestError({...c.source, path: 'spec.resources.requests.storage'}, `claim ${c.metadata.namespace}/${c.metadata.name} asks for ${c.spec.request} bytes: ${what}, ${how}`))
  }
  return {errors, warnings}
}
