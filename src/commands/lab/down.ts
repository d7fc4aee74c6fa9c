import {Flags} from '@oclif/core'
import {KgitCommand} from '../../cli/base.js'
import {labDown} from '../../engine/exec/lab/index.js'

export default class LabDown extends KgitCommand {
  static override summary = 'Remove a lab: its containers, sshd processes, namespaces, links and state (not its repository)'
  static override examples = ['<%= config.bin %> lab down', '<%= config.bin %> lab down --name e2e']

  static override flags = {
    name: Flags.string({summary: 'Lab name.', default: 'lab'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(LabDown)
    await labDown({name: flags.name}, (line) => this.log(line))
  }
}
