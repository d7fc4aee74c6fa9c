import {KgitCommand} from '../../cli/base.js'
import {applyAfterArgv, applyAfterFlags, nodeArgs, scheduleLines} from '../../cli/node-schedule.js'
import {forgetNode} from '../../engine/node-schedule.js'

export default class NodeForget extends KgitCommand {
  static override description = [
    'Say a node is gone for good: commit kgit.yaml without it (as kubectl delete node), then apply.',
    'What the records place on it (StatefulSet ordinals, bare Pods) then starts on other nodes; kgit never starts those elsewhere while a node only fails to answer.',
    'kgit no longer connects to it: use this only for a machine that is dead or wiped, since anything it still runs keeps running.',
  ].join(' ')
  static override examples = ['<%= config.bin %> node forget n3', '<%= config.bin %> node forget n3 --dry-run', '<%= config.bin %> node forget n3 --no-apply']
  static override args = nodeArgs
  static override flags = applyAfterFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(NodeForget)
    this.debugMode = flags.debug
    const r = await forgetNode({dir: flags.dir, node: args.node, dryRun: flags['dry-run']})
    for (const l of scheduleLines(r, flags['dry-run'])) this.log(l)
    if (flags['dry-run']) return
    this.log(`kgit no longer looks at ${args.node}. If the machine comes back, stop its pods or add it back to kgit.yaml (kgit then removes copies the records place elsewhere).`)
    if (!flags.apply) return this.log('Not applied (--no-apply): run kgit apply to start its pods elsewhere.')
    await this.config.runCommand('apply', applyAfterArgv(flags))
  }
}
