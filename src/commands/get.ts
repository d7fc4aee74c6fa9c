import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'
import {KgitCommand, clusterFlags} from '../cli/base.js'
import {podRows, podsJson} from '../cli/render-pods.js'
import {observeCluster} from '../engine/session.js'
import {byText} from '../engine/order.js'

const POD_NAMES = ['pods', 'pod', 'po']

export default class Get extends KgitCommand {
  static override description = 'List live objects, read from the nodes (pods)'
  static override examples = ['<%= config.bin %> get pods', '<%= config.bin %> get pods -A -o wide', '<%= config.bin %> get pods -n shop -o json']
  static override args = {resource: Args.string({required: true, description: 'what to list: pods'})}
  static override flags = {
    ...clusterFlags,
    namespace: Flags.string({char: 'n', description: 'namespace', default: 'default'}),
    'all-namespaces': Flags.boolean({char: 'A', description: 'list across all namespaces', default: false}),
    output: Flags.string({char: 'o', options: ['wide', 'json'], description: 'output format'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Get)
    this.debugMode = flags.debug
    if (!POD_NAMES.includes(args.resource)) this.fail(`the server doesn't have a resource type "${args.resource}" (this kgit version lists: pods)`)
    const {observed, cluster} = await observeCluster({dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree']})
    const order = new Map(cluster.nodes.map((n, i) => [n.name, i]))
    const pods = observed.nodes
      .flatMap((n) => (n.reachable ? n.pods : []))
      .filter((p) => flags['all-namespaces'] || p.namespace === flags.namespace)
      .sort((a, b) => byText(a.namespace, b.namespace) || byText(a.name, b.name) || order.get(a.node)! - order.get(b.node)!)
    if (flags.output === 'json') this.log(JSON.stringify(podsJson(pods), null, 2))
    else if (pods.length === 0) this.logToStderr(flags['all-namespaces'] ? 'No resources found' : `No resources found in ${flags.namespace} namespace.`)
    else for (const line of podRows(pods, {allNamespaces: flags['all-namespaces'], wide: flags.output === 'wide'})) this.log(line)
    const down = observed.nodes.filter((n) => !n.reachable)
    for (const n of down) if (!n.reachable) this.logToStderr(chalk.red('error: ') + `node ${n.node} is unreachable: ${n.reason}; its pods are not listed`)
    if (down.length > 0) this.exit(1)
  }
}
