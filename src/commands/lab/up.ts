import {Flags} from '@oclif/core'
import {KgitCommand} from '../../cli/base.js'
import {labUp} from '../../engine/exec/lab/index.js'

export default class LabUp extends KgitCommand {
  static override summary = 'Create a local lab: SSH nodes in network namespaces, each with its own podman'
  static override description =
    'Needs root. Creates a bridge kb-NAME, one network namespace per node with its own sshd and podman, loads a busybox image on every node, and writes a committed GitOps repository (kgit.yaml, known_hosts, manifests/) in --dir.'
  static override examples = ['<%= config.bin %> lab up', '<%= config.bin %> lab up --name e2e --nodes 5 --dir /tmp/e2e-repo']

  static override flags = {
    nodes: Flags.integer({summary: 'Number of nodes.', default: 3, min: 1}),
    dir: Flags.string({summary: 'Directory for the lab repository.', default: './kgit-lab'}),
    name: Flags.string({summary: 'Lab name, 1 to 8 of a-z0-9.', default: 'lab'}),
    subnet: Flags.string({summary: 'Range to take the lab addresses from.', default: '198.51.100.0/24'}),
    force: Flags.boolean({summary: 'Overwrite kgit.yaml and known_hosts in an existing --dir.', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(LabUp)
    await labUp({name: flags.name, nodes: flags.nodes, dir: flags.dir, subnet: flags.subnet, force: flags.force}, (line) => this.log(line))
  }
}
