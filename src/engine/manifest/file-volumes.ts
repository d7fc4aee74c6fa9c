import {ManifestError} from '../errors.js'
import type {ConfigMapObject, FilesVolumeSource, KObject, SecretObject} from '../types.js'
import {podSpecOf} from './env.js'
import type {FieldReader} from './field-reader.js'
import type {PathPart} from './yaml-docs.js'

/** A configMap (`nameField` "name") or secret ("secretName") volume source, with Kubernetes' defaults (mode 0644). */
export function readFilesSource(r: FieldReader, p: PathPart[], nameField: 'name' | 'secretName'): FilesVolumeSource {
  r.map(p, {required: true})
  const name = r.str([...p, nameField], {required: true}) ?? ''
  const defaultMode = readMode(r, [...p, 'defaultMode']) ?? 0o644
  const src: FilesVolumeSource = {name, defaultMode, optional: r.bool([...p, 'optional']) ?? false}
  const items = r.list([...p, 'items'])
  if (!items) return src
  const paths = new Map<string, number>()
  src.items = items.map((_, i) => {
    const q = [...p, 'items', i]
    const key = r.str([...q, 'key'], {required: true}) ?? ''
    const path = r.str([...q, 'path'], {required: true}) ?? ''
    if (path.startsWith('/')) r.fail([...q, 'path'], `must be a relative path, got "${path}"`)
    else if (path.split('/').some((s) => s === '..' || s.startsWith('..'))) r.fail([...q, 'path'], 'must not contain ".." or start an element with ".."')
    else if (/[\n\0]/.test(path)) r.fail([...q, 'path'], 'must not contain a newline')
    else if (paths.has(path)) r.fail([...q, 'path'], `must be unique: "${path}" is also items[${paths.get(path)}]`)
    paths.set(path, i)
    const mode = readMode(r, [...q, 'mode'])
    return mode === undefined ? {key, path} : {key, path, mode}
  })
  return src
}

function readMode(r: FieldReader, p: PathPart[]): number | undefined {
  const n = r.int(p, {min: 0})
  if (n === undefined) return undefined
  const mode = fileMode(n)
  if (mode === undefined) r.fail(p, `must be a file mode: 0 to 0777 in octal (0o644 or 0644) or 0 to 511 in decimal (420), got ${n}`)
  return mode
}

/** Each digit of the mode is none, r, r-x, rw or rwx: what a file mode means in practice. */
const sensible = (mode: number): boolean => mode <= 0o777 && /^[04567]*$/.test(mode.toString(8))

/**
 * A file mode as the manifest meant it. Kubernetes reads YAML 1.1, where `0644` is octal;
 * kgit's YAML 1.2 reader hands over 644. A number whose digits are all octal digits is
 * read as octal unless its decimal reading is a sensible mode and the octal one is not
 * (420 is 0644; 400 is 0400, not 0620).
 */
export function fileMode(n: number): number | undefined {
  const octal = /^[0-7]+$/.test(String(n)) ? parseInt(String(n), 8) : undefined
  if (octal !== undefined && octal <= 0o777 && (!sensible(n) || n > 0o777 || sensible(octal))) return sensible(n) && n <= 0o777 && !sensible(octal) ? n : octal
  return n <= 0o777 ? n : undefined
}

/**
 * The ConfigMaps and Secrets that volumes name must be in the revision with the keys
 * their items name, unless the volume is optional (Kubernetes would keep the pod from
 * starting; kgit says so before any node is touched).
 */
export function checkFileVolumes(objects: KObject[]): ManifestError[] {
  const errors: ManifestError[] = []
  const index = new Map<string, ConfigMapObject | SecretObject>()
  for (const o of objects) if (o.kind === 'ConfigMap' || o.kind === 'Secret') index.set(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o)
  for (const o of objects) {
    const spec = podSpecOf(o)?.spec
    if (!spec) continue
    for (const name of spec.imagePullSecrets ?? []) {
      const found = index.get(`Secret/${o.metadata.namespace}/${name}`)
      const where = {...o.source, path: `imagePullSecrets ${name}`}
      if (!found) errors.push(new ManifestError(where, `Secret "${name}" is not in namespace ${o.metadata.namespace} of this revision (image pull credentials: a Secret of type kubernetes.io/dockerconfigjson)`))
      else if (found.kind === 'Secret' && found.type !== 'kubernetes.io/dockerconfigjson') errors.push(new ManifestError(where, `Secret "${name}" is of type ${found.type}: image pull credentials must be of type kubernetes.io/dockerconfigjson`))
    }
    for (const v of spec.volumes ?? []) {
      const [kind, src] = 'configMap' in v ? ['ConfigMap', v.configMap] as const : 'secret' in v ? ['Secret', v.secret] as const : [undefined, undefined]
      if (!kind || src.optional) continue
      const found = index.get(`${kind}/${o.metadata.namespace}/${src.name}`)
      const where = {...o.source, path: `volumes ${v.name}`}
      if (!found) {
        errors.push(new ManifestError(where, `${kind} "${src.name}" is not in namespace ${o.metadata.namespace} of this revision (add it, or set optional: true)`))
        continue
      }
      const keys = found.kind === 'ConfigMap' ? new Set([...Object.keys(found.data), ...Object.keys(found.binaryData)]) : new Set(found.keys)
      for (const item of src.items ?? []) if (!keys.has(item.key)) errors.push(new ManifestError(where, `${kind} "${src.name}" has no key "${item.key}" (add it, or set optional: true)`))
    }
  }
  return errors
}
