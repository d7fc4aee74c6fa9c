import {Args, Flags} from '@oclif/core'
import {describeService} from '../cli/render-services.js'
import {serviceViews} from '../cli/service-views.js'
import {KgitCommand, clusterFlags} from '../cli/base.js'
import {describeDaemonSet, describeDeployment, describeNode, describePod, describeStatefulSet} from '../cli/render-describe.js'
import {describeJob} from '../cli/render-jobs.js'
import {cronChildJob, describeCronJob} from '../cli/render-cron-jobs.js'
import {describeNamespace, findNamespace} from '../cli/render-namespace.js'
import {replicaSetRows, replicaSetViews} from '../cli/render-workloads.js'
import {planRevision} from '../engine/session.js'
import {describeClaim, storageState} from '../cli/render-storage.js'

const KINDS: Record<string, 'pod' | 'deployment' | 'replicaset' | 'daemonset' | 'statefulset' | 'job' | 'cronjob' | 'node' | 'namespace' | 'pvc' | 'service'> = {
  pod: 'pod', pods: 'pod', po: 'pod',
  deployment: 'deployment', deployments: 'deployment', deploy: 'deployment',
  replicaset: 'replicaset', replicasets: 'replicaset', rs: 'replicaset', rc: 'replicaset', replicationcontroller: 'replicaset',
  daemonset: 'daemonset', daemonsets: 'daemonset', ds: 'daemonset',
  statefulset: 'statefulset', statefulsets: 'statefulset', sts: 'statefulset',
  job: 'job', jobs: 'job', 'jobs.batch': 'job',
  cronjob: 'cronjob', cronjobs: 'cronjob', cj: 'cronjob', 'cronjobs.batch': 'cronjob',
  node: 'node', nodes: 'node', no: 'node',
  namespace: 'namespace', namespaces: 'namespace', ns: 'namespace',
  pvc: 'pvc', persistentvolumeclaim: 'pvc', persistentvolumeclaims: 'pvc',
  service: 'service', services: 'service', svc: 'service',
}

export default class Describe extends KgitCommand {
  static override description = 'Show one object in detail: what git says and what the nodes run (pods, deployments, replicasets, daemonsets, statefulsets, jobs, cronjobs, nodes, namespaces, services)'
  static override examples = ['<%= config.bin %> describe pod web-55cf674f6-f8b54', '<%= config.bin %> describe deployment web -n shop', '<%= config.bin %> describe deploy/web', '<%= config.bin %> describe node n1', '<%= config.bin %> describe namespace shop']
  static override args = {
    kind: Args.string({required: true, description: 'pod, deployment, replicaset, daemonset, statefulset, job, cronjob, node, namespace, pvc, service (or KIND/NAME)'}),
    name: Args.string({description: 'its name'}),
  }
  static override flags = {...clusterFlags, namespace: Flags.string({char: 'n', description: 'namespace', default: 'default'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Describe)
    this.debugMode = flags.debug
    const [k, n] = args.name === undefined && args.kind.includes('/') ? args.kind.split('/', 2) : [args.kind, args.name]
    const kind = KINDS[(k ?? '').toLowerCase()]
    if (!kind) this.fail(`the server doesn't have a resource type "${k}" (kgit describes: pods, deployments, replicasets, daemonsets, statefulsets, jobs, cronjobs, nodes, namespaces, pvc, services)`)
    if (!n) this.fail(`name the ${kind} to describe: kgit describe ${kind} NAME`)
    const ns = flags.namespace
    const {run} = await planRevision({dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree']})
    const notFound = (what: string): never => this.fail(`Error from server (NotFound): ${what} "${n}" not found${kind === 'node' || kind === 'namespace' ? '' : ` in namespace ${ns}`}`)
    let lines: string[] = []
    if (kind === 'pod') {
      const p = run.observed.nodes.flatMap((o) => (o.reachable ? o.pods : [])).find((x) => x.name === n && x.namespace === ns)
      if (!p) notFound('pods')
      lines = describePod(run, p!)
    } else if (kind === 'deployment') {
      const d = run.desired.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === n && o.metadata.namespace === ns)
      if (!d || d.kind !== 'Deployment') return notFound('deployments.apps')
      lines = describeDeployment(run, d)
    } else if (kind === 'replicaset') {
      const views = replicaSetViews(run, {namespace: ns}).filter((r) => r.name === n)
      if (views.length === 0) notFound('replicasets.apps')
      lines = [...replicaSetRows(views, false), ...views.map((v) => `Controlled By: ${v.owner ?? '<none>'}`)]
    } else if (kind === 'daemonset') {
      const d = run.desired.objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === n && o.metadata.namespace === ns)
      if (!d || d.kind !== 'DaemonSet') return notFound('daemonsets.apps')
      lines = describeDaemonSet(run, d)
    } else if (kind === 'statefulset') {
      const d = run.desired.objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === n && o.metadata.namespace === ns)
      if (!d || d.kind !== 'StatefulSet') return notFound('statefulsets.apps')
      lines = describeStatefulSet(run, d)
    } else if (kind === 'service') {
      const v = serviceViews(run, ns).find((x) => x.svc.metadata.name === n)
      if (!v) return notFound('services')
      lines = describeService(v)
    } else if (kind === 'pvc') {
      lines = describeClaim(storageState(run), ns, n!) ?? notFound('persistentvolumeclaims')
    } else if (kind === 'job') {
      const d = run.desired.objects.find((o) => o.kind === 'Job' && o.metadata.name === n && o.metadata.namespace === ns) ?? cronChildJob(run, ns, n!)
      if (!d || d.kind !== 'Job') return notFound('jobs.batch')
      lines = describeJob(run, d)
    } else if (kind === 'cronjob') {
      const d = run.desired.objects.find((o) => o.kind === 'CronJob' && o.metadata.name === n && o.metadata.namespace === ns)
      if (!d || d.kind !== 'CronJob') return notFound('cronjobs.batch')
      lines = describeCronJob(run, d)
    } else if (kind === 'namespace') {
      const found = findNamespace(run.desired.objects, n!)
      if (!found) return notFound('namespaces')
      lines = describeNamespace(run, found)
    } else {
      if (!run.desired.cluster.nodes.some((x) => x.name === n)) notFound('nodes')
      lines = describeNode(run, n!)
    }
    for (const l of lines) this.log(l)
    for (const u of run.plan.unreachable) this.logToStderr(`warning: node ${u.node} is unreachable: ${u.reason}`)
  }
}
