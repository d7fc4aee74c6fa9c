import {Args, Flags} from '@oclif/core'
import {KgitCommand, clusterFlags} from '../../cli/base.js'
import {historyJson, historyRows, revisionDetail, revisionJson} from '../../cli/render-rollout.js'
import {parseDeploymentArg, pickRevision} from '../../engine/controllers/rollout-history.js'
import {readHistory} from '../../engine/rollout.js'

export default class RolloutHistory extends KgitCommand {
  static override description = "A Deployment's revisions, read from the git log: one per pod template, numbered as Kubernetes numbers them"
  static override examples = ['<%= config.bin %> rollout history deployment/web -n shop', '<%= config.bin %> rollout history deploy/web --revision 3', '<%= config.bin %> rollout history deployment/web --commit v1.2 -o json']
  static override args = {
    resource: Args.string({required: true, description: 'deployment/NAME (also deploy/NAME, deployments/NAME)'}),
    name: Args.string({description: 'NAME, when the first argument is only "deployment"'}),
  }
  static override flags = {
    dir: clusterFlags.dir,
    cluster: clusterFlags.cluster,
    debug: clusterFlags.debug,
    commit: Flags.string({description: 'git revision to read the history back from', default: 'HEAD'}),
    namespace: Flags.string({char: 'n', description: 'namespace', default: 'default'}),
    revision: Flags.integer({description: "show this revision's pod template and commit", min: 1}),
    output: Flags.string({char: 'o', options: ['json'], description: 'output format'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RolloutHistory)
    this.debugMode = flags.debug
    const ref = {namespace: flags.namespace, name: parseDeploymentArg(args.resource, args.name)}
    const {history} = await readHistory({dir: flags.dir, revision: flags.commit, clusterFile: flags.cluster, ref})
    const one = flags.revision === undefined ? undefined : pickRevision(history, ref, flags.revision)
    if (flags.output === 'json') this.log(JSON.stringify(one ? revisionJson(one, true) : historyJson(ref, history), null, 2))
    else for (const line of one ? revisionDetail(ref, one) : historyRows(ref, history)) this.log(line)
  }
}
