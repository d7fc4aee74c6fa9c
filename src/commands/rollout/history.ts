import {Flags} from '@oclif/core'
import {KgitCommand, clusterFlags} from '../../cli/base.js'
import {deploymentArgs, namespaceFlag} from '../../cli/rollout-args.js'
import {historyJson, historyRows, revisionDetail, revisionJson} from '../../cli/render-rollout.js'
import {parseDeploymentArg, pickRevision} from '../../engine/controllers/rollout-history.js'
import {readHistory} from '../../engine/rollout.js'

export default class RolloutHistory extends KgitCommand {
  static override description = "A Deployment's revisions, read from the git log: one per pod template, numbered as Kubernetes numbers them"
  static override examples = ['<%= config.bin %> rollout history deployment/web -n shop', '<%= config.bin %> rollout history deploy/web --revision 3', '<%= config.bin %> rollout history deployment/web --commit v1.2 -o json']
  static override args = deploymentArgs
  static override flags = {
    dir: clusterFlags.dir,
    cluster: clusterFlags.cluster,
    debug: clusterFlags.debug,
    commit: Flags.string({description: 'git revision to read the history back from', default: 'HEAD'}),
    namespace: namespaceFlag,
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
