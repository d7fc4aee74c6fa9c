import {Args, Flags, Interfaces} from '@oclif/core'
import chalk from 'chalk'
import {KgitCommand, clusterFlags} from '../cli/base.js'
import {podRows, podsJson} from '../cli/render-pods.js'
import {nodesJson} from '../cli/render-resources.js'
import {type Filter, daemonSetRows, daemonSetViews, deploymentRows, deploymentViews, nodeRows, replicaSetRows, replicaSetViews, statefulSetRows, statefulSetViews} from '../cli/render-workloads.js'
import {jobRows, jobViews} from '../cli/render-jobs.js'
import {cronJobRows, cronJobViews} from '../cli/render-cron-jobs.js'
import {observeCluster, planRevision, type PlanRun} from '../engine/session.js'
import {pvRows, pvcRows, storageClassRows, storageState} from '../cli/render-storage.js'
import {endpointsRows, serviceRows} from '../cli/render-services.js'
import {serviceViews} from '../cli/service-views.js'
import {byText} from '../engine/order.js'
import type {NodeObservation} from '../engine/types.js'

type StorageKind = 'pv' | 'pvc' | 'storageclasses'
const STORAGE_RESOURCES: Record<string, StorageKind> = {pv: 'pv', persistentvolume: 'pv', persistentvolumes: 'pv', pvc: 'pvc', persistentvolumeclaim: 'pvc', persistentvolumeclaims: 'pvc', sc: 'storageclasses', storageclass: 'storageclasses', storageclasses: 'storageclasses', 'storageclasses.storage.k8s.io': 'storageclasses'}

/** kubectl's names and short names for what kgit lists. */
const RESOURCES: Record<string, 'pods' | 'deployments' | 'replicasets' | 'daemonsets' | 'statefulsets' | 'jobs' | 'cronjobs' | 'nodes' | 'services' | 'endpoints' | StorageKind> = {
  pods: 'pods', pod: 'pods', po: 'pods',
  services: 'services', service: 'services', svc: 'services', endpoints: 'endpoints', endpoint: 'endpoints', ep: 'endpoints',
  deployments: 'deployments', deployment: 'deployments', deploy: 'deployments', 'deployments.apps': 'deployments',
  replicasets: 'replicasets', replicaset: 'replicasets', rs: 'replicasets', replicationcontrollers: 'replicasets', replicationcontroller: 'replicasets', rc: 'replicasets',
  daemonsets: 'daemonsets', daemonset: 'daemonsets', ds: 'daemonsets', 'daemonsets.apps': 'daemonsets',
  statefulsets: 'statefulsets', statefulset: 'statefulsets', sts: 'statefulsets', 'statefulsets.apps': 'statefulsets',
  jobs: 'jobs', job: 'jobs', 'jobs.batch': 'jobs',
  cronjobs: 'cronjobs', cronjob: 'cronjobs', cj: 'cronjobs', 'cronjobs.batch': 'cronjobs',
  nodes: 'nodes', node: 'nodes', no: 'nodes',
  ...STORAGE_RESOURCES,
}

type Workload = 'deployments' | 'replicasets' | 'daemonsets' | 'statefulsets' | 'jobs' | 'cronjobs'

function workloadRows(kind: Workload, run: PlanRun, f: Filter, all: boolean): string[] {
  if (kind === 'jobs') return jobRows(jobViews(run, f), all)
  if (kind === 'cronjobs') return cronJobRows(cronJobViews(run, f), all)
  if (kind === 'deployments') return deploymentRows(deploymentViews(run, f), all)
  if (kind === 'statefulsets') return statefulSetRows(statefulSetViews(run, f), all)
  return kind === 'daemonsets' ? daemonSetRows(daemonSetViews(run, f), all) : replicaSetRows(replicaSetViews(run, f), all)
}

export default class Get extends KgitCommand {
  static override description = 'List live objects, read from the nodes: pods, deployments, replicasets (and replicationcontrollers), daemonsets, statefulsets, jobs, cronjobs, nodes, services (svc), endpoints (ep), persistentvolumes (pv), persistentvolumeclaims (pvc), storageclasses (sc)'
  static override examples = ['<%= config.bin %> get pods', '<%= config.bin %> get pods -A -o wide', '<%= config.bin %> get deploy -n shop', '<%= config.bin %> get rs', '<%= config.bin %> get ds -A', '<%= config.bin %> get sts', '<%= config.bin %> get jobs', '<%= config.bin %> get cronjobs', '<%= config.bin %> get pvc', '<%= config.bin %> get svc,endpoints', '<%= config.bin %> get endpoints -A', '<%= config.bin %> get nodes -o wide']
  static override args = {resource: Args.string({required: true, description: 'what to list: pods (po), deployments (deploy), replicasets (rs, rc), daemonsets (ds), statefulsets (sts), jobs, cronjobs (cj), nodes (no), services (svc), endpoints (ep), pv, pvc, storageclasses (sc)'})}
  static override flags = {
    ...clusterFlags,
    namespace: Flags.string({char: 'n', description: 'namespace', default: 'default'}),
    'all-namespaces': Flags.boolean({char: 'A', description: 'list across all namespaces', default: false}),
    output: Flags.string({char: 'o', options: ['wide', 'json'], description: 'output format'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Get)
    this.debugMode = flags.debug
    // kubectl's `get svc,endpoints`: each kind in turn, a blank line between.
    const parts = args.resource.split(',').filter(Boolean)
    for (const [i, part] of parts.entries()) {
      if (i > 0) this.log('')
      await this.list(part, flags)
    }
  }

  private async list(resource: string, flags: Interfaces.InferredFlags<typeof Get.flags>): Promise<void> {
    const args = {resource}
    const kind = RESOURCES[args.resource.toLowerCase()]
    if (!kind) this.fail(`the server doesn't have a resource type "${args.resource}" (kgit lists: pods, deployments, replicasets, replicationcontrollers, daemonsets, statefulsets, jobs, cronjobs, nodes, services, endpoints, pv, pvc, storageclasses)`)
    const all = flags['all-namespaces']
    const opts = {dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree']}
    const empty = (): void => this.logToStderr(all || kind === 'nodes' ? 'No resources found' : `No resources found in ${flags.namespace} namespace.`)
    if (kind === 'pods') {
      const {observed, cluster} = await observeCluster(opts)
      const order = new Map(cluster.nodes.map((n, i) => [n.name, i]))
      const pods = observed.nodes
        .flatMap((n) => (n.reachable ? n.pods : []))
        .filter((p) => all || p.namespace === flags.namespace)
        .sort((a, b) => byText(a.namespace, b.namespace) || byText(a.name, b.name) || order.get(a.node)! - order.get(b.node)!)
      if (flags.output === 'json') this.log(JSON.stringify(podsJson(pods), null, 2))
      else if (pods.length === 0) empty()
      else for (const line of podRows(pods, {allNamespaces: all, wide: flags.output === 'wide'})) this.log(line)
      return this.unreachable(observed.nodes)
    }
    // Workloads need the revision too: what they should be is in git, what runs is on the nodes.
    const {run} = await planRevision(opts)
    const f = all ? {} : {namespace: flags.namespace}
    if (kind === 'pv' || kind === 'pvc' || kind === 'storageclasses') return this.storage(kind, run, all ? undefined : flags.namespace, flags.output)
    if (kind === 'services' || kind === 'endpoints') {
      const views = serviceViews(run, all ? undefined : flags.namespace)
      if (flags.output === 'json') this.log(JSON.stringify(views.map((v) => ({namespace: v.svc.metadata.namespace, name: v.svc.metadata.name, type: v.svc.spec.type, clusterIP: v.clusterIP ?? v.svc.spec.clusterIP, ready: v.ready, notReady: v.notReady})), null, 2))
      else if (views.length === 0) empty()
      else for (const line of kind === 'services' ? serviceRows(views, {allNamespaces: all, wide: flags.output === 'wide'}) : endpointsRows(views, {allNamespaces: all})) this.log(line)
      return this.unreachable(run.observed.nodes)
    }
    if (kind === 'nodes') {
      if (flags.output === 'json') this.log(JSON.stringify(nodesJson(run), null, 2))
      else for (const line of nodeRows(run, flags.output === 'wide')) this.log(line)
      return this.unreachable(run.observed.nodes)
    }
    const views = kind === 'cronjobs' ? cronJobViews(run, f) : kind === 'jobs' ? jobViews(run, f) : kind === 'deployments' ? deploymentViews(run, f) : kind === 'daemonsets' ? daemonSetViews(run, f) : kind === 'statefulsets' ? statefulSetViews(run, f) : replicaSetViews(run, f)
    if (flags.output === 'json') this.log(JSON.stringify(views, null, 2))
    else if (views.length === 0) empty()
    else for (const line of workloadRows(kind, run, f, all)) this.log(line)
    this.unreachable(run.observed.nodes)
  }

  private storage(kind: StorageKind, run: PlanRun, namespace: string | undefined, output: string | undefined): void {
    const s = storageState(run)
    const lines = kind === 'pv' ? pvRows(s, output === 'wide') : kind === 'pvc' ? pvcRows(s, namespace, output === 'wide') : storageClassRows(run, s)
    if (output === 'json') this.log(JSON.stringify(kind === 'pv' ? s.volumes : kind === 'pvc' ? [...s.claims.values()].filter((b) => !namespace || b.claim.metadata.namespace === namespace).map(({claim, ...b}) => ({namespace: claim.metadata.namespace, name: claim.metadata.name, ...b})) : run.desired.objects.filter((o) => o.kind === 'StorageClass'), null, 2))
    else if (lines.length <= 1) this.logToStderr(namespace === undefined || kind !== 'pvc' ? 'No resources found' : `No resources found in ${namespace} namespace.`)
    else for (const line of lines) this.log(line)
    this.unreachable(run.observed.nodes)
  }

  private unreachable(nodes: NodeObservation[]): void {
    const down = nodes.filter((n) => !n.reachable)
    for (const n of down) if (!n.reachable) this.logToStderr(chalk.red('error: ') + `node ${n.node} is unreachable: ${n.reason}; its pods are not listed`)
    if (down.length > 0) this.exit(1)
  }
}
