import {Args, Flags} from '@oclif/core'
import {KgitCommand} from '../../cli/base.js'
import {encryptFile, readRecipients, repoRoot} from '../../engine/exec/secret-tools.js'

export default class SecretEncrypt extends KgitCommand {
  static override description = 'Encrypt the plaintext values of the Secrets in YAML files, in place, for the recipients in .kgit-recipients'
  static override examples = ['<%= config.bin %> secret encrypt manifests/db-secret.yaml', '<%= config.bin %> secret encrypt --reencrypt manifests/*.yaml']
  static override strict = false
  static override args = {files: Args.string({required: true, description: 'YAML files holding Secrets (repeatable)'})}
  static override flags = {
    dir: Flags.string({char: 'C', description: 'run as if kgit was started in this directory', default: '.'}),
    reencrypt: Flags.boolean({description: 'also decrypt and encrypt again the values already encrypted (after the recipients changed; needs your key)', default: false}),
    'age-key-file': Flags.string({description: 'age identity file, for --reencrypt (default: $KGIT_AGE_KEY_FILE, else ~/.config/kgit/age.key)'}),
  }

  async run(): Promise<void> {
    const {flags, argv} = await this.parse(SecretEncrypt)
    const recipients = await readRecipients(await repoRoot(flags.dir))
    for (const file of argv as string[]) {
      const r = await encryptFile(file, recipients, {reencrypt: flags.reencrypt})
      this.log(r.count === 0 ? `${file}: nothing to encrypt` : `${file}: encrypted ${r.count} value(s) of ${r.secrets.join(', ')} for ${recipients.length} recipient(s)`)
    }
  }
}
