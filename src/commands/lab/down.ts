import {Command, Flags} from '@oclif/core'
import {labDown} from '../../engine/exec/lab/index.js'

export default class LabDown extends Command {
  static override summary = 'Remove a lab: its containers, sshd processes, namespaces, links and state (not its repository)'
  static override examples = ['<%= config.bin %> lab down', '<%= config.bin %> lab down --name e2e']

  static override flags = {
    name: Flags.string({summary: 'Lab name.', default: 'lab'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(LabDown)
    try {
      await labDown({name: flags.name}, (line) => this.log(line))
    } catch (error) {
      this.logToStderr((error as Error).message)
      this.exit(1)
    }
  }
}
