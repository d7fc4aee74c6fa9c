import type {ContainerSpec, DesiredPod, EnvVar} from '../types.js'

/**
 * Kubernetes' `$(VAR)` expansion of command, args (and env values): a defined name is
 * replaced by its value, `$$` becomes `$`, anything else (an unknown name, a lone `$`,
 * an unclosed `$(`) is left as it is.
 */
export function expandVars(text: string, vars: ReadonlyMap<string, string>): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$' || i + 1 >= text.length) {
      out += text[i]
      continue
    }
    const next = text[i + 1]
    if (next === '$') {
      out += '$'
      i++
    } else if (next === '(') {
      const close = text.indexOf(')', i + 2)
      const name = close < 0 ? undefined : text.slice(i + 2, close)
      if (name === undefined) {
        out += text.slice(i)
        break
      }
      out += vars.has(name) ? vars.get(name)! : `$(${name})`
      i = close
    } else out += '$'
  }
  return out
}

/** One fieldRef of the pod instance: name, namespace, a label or the node it runs on. */
export function fieldValue(pod: DesiredPod, fieldPath: string, node: string | undefined): string {
  if (fieldPath === 'metadata.name') return pod.name
  if (fieldPath === 'metadata.namespace') return pod.namespace
  if (fieldPath === 'spec.nodeName') return node ?? ''
  const label = /^metadata\.labels\['(.+)'\]$/.exec(fieldPath)
  return label ? (pod.labels[label[1]!] ?? '') : ''
}

/** The container's environment with the pod's fields filled in. */
export function containerEnv(pod: DesiredPod, c: ContainerSpec, node?: string): EnvVar[] {
  return c.env.map((e) => (e.fieldPath ? {name: e.name, value: fieldValue(pod, e.fieldPath, node)} : e))
}
