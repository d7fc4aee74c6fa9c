import {Flags} from '@oclif/core'
import {KgitCommand} from '../cli/base.js'
import {nodeArgs, scheduleFlags, scheduleLines} from '../cli/node-schedule.js'
import {scheduleNode} from '../engine/node-schedule.js'

export default class Drain extends KgitCommand {
  static override description = 'Move the pods off a node: commit `unschedulable: true` and `drain: true` on it in kgit.yaml, then apply'
  static override examples = ['<%= config.bin %> drain n2', '<%= config.bin %> drain n2 --no-apply', '<%= config.bin %> drain n2 --dry-run']
  static override args = nodeArgs
  static override flags = {
    ...scheduleFlags,
    apply: Flags.boolean({description: 'run kgit apply after the commit (--no-apply: only commit)', default: true, allowNo: true}),
    'lock-timeout': Flags.string({description: 'passed to kgit apply: how long to wait for the cluster lock'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Drain)
    this.debugMode = flags.debug
    const r = await scheduleNode({dir: flags.dir, node: args.node, action: 'drain', dryRun: flags['dry-run']})
    for (const l of scheduleLines(r, flags['dry-run'])) this.log(l)
    if (flags['dry-run']) return
    if (!flags.apply) return this.log('Not applied (--no-apply): run kgit apply to move its pods.')
    // Also when the node was already drained: the apply moves what is still there.
    const argv = ['-C', flags.dir, ...(flags['lock-timeout'] ? ['--lock-timeout', flags['lock-timeout']] : []), ...(flags.debug ? ['--debug'] : [])]
    await this.config.runCommand('apply', argv)
  }
}
