import {Flags} from '@oclif/core'
import chalk from 'chalk'
import {KgitCommand, clusterFlags} from '../cli/base.js'
import {shortRev} from '../cli/render-plan.js'
import {statusJson, statusLines} from '../cli/render-status.js'
import {fetchMirror} from '../engine/gitops/mirror.js'
import {clusterStatus} from '../engine/gitops/status.js'
import {planRevision} from '../engine/session.js'

export default class Status extends KgitCommand {
  static override description = 'Which commit each node runs (from the records the nodes keep), whether git moved ahead, what drifted and what is pending, unreachable nodes. Exit 1 when the cluster is not in sync with git (a CI gate)'
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status -o json', '<%= config.bin %> status --remote origin --branch main']
  static override flags = {
    ...clusterFlags,
    output: Flags.string({char: 'o', options: ['text', 'json'], default: 'text', description: 'output format'}),
    remote: Flags.string({description: 'fetch this remote (URL or remote name) into the reconcile mirror first and compare with its --branch'}),
    branch: Flags.string({description: 'the branch of --remote', default: 'main'}),
    mirror: Flags.string({description: 'the bare mirror --remote is fetched into (as kgit reconcile --mirror)'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Status)
    this.debugMode = flags.debug
    const fetched = flags.remote ? await fetchMirror({remote: flags.remote, branch: flags.branch, dir: flags.dir, ...(flags.mirror ? {mirror: flags.mirror} : {})}) : undefined
    const {run} = await planRevision({dir: fetched?.mirror ?? flags.dir, revision: fetched?.commit ?? flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree']})
    const st = await clusterStatus(run)
    if (flags.output === 'json') this.log(JSON.stringify(statusJson(run, st), null, 2))
    else {
      for (const line of statusLines(run, st)) this.log(line)
      this.log(st.inSync ? chalk.green(`In sync with ${shortRev(st.revision)}.`) : chalk.yellow(`Out of sync with ${shortRev(st.revision)}: see kgit diff, kgit plan.`))
    }
    if (!st.inSync) this.exit(1)
  }
}
