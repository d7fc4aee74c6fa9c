import {Flags} from '@oclif/core'
import {KgitCommand} from '../../cli/base.js'
import {table} from '../../cli/table.js'
import chalk from 'chalk'
import {labStatus, type LabNodeStatus, type LabStatusReport} from '../../engine/exec/lab/index.js'

const mark = (ok: boolean, text = 'ok'): string => (ok ? chalk.green(text) : chalk.red('FAIL'))

function nodeRow(n: LabNodeStatus): string[] {
  const ctrs = n.containers === undefined ? '-' : `${n.containers} (${n.running ?? 0} running)`
  return [n.name, n.address, mark(n.netns), mark(n.sshdPid !== undefined, `ok (${n.sshdPid})`), mark(n.port22), ctrs]
}

function render(r: LabStatusReport): string[] {
  if (!r.subnet) return r.problems
  const head = `lab ${r.name}: ${r.up ? 'up' : r.phase}, subnet ${r.subnet}, gateway ${r.gateway} (${r.bridge}), repo ${r.repoDir}`
  const rows = table([['NODE', 'ADDRESS', 'NETNS', 'SSHD', 'PORT 22', 'CONTAINERS'], ...r.nodes.map(nodeRow)])
  const problems = [...r.problems, ...r.nodes.flatMap((n) => n.problems.map((p) => `${n.name}: ${p}`))]
  return [head, ...rows, ...problems.map((p) => chalk.red(p))]
}

export default class LabStatus extends KgitCommand {
  static override summary = 'Show whether a lab is up and each node healthy (exit 1 otherwise)'
  static override examples = ['<%= config.bin %> lab status', '<%= config.bin %> lab status --name e2e -o json']

  static override flags = {
    name: Flags.string({summary: 'Lab name.', default: 'lab'}),
    output: Flags.string({char: 'o', summary: 'Output format.', options: ['text', 'json'], default: 'text'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(LabStatus)
    const report = await labStatus({name: flags.name})
    if (flags.output === 'json') this.log(JSON.stringify(report, null, 2))
    else for (const line of render(report)) this.log(line)
    if (!report.healthy) this.exit(1)
  }
}
