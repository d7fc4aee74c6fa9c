import {Flags} from '@oclif/core'
import chalk from 'chalk'
import {KgitCommand, clusterFlags} from '../../cli/base.js'
import {identityFlags, identityOf} from '../../cli/identity-flags.js'
import {reconcileCheck} from '../../engine/auth.js'
import {formatPos} from '../../engine/errors.js'
import {denialMessage} from '../../engine/admission/chain.js'

export default class ReconcileCheck extends KgitCommand {
  static override description = `List every change a revision makes to the one the cluster runs, each with its verdict (exit 1 when any is refused)

Each object created, updated or deleted is authorized for whoever makes the change
(kgit auth whoami) by spec.authorization of the revision the cluster runs; Roles and
bindings are checked for escalation; then the admission plugins run. Nothing is changed.`
  static override examples = ['<%= config.bin %> auth reconcile-check', '<%= config.bin %> auth reconcile-check --revision feature --as alice']
  static override flags = {
    ...clusterFlags,
    ...identityFlags,
    output: Flags.string({char: 'o', options: ['text', 'json'], default: 'text', description: 'output format'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ReconcileCheck)
    this.debugMode = flags.debug
    const r = await reconcileCheck({dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree'], identity: identityOf(flags)})
    if (flags.output === 'json') {
      this.log(JSON.stringify({user: r.identity.user, groups: r.identity.groups, method: r.identity.method, commit: r.commit, runningCommit: r.runningCommit ?? null, changes: r.verdicts.map((v) => ({...v, pos: formatPos(v.pos)})), admission: r.admission.map((d) => ({...d, pos: formatPos(d.pos)}))}, null, 2))
    } else {
      this.log(`${r.identity.user} (${r.identity.method}): ${r.commit.slice(0, 12)} against ${r.runningCommit ? `${r.runningCommit.slice(0, 12)}, the revision the cluster runs` : 'nothing (no node record)'}`)
      for (const v of r.verdicts) {
        const what = `${v.verb} ${v.kind} ${v.namespace ? `${v.namespace}/` : ''}${v.name}`
        this.log(`${v.allowed ? chalk.green('allowed') : chalk.red('denied ')}  ${what}  ${chalk.dim(formatPos(v.pos))}`)
        this.log(chalk.dim(`         ${v.reasons.join('; ')}`))
      }
      for (const d of r.admission) this.log(`${chalk.red('denied ')}  ${denialMessage(d)}`)
      if (r.verdicts.length === 0) this.log('no changes')
      const refused = r.refusals.length
      this.log(`${r.verdicts.length} change${r.verdicts.length === 1 ? '' : 's'}, ${refused} refused`)
    }
    if (r.refusals.length > 0) this.exit(1)
  }
}
