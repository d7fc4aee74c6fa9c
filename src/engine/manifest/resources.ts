import type {Resources} from '../types.js'
import type {FieldReader} from './field-reader.js'
import {parseQuantity, resourceAmount} from './quantity.js'
import type {PathPart} from './yaml-docs.js'

const RESOURCE_NAME = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/

export interface ResourceListOptions {
  /** A ratio (maxLimitRequestRatio) is kept as the plain number it is. */
  ratio?: boolean
  /** Quota names: `requests.`, `limits.` and `count/` prefixes. */
  prefixed?: boolean
  /** The plain names allowed; others need a domain (`example.com/gpu`) or `hugepages-`. Unset: any name. */
  names?: readonly string[]
}

/**
 * A map of resource name to quantity (`cpu: 500m`, `memory: 1Gi`, `requests.memory: 1Gi`,
 * `example.com/gpu: 1`), in kgit's units (cpu in millicores, the rest in base units).
 * Container requests and limits, node capacity, quotas and limit ranges all read theirs here.
 */
export function readResourceList(r: FieldReader, path: PathPart[], opts: ResourceListOptions = {}): Resources {
  const m = r.map(path)
  const out: Resources = {}
  for (const [k, v] of Object.entries(m ?? {})) {
    const name = opts.prefixed ? k.replace(/^(requests|limits|count)[./]/, '') : k
    if (!RESOURCE_NAME.test(name) && !(opts.prefixed && k.startsWith('count/'))) {
      r.fail([...path, k], `Invalid value: "${k}": not a resource name`)
      continue
    }
    const extended = name.includes('/') || name.startsWith('hugepages-')
    if (opts.names && !extended && !opts.names.includes(name)) {
      r.fail([...path, k], `unknown resource "${k}": use ${opts.names.join(', ')}, hugepages-<size> or an extended resource with a domain (example.com/gpu)`)
      continue
    }
    const q = typeof v === 'string' || typeof v === 'number' ? parseQuantity(v) : undefined
    if (q === undefined) r.fail([...path, k], `Invalid value: ${JSON.stringify(v)}: must be a quantity such as 500m, 64Mi, 1.5Gi or 2`)
    else if (q < 0) r.fail([...path, k], `Invalid value: "${v}": must be greater than or equal to 0`)
    else if (opts.names && name.includes('/') && !Number.isInteger(q)) r.fail([...path, k], `Invalid value: ${JSON.stringify(v)}: an extended resource must be a whole number`)
    else out[k] = opts.ratio ? q : resourceAmount(k, q)
  }
  return out
}
