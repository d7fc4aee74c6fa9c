import {Args, Flags} from '@oclif/core'
import {KgitCommand} from '../../cli/base.js'
import {editFile, readRecipients, repoRoot} from '../../engine/exec/secret-tools.js'

export default class SecretEdit extends KgitCommand {
  static override description = 'Decrypt a Secrets file into a private temporary file, open $EDITOR, encrypt the result back in place, and shred the temporary file'
  static override examples = ['<%= config.bin %> secret edit manifests/db-secret.yaml', 'EDITOR=nano <%= config.bin %> secret edit manifests/db-secret.yaml']
  static override args = {file: Args.string({required: true, description: 'YAML file holding Secrets'})}
  static override flags = {
    dir: Flags.string({char: 'C', description: 'run as if kgit was started in this directory', default: '.'}),
    'age-key-file': Flags.string({description: 'age identity file (default: $KGIT_AGE_KEY_FILE, else ~/.config/kgit/age.key)'}),
  }

  async run(): Promise<void> {
    const {flags, args} = await this.parse(SecretEdit)
    const recipients = await readRecipients(await repoRoot(flags.dir))
    const editor = process.env.VISUAL || process.env.EDITOR || 'vi'
    const r = await editFile(args.file, recipients, editor)
    this.log(r === 'changed' ? `${args.file}: encrypted again for ${recipients.length} recipient(s)` : `${args.file}: unchanged`)
  }
}
