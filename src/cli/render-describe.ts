import type {PlanRun} from '../engine/session.js'
import {qosClass} from '../engine/facts/node-resources.js'
import {formatAmount} from '../engine/manifest/quantity.js'
import {daemonFit} from '../engine/controllers/daemon-set.js'
import {podTemplateHash} from '../engine/controllers/hash.js'
import type {ContainerSpec, DaemonSetObject, DeploymentObject, ObservedPod, Probe, Resources, StatefulSetObject, Volume} from '../engine/types.js'
import {podPhase} from './render-pods.js'
import {allocatedLines, nodePodLines, nodeResources, resourceLines} from './render-resources.js'
import {daemonSetViews, replicaSetViews, statefulSetViews} from './render-workloads.js'

type Lines = string[]

/** kubectl's `Key:  value` blocks: keys padded to one column. */
function block(pairs: [string, string | string[]][], indent = ''): Lines {
  const w = Math.max(...pairs.map(([k]) => k.length)) + 2
  return pairs.flatMap(([k, v]) => {
    const vals = Array.isArray(v) ? (v.length ? v : ['<none>']) : [v]
    return vals.map((x, i) => `${indent}${i === 0 ? (k + ':').padEnd(w) : ' '.repeat(w)}${x}`)
  })
}

function kv(m: Record<string, string>): string[] {
  return Object.entries(m).map(([k, v]) => `${k}=${v}`)
}

export function probeText(p: Probe): string {
  const h = p.handler
  const what = 'exec' in h ? `exec [${h.exec.command.join(' ')}]` : 'tcpSocket' in h ? `tcp-socket :${h.tcpSocket.port}` : `http-get ${h.httpGet.scheme.toLowerCase()}://${h.httpGet.host ?? ''}:${h.httpGet.port}${h.httpGet.path}`
  return `${what} delay=${p.initialDelaySeconds}s timeout=${p.timeoutSeconds}s period=${p.periodSeconds}s #success=${p.successThreshold} #failure=${p.failureThreshold}`
}

/** kubectl's Limits/Requests blocks of a container, when it sets any. */
function resourcePairs(spec: ContainerSpec | undefined): [string, string[]][] {
  const amounts = (r: Resources | undefined): string[] => Object.entries(r ?? {}).map(([k, v]) => `${k}: ${formatAmount(k, v)}`)
  const out: [string, string[]][] = []
  if (spec?.resources && Object.keys(spec.resources.limits).length > 0) out.push(['Limits', amounts(spec.resources.limits)])
  if (spec?.resources && Object.keys(spec.resources.requests).length > 0) out.push(['Requests', amounts(spec.resources.requests)])
  return out
}

function containerLines(spec: ContainerSpec | undefined, pod: ObservedPod, name: string): Lines {
  const live = pod.containers.find((c) => c.name === name)
  const pairs: [string, string | string[]][] = [
    ['Container ID', live?.id ? `podman://${live.id.slice(0, 12)}` : '<none>'],
    ['Image', spec?.image ?? '<unknown>'],
    ...(spec?.command ? [['Command', spec.command] as [string, string[]]] : []),
    ...(spec?.args ? [['Args', spec.args] as [string, string[]]] : []),
    ['State', live ? `${live.state}${live.exitCode !== undefined && live.state === 'exited' ? ` (exit code ${live.exitCode})` : ''}` : 'missing'],
    ['Ready', live?.ready ? 'True' : 'False'],
    ...resourcePairs(spec),
    ...(spec?.livenessProbe ? [['Liveness', probeText(spec.livenessProbe)] as [string, string]] : []),
    ...(spec?.readinessProbe ? [['Readiness', probeText(spec.readinessProbe)] as [string, string]] : []),
    ['Environment', (spec?.env ?? []).map((e) => `${e.name}: ${e.fieldPath ? `(${e.fieldPath})` : e.value}`)],
    ['Mounts', (spec?.volumeMounts ?? []).map((m) => `${m.mountPath} from ${m.name} (${m.readOnly ? 'ro' : 'rw'})`)],
  ]
  return [`  ${name}:`, ...block(pairs, '    ')]
}

export function describePod(run: Pick<PlanRun, 'desired'>, p: ObservedPod): Lines {
  const node = run.desired.cluster.nodes.find((n) => n.name === p.node)
  const ph = podPhase(p)
  const lines = block([
    ['Name', p.name],
    ['Namespace', p.namespace],
    ['Node', node ? `${p.node}/${node.address}` : p.node],
    ['Start Time', p.created],
    ['Labels', kv(p.labels)],
    ['Status', ph.status],
    ['Ready', p.ready ? 'True' : `False (${p.notReady ?? 'not ready'})`],
    ['Restarts', String(p.restarts ?? 0)],
    ['Controlled By', p.owner ? (p.owner.kind === 'Deployment' ? `ReplicaSet/${p.owner.name}-${p.templateHash}` : `${p.owner.kind}/${p.owner.name}`) : '<none>'],
    ['Pod ID', p.podmanName.slice(0, 12)],
  ])
  lines.push('Containers:')
  const names = [...new Set([...(p.spec?.containers.map((c) => c.name) ?? []), ...p.containers.map((c) => c.name)])]
  for (const n of names) lines.push(...containerLines(p.spec?.containers.find((c) => c.name === n), p, n))
  lines.push('Volumes:', ...(p.spec?.volumes?.length ? p.spec.volumes.map((v) => `  ${v.name}: ${volumeText(v)}`) : ['  <none>']))
  lines.push(...block([
    ['QoS Class', p.spec ? qosClass(p.spec) : '<unknown>'],
    ['Node-Selectors', kv(p.spec?.nodeSelector ?? {})],
    ['Tolerations', (p.spec?.tolerations ?? []).map((t) => `${t.key ?? ''}${t.operator === 'Exists' ? '' : `=${t.value ?? ''}`}${t.effect ? `:${t.effect}` : ''}${t.operator === 'Exists' && !t.key ? ' op=Exists' : ''}${t.tolerationSeconds !== undefined ? ` for ${t.tolerationSeconds}s` : ''}`)],
    ['Drift', p.drift ?? '<none>'],
  ]))
  return lines
}

export function describeDeployment(run: PlanRun, d: DeploymentObject): Lines {
  const s = d.spec
  const report = run.plan.rollouts.find((r) => r.kind === 'Deployment' && r.name === d.metadata.name && r.namespace === d.metadata.namespace)
  const st = report?.status
  const rs = replicaSetViews(run, {namespace: d.metadata.namespace}).filter((r) => r.owner === `Deployment/${d.metadata.name}`)
  const current = `${d.metadata.name}-${report?.templateHash ?? ''}`
  const c = s.template.spec.containers
  const condition = !st ? 'Unknown' : st.deadlineExceeded ? 'Progressing False ProgressDeadlineExceeded' : st.complete ? 'Progressing True NewReplicaSetAvailable' : st.paused ? 'Progressing Unknown DeploymentPaused' : 'Progressing True ReplicaSetUpdated'
  return [
    ...block([
      ['Name', d.metadata.name],
      ['Namespace', d.metadata.namespace],
      ['Source', `${d.source.file}:${d.source.line}`],
      ['Labels', kv(d.metadata.labels)],
      ['Annotations', kv(d.metadata.annotations)],
      ['Selector', kv(s.selector.matchLabels).join(',')],
      ['Replicas', st ? `${s.replicas} desired | ${st.updated} updated | ${st.updated + st.old} total | ${st.available} available | ${Math.max(0, s.replicas - st.available)} unavailable` : String(s.replicas)],
      ['StrategyType', s.strategy.type],
      ['MinReadySeconds', String(s.minReadySeconds)],
      ...(s.strategy.type === 'RollingUpdate' ? [['RollingUpdateStrategy', `${s.strategy.rollingUpdate.maxUnavailable} max unavailable, ${s.strategy.rollingUpdate.maxSurge} max surge`] as [string, string]] : []),
      ['Pod Template', c.map((x) => `${x.name}: ${x.image}`)],
      ['Conditions', [condition, ...(st?.notAvailable ?? [])]],
      ['OldReplicaSets', rs.filter((r) => r.name !== current && r.current > 0).map((r) => `${r.name} (${r.current}/${r.desired} replicas created)`)],
      ['NewReplicaSet', rs.filter((r) => r.name === current).map((r) => `${r.name} (${r.current}/${r.desired} replicas created)`)],
    ]),
  ]
}

/** kubectl's DaemonSet description, with the nodes that do not run its pod and why. */
export function describeDaemonSet(run: PlanRun, d: DaemonSetObject): Lines {
  const s = d.spec
  const v = daemonSetViews(run, {namespace: d.metadata.namespace}).find((x) => x.name === d.metadata.name)!
  const st = run.plan.rollouts.find((r) => r.kind === 'DaemonSet' && r.name === d.metadata.name && r.namespace === d.metadata.namespace)?.status
  const skipped = run.desired.cluster.nodes.flatMap((n) => {
    const why = daemonFit(n, s.template.spec).run
    return why ? [why] : []
  })
  const selector = [...kv(s.selector.matchLabels ?? {}), ...(s.selector.matchExpressions ?? []).map((e) => `${e.key} ${e.operator} (${(e.values ?? []).join(',')})`)]
  return block([
    ['Name', d.metadata.name],
    ['Namespace', d.metadata.namespace],
    ['Source', `${d.source.file}:${d.source.line}`],
    ['Selector', selector.join(',')],
    ['Node-Selector', kv(s.template.spec.nodeSelector ?? {}).join(',') || '<none>'],
    ['Labels', kv(d.metadata.labels)],
    ['Annotations', kv(d.metadata.annotations)],
    ['Desired Number of Nodes Scheduled', String(v.desired)],
    ['Current Number of Nodes Scheduled', String(v.current)],
    ['Number of Nodes Scheduled with Up-to-date Pods', String(v.updated)],
    ['Number of Nodes Scheduled with Available Pods', String(v.available)],
    ['UpdateStrategy', s.updateStrategy.type === 'RollingUpdate' ? `RollingUpdate (${s.updateStrategy.rollingUpdate.maxUnavailable} max unavailable)` : 'OnDelete'],
    ['MinReadySeconds', String(s.minReadySeconds)],
    ['Pod Template', s.template.spec.containers.map((x) => `${x.name}: ${x.image}`)],
    ['Not Available', st?.notAvailable ?? []],
    ['Nodes Not Running It', skipped],
  ])
}

/** kubectl's StatefulSet description, with the ordinals that wait and why. */
export function describeStatefulSet(run: PlanRun, o: StatefulSetObject): Lines {
  const s = o.spec
  const {namespace, name} = o.metadata
  const hash = podTemplateHash(s.template)
  const v = statefulSetViews(run, {namespace}).find((x) => x.name === name)!
  const st = run.plan.rollouts.find((r) => r.kind === 'StatefulSet' && r.name === name && r.namespace === namespace)?.status
  const pods = run.observed.nodes.flatMap((n) => (n.reachable ? n.pods : [])).filter((p) => p.namespace === namespace && p.owner?.kind === 'StatefulSet' && p.owner.name === name)
  const waiting = run.plan.unschedulable.filter((u) => u.pod.namespace === namespace && u.pod.owner?.kind === 'StatefulSet' && u.pod.owner.name === name).map((u) => `${u.pod.name}: ${u.reason}`)
  const selector = [...kv(s.selector.matchLabels ?? {}), ...(s.selector.matchExpressions ?? []).map((e) => `${e.key} ${e.operator} (${(e.values ?? []).join(',')})`)]
  return block([
    ['Name', name],
    ['Namespace', namespace],
    ['Source', `${o.source.file}:${o.source.line}`],
    ['Selector', selector.join(',')],
    ['Labels', kv(o.metadata.labels)],
    ['Annotations', kv(o.metadata.annotations)],
    ['Replicas', `${s.replicas} desired | ${v.current} total`],
    ['Update Strategy', s.updateStrategy.type],
    ...(s.updateStrategy.type === 'RollingUpdate' ? [['  Partition', String(s.updateStrategy.partition)] as [string, string]] : []),
    ['Pod Management Policy', s.podManagementPolicy],
    ['Service Name', s.serviceName || '<none>'],
    ['Pods Status', `${pods.filter((p) => p.status === 'Running').length} Running / ${pods.filter((p) => p.status !== 'Running' && p.status !== 'Exited').length} Waiting / ${pods.filter((p) => p.status === 'Exited').length} Failed`],
    ['Pods', [...pods].sort((a, b) => a.name.localeCompare(b.name, 'en', {numeric: true})).map((p) => `${p.name} on ${p.node}: ${p.ready ? 'Ready' : (p.notReady ?? 'not ready')}${p.templateHash === hash ? '' : ' (older template)'}`)],
    ['Pod Template', s.template.spec.containers.map((x) => `${x.name}: ${x.image}`)],
    ['Volume Claims', s.volumeClaimTemplates.map((c) => `${c.name}: ${c.accessModes.join(',')}, ${formatAmount('storage', c.storage)}, StorageClass ${c.storageClassName ?? '<default>'} (claims ${c.name}-${name}-N)`)],
    ['Not Available', st?.notAvailable ?? []],
    ['Waiting', waiting],
  ])
}

export function describeNode(run: PlanRun, name: string): Lines {
  const n = run.desired.cluster.nodes.find((x) => x.name === name)!
  const o = run.observed.nodes.find((x) => x.node === name)
  const rec = o?.reachable ? o.record : undefined
  const res = nodeResources(n, o)
  return [
    ...block([
      ['Name', n.name],
      ['Address', `${n.address}:${n.port}`],
      ['Labels', kv(n.labels)],
      ['Taints', n.taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`)],
      ['Unschedulable', n.drain ? 'true (drained: its pods move to other nodes)' : String(n.unschedulable)],
      ['Status', !o ? 'Unknown' : o.reachable ? 'Ready' : `Unreachable (${o.reason})`],
      ['Data Dir', n.dataDir],
      ['Runs Commit', rec ? `${rec.commit.slice(0, 12)} "${rec.subject}" by ${rec.author}` : '<no record>'],
      ['Applied', rec ? `${rec.appliedAt} by ${rec.appliedBy}` : '<never>'],
    ]),
    'Capacity:',
    ...resourceLines(res.capacity),
    'Allocatable:',
    ...resourceLines(res.allocatable),
    ...nodePodLines(o, res),
    ...allocatedLines(res),
  ]
}

function volumeText(v: Volume): string {
  if ('emptyDir' in v) return `emptyDir${v.emptyDir.medium ? ` (${v.emptyDir.medium})` : ''}`
  if ('persistentVolumeClaim' in v) return `persistentVolumeClaim ${v.persistentVolumeClaim.claimName}${v.persistentVolumeClaim.readOnly ? ' (read-only)' : ''}`
  if ('configMap' in v) return `configMap ${v.configMap.name}${v.configMap.optional ? ' (optional)' : ''}`
  if ('secret' in v) return `secret ${v.secret.name}${v.secret.optional ? ' (optional)' : ''}`
  return `hostPath ${v.hostPath.path}${v.hostPath.type ? ` (${v.hostPath.type})` : ''}`
}
