import {Flags} from '@oclif/core'
import {KgitCommand} from '../../cli/base.js'
import {ageKeyFile} from '../../engine/exec/secrets.js'
import {keygen, recipientOf} from '../../engine/exec/secret-tools.js'

export default class SecretKeygen extends KgitCommand {
  static override description = 'Make an age identity that decrypts Secrets (file mode 0600; never overwrites one) and print its public recipient'
  static override examples = ['<%= config.bin %> secret keygen', '<%= config.bin %> secret recipients add $(<%= config.bin %> secret keygen --print-recipient)']
  static override flags = {
    'age-key-file': Flags.string({description: 'where to write the identity (default: $KGIT_AGE_KEY_FILE, else ~/.config/kgit/age.key)'}),
    'print-recipient': Flags.boolean({description: 'print the recipient of the existing identity instead of making one', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(SecretKeygen)
    const file = ageKeyFile()
    if (flags['print-recipient']) return this.log(await recipientOf(file))
    const recipient = await keygen(file)
    this.logToStderr(`wrote ${file} (keep it out of git; back it up)`)
    this.log(recipient)
  }
}
