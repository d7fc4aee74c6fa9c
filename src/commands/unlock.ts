import {KgitCommand, clusterFlags} from '../cli/base.js'
import {unlockCluster} from '../engine/session.js'

export default class Unlock extends KgitCommand {
  static override description = 'Break the cluster lock left by a kgit run that died (shows who held it); only when that run is really gone'
  static override examples = ['<%= config.bin %> unlock']
  static override flags = {...clusterFlags}

  async run(): Promise<void> {
    const {flags} = await this.parse(Unlock)
    this.debugMode = flags.debug
    const held = await unlockCluster({dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree']})
    if (held.length === 0) this.log('The cluster was not locked.')
    for (const h of held) this.log(`node ${h.node}: removed the lock held by ${h.holder}`)
  }
}
