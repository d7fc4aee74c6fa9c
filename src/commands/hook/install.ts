import {Flags} from '@oclif/core'
import {KgitCommand} from '../../cli/base.js'
import {installHooks} from '../../engine/gitops/hooks.js'

export default class HookInstall extends KgitCommand {
  static override description = 'Install kgit\'s pre-receive hook (validation, authorization and admission of every pushed commit; a refused push changes nothing) and post-receive hook (applies the new head and reports to the pusher) into a bare repository'
  static override examples = ['<%= config.bin %> hook install --git-dir /srv/git/cluster.git', '<%= config.bin %> hook install --git-dir /var/lib/gitea/repos/ops/cluster.git --layout d --kgit /usr/local/bin/kgit']
  static override flags = {
    'git-dir': Flags.string({description: 'the bare repository pushes arrive in', required: true}),
    branch: Flags.string({description: 'the branch the cluster follows', default: 'main'}),
    kgit: Flags.string({description: 'how the hooks start kgit (default: this node and this kgit, by absolute path)'}),
    layout: Flags.string({description: 'plain: hooks/pre-receive and hooks/post-receive; d: hooks/pre-receive.d/kgit and hooks/post-receive.d/kgit (Gitea, Forgejo, chained hooks)', options: ['plain', 'd'], default: 'plain'}),
    force: Flags.boolean({description: 'replace hooks that kgit did not write', default: false}),
    debug: Flags.boolean({description: 'show stack traces of errors', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(HookInstall)
    this.debugMode = flags.debug
    const written = await installHooks({gitDir: flags['git-dir'], branch: flags.branch, kgit: flags.kgit ?? [process.execPath, process.argv[1]!], layout: flags.layout as 'plain' | 'd', force: flags.force})
    for (const w of written) this.log(`installed ${w}`)
    this.log(`pushes to ${flags.branch} are now checked before they are accepted and applied after; the apply log is ${written.log}`)
  }
}
