import {KgitCommand} from '../cli/base.js'
import {nodeArgs, scheduleFlags, scheduleLines} from '../cli/node-schedule.js'
import {scheduleNode} from '../engine/node-schedule.js'

export default class Cordon extends KgitCommand {
  static override description = 'Mark a node unschedulable: commit `unschedulable: true` on it in kgit.yaml (its pods stay; kgit drain moves them)'
  static override examples = ['<%= config.bin %> cordon n2', '<%= config.bin %> cordon n2 --dry-run']
  static override args = nodeArgs
  static override flags = scheduleFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Cordon)
    this.debugMode = flags.debug
    const r = await scheduleNode({dir: flags.dir, node: args.node, action: 'cordon', dryRun: flags['dry-run']})
    for (const l of scheduleLines(r, flags['dry-run'])) this.log(l)
    if (r.changed && !flags['dry-run']) this.log('New pods are not placed on it from the next kgit apply; its pods stay (kgit drain moves them).')
  }
}
