import {KgitCommand} from '../cli/base.js'
import {applyAfterArgv, applyAfterFlags, nodeArgs, scheduleLines} from '../cli/node-schedule.js'
import {scheduleNode} from '../engine/node-schedule.js'

export default class Drain extends KgitCommand {
  static override description = 'Move the pods off a node: commit `unschedulable: true` and `drain: true` on it in kgit.yaml, then apply'
  static override examples = ['<%= config.bin %> drain n2', '<%= config.bin %> drain n2 --no-apply', '<%= config.bin %> drain n2 --dry-run']
  static override args = nodeArgs
  static override flags = applyAfterFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Drain)
    this.debugMode = flags.debug
    const r = await scheduleNode({dir: flags.dir, node: args.node, action: 'drain', dryRun: flags['dry-run']})
    for (const l of scheduleLines(r, flags['dry-run'])) this.log(l)
    if (flags['dry-run']) return
    if (!flags.apply) return this.log('Not applied (--no-apply): run kgit apply to move its pods.')
    // Also when the node was already drained: the apply moves what is still there.
    await this.config.runCommand('apply', applyAfterArgv(flags))
  }
}
