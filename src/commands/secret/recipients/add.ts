import {Args, Flags} from '@oclif/core'
import {KgitCommand} from '../../../cli/base.js'
import {editRecipients, RECIPIENTS_FILE, repoRoot} from '../../../engine/exec/secret-tools.js'

export default class SecretRecipientsAdd extends KgitCommand {
  static override description = 'Add an age recipient to .kgit-recipients (then run kgit secret encrypt --reencrypt on your Secrets files)'
  static override examples = ['<%= config.bin %> secret recipients add age1...']
  static override args = {recipient: Args.string({required: true, description: 'age recipient (age1...)'})}
  static override flags = {dir: Flags.string({char: 'C', description: 'run as if kgit was started in this directory', default: '.'})}

  async run(): Promise<void> {
    const {flags, args} = await this.parse(SecretRecipientsAdd)
    const changed = await editRecipients(await repoRoot(flags.dir), args.recipient, false)
    this.log(changed ? `${RECIPIENTS_FILE}: added ${args.recipient}; re-encrypt the Secrets files: kgit secret encrypt --reencrypt FILE...` : `${RECIPIENTS_FILE}: ${args.recipient} is there already`)
  }
}
