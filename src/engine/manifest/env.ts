import {ManifestError, formatPos} from '../errors.js'
import type {ConfigMapObject, ContainerEnvSources, EnvSource, EnvVar, KObject, PodSpec, SecretEnvVar, SecretObject} from '../types.js'
import type {FieldReader} from './field-reader.js'
import {isRecord, type PathPart} from './yaml-docs.js'

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/
/** fieldRef paths known from the manifest alone, resolved when it is read. */
const STATIC_FIELDS = /^(metadata\.annotations\['(.+)'\]|spec\.serviceAccountName)$/
/** fieldRef paths that depend on the pod instance, resolved when the container is started. */
export const INSTANCE_FIELDS = /^(metadata\.name|metadata\.namespace|metadata\.labels\['.+'\]|spec\.nodeName)$/
/** fieldRef paths Kubernetes serves that kgit cannot fill in yet (pod-features reports them). */
export const UNSUPPORTED_FIELDS = /^(metadata\.uid|status\.podIP|status\.podIPs|status\.hostIP|status\.hostIPs)$/

/**
 * A container's `envFrom` and `env`, in the order Kubernetes applies them. Literal values
 * and fieldRefs come back as `env`; ConfigMap references as `sources` for load.ts to resolve.
 */
export function readEnv(r: FieldReader, c: PathPart[], podBase: PathPart[]): {env: EnvVar[]; sources?: EnvSource[]} {
  const sources: EnvSource[] = [...readEnvFrom(r, [...c, 'envFrom'])]
  const items = r.list([...c, 'env']) ?? []
  items.forEach((_, i) => {
    const p = [...c, 'env', i]
    const name = r.str([...p, 'name'], {required: true}) ?? ''
    if (name && !ENV_NAME.test(name)) r.fail([...p, 'name'], 'must be a C identifier-like name (letters, digits, "_", "-", "."), not starting with a digit')
    const value = r.get([...p, 'value'])
    if (value !== undefined && value !== null && typeof value !== 'string') r.fail([...p, 'value'], 'must be a string (quote numbers and booleans in YAML)')
    const from = r.map([...p, 'valueFrom'])
    if (from && typeof value === 'string' && value !== '') r.fail([...p, 'valueFrom'], 'Invalid value: may not be specified when `value` is not empty')
    if (!from) sources.push({var: {name, value: typeof value === 'string' ? value : ''}})
    else {
      const source = readValueFrom(r, [...p, 'valueFrom'], name, podBase)
      if (source) sources.push(source)
    }
  })
  const plain = sources.every((s) => 'var' in s)
  return plain ? {env: sources.map((s) => (s as {var: EnvVar}).var)} : {env: [], sources}
}

function readEnvFrom(r: FieldReader, p: PathPart[]): EnvSource[] {
  return (r.list(p) ?? []).flatMap((_, i): EnvSource[] => {
    const prefix = r.str([...p, i, 'prefix']) ?? ''
    if (prefix && !ENV_NAME.test(prefix)) r.fail([...p, i, 'prefix'], 'must be a C identifier-like name (letters, digits, "_", "-", "."), not starting with a digit')
    if (r.map([...p, i, 'secretRef']) !== undefined) {
      const name = r.str([...p, i, 'secretRef', 'name'], {required: true}) ?? ''
      return [{secretRef: {name, optional: r.bool([...p, i, 'secretRef', 'optional']) ?? false}, prefix, pos: r.doc.posOf([...p, i, 'secretRef', 'name'])}]
    }
    if (r.map([...p, i, 'configMapRef']) === undefined) return []
    const name = r.str([...p, i, 'configMapRef', 'name'], {required: true}) ?? ''
    return [{configMapRef: {name, optional: r.bool([...p, i, 'configMapRef', 'optional']) ?? false}, prefix, pos: r.doc.posOf([...p, i, 'configMapRef', 'name'])}]
  })
}

function readValueFrom(r: FieldReader, p: PathPart[], varName: string, podBase: PathPart[]): EnvSource | undefined {
  const keys = ['configMapKeyRef', 'secretKeyRef', 'fieldRef', 'resourceFieldRef'].filter((k) => r.get([...p, k]) !== undefined && r.get([...p, k]) !== null)
  if (keys.length !== 1) {
    r.fail(p, keys.length === 0 ? 'must specify one of configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef' : `may not have more than one field specified at a time (${keys.join(', ')})`)
    return undefined
  }
  if (keys[0] === 'configMapKeyRef') {
    const q = [...p, 'configMapKeyRef']
    const ref = {name: r.str([...q, 'name'], {required: true}) ?? '', key: r.str([...q, 'key'], {required: true}) ?? '', optional: r.bool([...q, 'optional']) ?? false}
    return {configMapKeyRef: ref, varName, pos: r.doc.posOf([...q, 'name'])}
  }
  if (keys[0] === 'secretKeyRef') {
    const q = [...p, 'secretKeyRef']
    const ref = {name: r.str([...q, 'name'], {required: true}) ?? '', key: r.str([...q, 'key'], {required: true}) ?? '', optional: r.bool([...q, 'optional']) ?? false}
    return {secretKeyRef: ref, varName, pos: r.doc.posOf([...q, 'name'])}
  }
  if (keys[0] !== 'fieldRef') return undefined // resourceFieldRef: pod-features reports it
  const fieldPath = r.str([...p, 'fieldRef', 'fieldPath'], {required: true}) ?? ''
  if (INSTANCE_FIELDS.test(fieldPath)) return {var: {name: varName, value: '', fieldPath}}
  const m = STATIC_FIELDS.exec(fieldPath)
  if (m) {
    const meta = [...podBase.slice(0, -1), 'metadata']
    const sa = r.get([...podBase, 'serviceAccountName']) ?? r.get([...podBase, 'serviceAccount'])
    const value = m[2] !== undefined ? r.get([...meta, 'annotations', m[2]]) : sa || 'default'
    return {var: {name: varName, value: typeof value === 'string' ? value : ''}}
  }
  if (!UNSUPPORTED_FIELDS.test(fieldPath) && fieldPath) r.fail([...p, 'fieldRef', 'fieldPath'], `Unsupported value: "${fieldPath}": supported values: "metadata.name", "metadata.namespace", "metadata.labels['KEY']", "metadata.annotations['KEY']", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.podIP"`)
  return undefined
}

/** The pod spec an object runs (a Pod's own, a workload's template) and where it stands in the manifest. */
export function podSpecOf(o: KObject): {spec: PodSpec; base: PathPart[]} | undefined {
  if (o.kind === 'Pod') return {spec: o.spec, base: ['spec']}
  if (o.kind === 'Deployment' || o.kind === 'ReplicaSet' || o.kind === 'ReplicationController' || o.kind === 'DaemonSet' || o.kind === 'StatefulSet' || o.kind === 'Job') return {spec: o.spec.template.spec, base: ['spec', 'template', 'spec']}
  if (o.kind === 'CronJob') return {spec: o.spec.jobTemplate.spec.template.spec, base: ['spec', 'jobTemplate', 'spec', 'template', 'spec']}
  return undefined
}

/**
 * Resolves envFrom and `valueFrom.configMapKeyRef` against the ConfigMaps of the revision,
 * writing each container's final `env`: envFrom first, then env, a later name winning.
 * A missing ConfigMap or key is an error unless the reference is optional.
 */
export function resolveEnv(objects: KObject[]): {errors: ManifestError[]; warnings: string[]} {
  const errors: ManifestError[] = []
  const warnings: string[] = []
  const maps = new Map(objects.filter((o): o is ConfigMapObject => o.kind === 'ConfigMap').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]))
  const secrets = new Map(objects.filter((o): o is SecretObject => o.kind === 'Secret').map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]))
  for (const o of objects) {
    const spec = podSpecOf(o)?.spec
    if (!spec || !('notes' in o) || !o.notes.env) continue
    const ns = o.metadata.namespace
    const lookup: Lookup = {configMap: (name) => maps.get(`${ns}/${name}`), secret: (name) => secrets.get(`${ns}/${name}`), namespace: ns}
    for (const c of o.notes.env) {
      const container = spec.containers[c.container]
      if (!container) continue
      const env = resolveContainer(c, lookup, errors, warnings)
      container.env = env.filter((e): e is EnvVar => !('secret' in e))
      const fromSecrets = env.filter((e): e is SecretEnvVar => 'secret' in e)
      if (fromSecrets.length > 0) container.secretEnv = fromSecrets
    }
  }
  return {errors, warnings}
}

interface Lookup {
  configMap: (name: string) => ConfigMapObject | undefined
  secret: (name: string) => SecretObject | undefined
  namespace: string
}

function resolveContainer(c: ContainerEnvSources, at: Lookup, errors: ManifestError[], warnings: string[]): (EnvVar | SecretEnvVar)[] {
  const env = new Map<string, EnvVar | SecretEnvVar>()
  const {namespace} = at
  const configMap = at.configMap
  const missing = (name: string, pos: ManifestError['pos'], kind = 'ConfigMap') => errors.push(new ManifestError(pos, `${kind} "${name}" is not in namespace ${namespace} of this revision (add it, or set optional: true)`))
  for (const s of c.sources) {
    if ('var' in s) env.set(s.var.name, s.var)
    else if ('secretRef' in s) {
      const secret = at.secret(s.secretRef.name)
      if (!secret) {
        if (!s.secretRef.optional) missing(s.secretRef.name, s.pos, 'Secret')
        continue
      }
      for (const key of secret.keys) {
        const name = s.prefix + key
        if (ENV_NAME.test(name)) env.set(name, {name, secret: secret.metadata.name, key})
        else warnings.push(`${formatPos(s.pos)}: key "${key}" of Secret "${secret.metadata.name}" is not a valid environment variable name: skipped, as Kubernetes does`)
      }
    } else if ('secretKeyRef' in s) {
      const {name, key, optional} = s.secretKeyRef
      const secret = at.secret(name)
      if (!secret || !secret.keys.includes(key)) {
        if (optional) continue
        if (!secret) missing(name, s.pos, 'Secret')
        else errors.push(new ManifestError(s.pos, `Secret "${name}" has no key "${key}" (add it, or set optional: true)`))
        continue
      }
      env.set(s.varName, {name: s.varName, secret: name, key})
    }
    else if ('configMapRef' in s) {
      const cm = configMap(s.configMapRef.name)
      if (!cm) {
        if (!s.configMapRef.optional) missing(s.configMapRef.name, s.pos)
        continue
      }
      for (const [k, value] of Object.entries(cm.data)) {
        const name = s.prefix + k
        if (ENV_NAME.test(name)) env.set(name, {name, value})
        else warnings.push(`${formatPos(s.pos)}: key "${k}" of ConfigMap "${cm.metadata.name}" is not a valid environment variable name: skipped, as Kubernetes does`)
      }
    } else {
      const {name, key, optional} = s.configMapKeyRef
      const cm = configMap(name)
      if (!cm || !Object.hasOwn(cm.data, key)) {
        if (optional) continue
        if (!cm) missing(name, s.pos)
        else errors.push(new ManifestError(s.pos, `ConfigMap "${name}" has no key "${key}" in its data${Object.hasOwn(cm.binaryData, key) ? ' (binaryData cannot be used in env)' : ''} (add it, or set optional: true)`))
        continue
      }
      env.set(s.varName, {name: s.varName, value: cm.data[key]!})
    }
  }
  return [...env.values()]
}

/** Whether a raw env entry's valueFrom is one kgit runs. */
export function valueFromSupported(e: unknown): boolean {
  if (!isRecord(e) || !isRecord(e.valueFrom)) return true
  const f = e.valueFrom
  if (isRecord(f.configMapKeyRef) || isRecord(f.secretKeyRef)) return true
  return isRecord(f.fieldRef) && typeof f.fieldRef.fieldPath === 'string' && !UNSUPPORTED_FIELDS.test(f.fieldRef.fieldPath)
}
