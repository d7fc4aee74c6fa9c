import {KgitCommand} from '../cli/base.js'
import {nodeArgs, scheduleFlags, scheduleLines} from '../cli/node-schedule.js'
import {scheduleNode} from '../engine/node-schedule.js'

export default class Uncordon extends KgitCommand {
  static override description = 'Mark a node schedulable again: commit kgit.yaml without its `unschedulable` and `drain`'
  static override examples = ['<%= config.bin %> uncordon n2']
  static override args = nodeArgs
  static override flags = scheduleFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Uncordon)
    this.debugMode = flags.debug
    const r = await scheduleNode({dir: flags.dir, node: args.node, action: 'uncordon', dryRun: flags['dry-run']})
    for (const l of scheduleLines(r, flags['dry-run'])) this.log(l)
    if (r.changed && !flags['dry-run']) this.log('Pods may be placed on it again from the next kgit apply.')
  }
}
