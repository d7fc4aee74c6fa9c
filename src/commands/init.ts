import {Args, Flags} from '@oclif/core'
import {KgitCommand} from '../cli/base.js'
import {initRepo} from '../engine/exec/init.js'

export default class Init extends KgitCommand {
  static override description = 'Make a new GitOps repository: kgit.yaml with comments, known_hosts, an example app, .gitignore and a README, committed'
  static override examples = ['<%= config.bin %> init my-cluster', '<%= config.bin %> init . --no-commit']
  static override args = {dir: Args.string({description: 'directory of the new repository', default: '.'})}
  static override flags = {
    force: Flags.boolean({description: 'overwrite the template files in a directory that already has kgit.yaml', default: false}),
    commit: Flags.boolean({description: 'commit the new files', default: true, allowNo: true}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Init)
    const r = await initRepo({dir: args.dir, force: flags.force, commit: flags.commit})
    this.log(`Initialised a kgit repository in ${r.dir}${r.committed ? ' (committed)' : ''}:`)
    for (const f of r.files) this.log(`  ${f}`)
    this.log('Next: list your nodes in kgit.yaml, pin their host keys in known_hosts (ssh-keyscan, then check the fingerprints),')
    this.log('commit, then: kgit validate && kgit plan')
  }
}
