import {Flags} from '@oclif/core'
import {planActions} from '../engine/plan/plan.js'
import {identityFlags, identityOf} from '../cli/identity-flags.js'
import {KgitCommand, clusterFlags} from '../cli/base.js'
import {planJson, printLoadNotes} from '../cli/render-run.js'
import {renderPlan} from '../cli/render-plan.js'
import {planRevision} from '../engine/session.js'

export default class Plan extends KgitCommand {
  static override description = 'Show what apply would change on each node (reads the nodes, changes nothing)'
  static override examples = ['<%= config.bin %> plan', '<%= config.bin %> plan --revision main~1 --detailed-exitcode', '<%= config.bin %> plan -o json']
  static override flags = {
    ...clusterFlags,
    ...identityFlags,
    'detailed-exitcode': Flags.boolean({description: 'exit 2 when there are changes, 0 when there are none, 1 on errors', default: false}),
    output: Flags.string({char: 'o', options: ['text', 'json'], default: 'text', description: 'output format'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Plan)
    this.debugMode = flags.debug
    const {run} = await planRevision({dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree'], admission: true, identity: identityOf(flags)})
    if (flags.output === 'json') this.log(JSON.stringify(planJson(run), null, 2))
    else {
      printLoadNotes(run, (l) => this.logToStderr(l))
      for (const line of renderPlan(run.plan, run.desired.cluster.nodes.map((n) => n.name))) this.log(line)
    }
    if (run.plan.unreachable.length > 0 || run.plan.unschedulable.length > 0) this.exit(1)
    if (flags['detailed-exitcode'] && planActions(run.plan).length > 0) this.exit(2)
  }
}
