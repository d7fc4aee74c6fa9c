import {Flags} from '@oclif/core'
import {planActions} from '../engine/plan/plan.js'
import chalk from 'chalk'
import {KgitCommand, clusterFlags} from '../cli/base.js'
import {shortRev} from '../cli/render-plan.js'
import {statusJson, statusLines} from '../cli/render-status.js'
import {planRevision} from '../engine/session.js'

export default class Status extends KgitCommand {
  static override description = 'Which commit each node runs (from the records the nodes keep), and whether the cluster matches git'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status -o json']
  static override flags = {
    ...clusterFlags,
    output: Flags.string({char: 'o', options: ['text', 'json'], default: 'text', description: 'output format'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Status)
    this.debugMode = flags.debug
    const {run} = await planRevision({dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree']})
    const inSync = planActions(run.plan).length === 0 && run.plan.waiting.length === 0 && run.plan.unreachable.length === 0 && run.plan.unschedulable.length === 0
    if (flags.output === 'json') this.log(JSON.stringify(statusJson(run, inSync), null, 2))
    else {
      for (const line of statusLines(run)) this.log(line)
      this.log(inSync ? chalk.green(`In sync with ${shortRev(run.plan.revision)}.`) : chalk.yellow(`Out of sync with ${shortRev(run.plan.revision)}: see kgit plan.`))
    }
    if (!inSync) this.exit(1)
  }
}
