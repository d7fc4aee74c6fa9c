import type {StorageState} from '../engine/controllers/claims.js'
import {revisionStorage} from '../engine/plan/claims.js'
import {formatAmount} from '../engine/manifest/quantity.js'
import type {PlanRun} from '../engine/session.js'
import type {AccessMode, StorageClassObject} from '../engine/types.js'
import {age} from './render-pods.js'
import {table} from './table.js'

const SHORT: Record<AccessMode, string> = {ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP'}

/** Claims and volumes as bound from git and the nodes' claim marks. */
export function storageState(run: Pick<PlanRun, 'desired' | 'observed'>): StorageState {
  return revisionStorage(run.desired, {...run.observed, at: run.observed.at ?? Date.now()})
}

function modes(m: AccessMode[]): string {
  return m.map((x) => SHORT[x]).join(',')
}

function bytes(n: number): string {
  return formatAmount('storage', n)
}

/** kubectl get pv: NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS AGE (`-o wide`: NODES). */
export function pvRows(s: StorageState, wide: boolean): string[] {
  const head = ['NAME', 'CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'AGE', ...(wide ? ['NODES'] : [])]
  return table([head, ...s.volumes.map((v) => [v.name, bytes(v.capacity), modes(v.accessModes), v.reclaimPolicy, v.status, v.claim ?? '', v.storageClass, v.created ? age(v.created) : '<unknown>', ...(wide ? [v.nodes?.join(',') ?? '<any>'] : [])])])
}

/** kubectl get pvc: NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS AGE (`-o wide`: REASON). */
export function pvcRows(s: StorageState, namespace: string | undefined, wide: boolean): string[] {
  const all = namespace === undefined
  const claims = [...s.claims.values()].filter((b) => all || b.claim.metadata.namespace === namespace)
  const rows = claims.map((b) => {
    const bound = b.phase === 'Bound' && b.mount
    const m = b.mount?.mark
    return [...(all ? [b.claim.metadata.namespace] : []), b.claim.metadata.name, b.phase, bound ? b.mount!.pv : '', bound ? bytes(m!.capacity) : '', bound ? modes(m!.accessModes) : '', b.storageClass, m?.created && bound ? age(m.created) : '<unknown>', ...(wide ? [b.reason ?? (b.nodes ? `on ${b.nodes.join(',')}` : '')] : [])]
  })
  return table([[...(all ? ['NAMESPACE'] : []), 'NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'AGE', ...(wide ? ['REASON'] : [])], ...rows])
}

/** kubectl get storageclass: NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE. */
export function storageClassRows(run: Pick<PlanRun, 'desired'>, s: StorageState): string[] {
  const classes = run.desired.objects.filter((o): o is StorageClassObject => o.kind === 'StorageClass')
  return table([['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE'], ...classes.map((c) => [c.metadata.name + (c.metadata.name === s.defaultClass ? ' (default)' : ''), c.provisioner, c.reclaimPolicy, c.volumeBindingMode, 'false', '<unknown>'])])
}

/** kubectl describe pvc, in short. */
export function describeClaim(s: StorageState, namespace: string, name: string): string[] | undefined {
  const b = s.claims.get(`${namespace}/${name}`)
  if (!b) return undefined
  const m = b.mount?.mark
  const rows: [string, string][] = [
    ['Name', name],
    ['Namespace', namespace],
    ['StorageClass', b.storageClass],
    ['Status', b.phase],
    ['Volume', b.phase === 'Bound' ? b.mount!.pv : ''],
    ['Capacity', b.phase === 'Bound' && m ? bytes(m.capacity) : ''],
    ['Access Modes', modes(b.claim.spec.accessModes)],
    ['Requested', bytes(b.claim.spec.request)],
    ['Nodes', b.nodes?.join(', ') ?? (b.pin ? JSON.stringify(b.pin) : '<any>')],
  ]
  if (b.reason) rows.push(['Reason', b.reason])
  return rows.map(([k, v]) => `${(k + ':').padEnd(15)}${v}`)
}
