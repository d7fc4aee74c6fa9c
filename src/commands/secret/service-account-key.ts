import {Args, Flags} from '@oclif/core'
import {KgitCommand} from '../../cli/base.js'
import {readRecipients, repoRoot, serviceAccountKey} from '../../engine/exec/secret-tools.js'

export default class SecretServiceAccountKey extends KgitCommand {
  static override description = 'Make the key that signs service account tokens, as an encrypted Secret manifest (kube-system/kgit-service-account-key); print its public key'
  static override examples = ['<%= config.bin %> secret service-account-key manifests/kube-system/service-account-key.yaml']
  static override args = {file: Args.string({required: true, description: 'manifest file to write (must not exist)'})}
  static override flags = {dir: Flags.string({char: 'C', description: 'run as if kgit was started in this directory', default: '.'})}

  async run(): Promise<void> {
    const {flags, args} = await this.parse(SecretServiceAccountKey)
    const recipients = await readRecipients(await repoRoot(flags.dir))
    this.log((await serviceAccountKey(args.file, recipients)).trim())
    this.logToStderr(`wrote ${args.file} (encrypted for ${recipients.length} recipient(s)); commit it`)
  }
}
