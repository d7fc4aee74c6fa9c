// Service names inside pods (ADR 0017): kgit keeps one hosts file per namespace on every
// node, bind-mounted as the pods' /etc/hosts and rewritten in place when services change.

/** A name to resolve: a Service's address(es), and for a headless one its pods' own names. */
export interface NameEntry {
  namespace: string
  name: string
  /** The ClusterIP, or a headless service's ready pod IPs. */
  ips: string[]
  /** Pods with a hostname under this service (StatefulSet pods: `POD.SVC`). */
  pods?: {hostname: string; ip: string}[]
}

const HEADER = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback']

/**
 * The hosts file of each namespace: its own services by short name first (`SVC`), then
 * every service by `SVC.NS`, `SVC.NS.svc` and `SVC.NS.svc.DOMAIN`. A name is given to
 * the first entry that claims it, so the pod's own namespace wins, as with Kubernetes'
 * DNS search path.
 */
export function hostsFiles(namespaces: readonly string[], entries: readonly NameEntry[], domain: string): Record<string, string> {
  const sorted = [...entries].sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1))
  const out: Record<string, string> = {}
  for (const ns of [...new Set(namespaces)].sort()) {
    const taken = new Set<string>()
    const lines = [`# kgit: names of services for pods in namespace ${ns}; rewritten by kgit apply, do not edit.`, ...HEADER]
    const add = (ip: string, names: string[]): void => {
      const fresh = names.filter((n) => !taken.has(`${ip} ${n}`))
      for (const n of fresh) taken.add(`${ip} ${n}`)
      if (fresh.length > 0) lines.push(`${ip}\t${fresh.join(' ')}`)
    }
    const own = sorted.filter((e) => e.namespace === ns)
    const claimed = new Set<string>()
    const free = (names: string[]): string[] => names.filter((n) => !claimed.has(n))
    for (const pass of [own, sorted]) {
      for (const e of pass) {
        const full = (base: string): string[] => [`${base}.${e.namespace}`, `${base}.${e.namespace}.svc`, `${base}.${e.namespace}.svc.${domain}`]
        const svcNames = free([...(e.namespace === ns ? [e.name] : []), ...full(e.name)])
        for (const ip of e.ips) add(ip, svcNames)
        const podLines = (e.pods ?? []).map((p) => ({ip: p.ip, names: free([...(e.namespace === ns ? [`${p.hostname}.${e.name}`] : []), ...full(`${p.hostname}.${e.name}`)])}))
        for (const p of podLines) add(p.ip, p.names)
        for (const n of svcNames) claimed.add(n)
        for (const p of podLines) for (const n of p.names) claimed.add(n)
      }
    }
    out[ns] = lines.join('\n') + '\n'
  }
  return out
}
