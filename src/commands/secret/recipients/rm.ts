import {Args, Flags} from '@oclif/core'
import {KgitCommand} from '../../../cli/base.js'
import {editRecipients, RECIPIENTS_FILE, repoRoot} from '../../../engine/exec/secret-tools.js'

export default class SecretRecipientsRm extends KgitCommand {
  static override description = 'Remove an age recipient from .kgit-recipients (then run kgit secret encrypt --reencrypt on your Secrets files, and rotate the values that recipient knew)'
  static override examples = ['<%= config.bin %> secret recipients rm age1...']
  static override args = {recipient: Args.string({required: true, description: 'age recipient (age1...)'})}
  static override flags = {dir: Flags.string({char: 'C', description: 'run as if kgit was started in this directory', default: '.'})}

  async run(): Promise<void> {
    const {flags, args} = await this.parse(SecretRecipientsRm)
    const changed = await editRecipients(await repoRoot(flags.dir), args.recipient, true)
    this.log(changed ? `${RECIPIENTS_FILE}: removed ${args.recipient}; re-encrypt the Secrets files: kgit secret encrypt --reencrypt FILE...` : `${RECIPIENTS_FILE}: ${args.recipient} is not there`)
  }
}
