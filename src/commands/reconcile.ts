import {Flags} from '@oclif/core'
import chalk from 'chalk'
import {KgitCommand, clusterFlags, formatError} from '../cli/base.js'
import {shortRev} from '../cli/render-plan.js'
import {printLoadNotes} from '../cli/render-run.js'
import {ClusterLockedError} from '../engine/errors.js'
import {planSummary} from '../engine/plan/plan.js'
import {applyRevision} from '../engine/session.js'

/** Exit codes of `kgit reconcile --once` (README, Commands). */
export const RECONCILE_EXIT = {ok: 0, failed: 1, locked: 3} as const

export default class Reconcile extends KgitCommand {
  static override description = `Converge the nodes to the repository's revision once, for cron or a systemd timer: quiet when nothing changed, one line when something was done. Exit codes: 0 done or nothing to do, 1 errors, ${RECONCILE_EXIT.locked} another run holds the cluster lock (nothing was done)`
  static override examples = ['<%= config.bin %> reconcile --once -C /srv/cluster-repo']
  static override flags = {
    ...clusterFlags,
    once: Flags.boolean({description: 'reconcile once and exit (--watch is not built yet)', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Reconcile)
    this.debugMode = flags.debug
    if (!flags.once) this.fail('kgit reconcile needs --once (--watch is not built yet)')
    const started = Date.now()
    try {
      const {run, result, final} = await applyRevision(
        {dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree'], lock: {timeoutMs: 0, command: 'kgit reconcile --once', onNote: (l) => this.logToStderr(l)}},
        // Jobs are not waited for: the next reconcile goes on with them (a cron minute apart).
        {onEvent: () => {}, jobWaitMs: 0, beforeApply: (r) => printLoadNotes(r, (l) => this.logToStderr(l))},
      )
      for (const u of final.unreachable) this.logToStderr(chalk.red('error: ') + `node ${u.node} is unreachable: ${u.reason}; its pods were left as they are`)
      for (const u of final.unschedulable) this.logToStderr(chalk.red('error: ') + `pod ${u.pod.namespace}/${u.pod.name} cannot be scheduled: ${u.reason}`)
      for (const f of result.failed) this.logToStderr(formatError(f.error, flags.debug))
      const crons = run.plan.cronJobs.flatMap((c) => (c.step.start ? [`cronjob ${c.namespace}/${c.name} started job ${c.step.start.name}`] : []))
      if (result.done.length > 0 || result.failed.length > 0) {
        const s = planSummary({actions: result.done})
        const secs = ((Date.now() - started) / 1000).toFixed(1)
        this.log([`reconciled ${shortRev(run.plan.revision)}: ${s.create} created, ${s.replace} replaced, ${s.delete} removed${result.failed.length ? `, ${result.failed.length} failed` : ''} in ${secs}s`, ...crons].join('; '))
      }
      if (result.failed.length > 0 || final.unreachable.length > 0 || final.unschedulable.length > 0) this.exit(RECONCILE_EXIT.failed)
    } catch (err) {
      if (!(err instanceof ClusterLockedError)) throw err
      this.logToStderr(`kgit reconcile: skipped, ${err.message.split(';')[0]}`)
      this.exit(RECONCILE_EXIT.locked)
    }
  }
}
