import {Flags} from '@oclif/core'
import chalk from 'chalk'
import {identityFlags, identityOf} from '../cli/identity-flags.js'
import {KgitCommand, clusterFlags, formatError} from '../cli/base.js'
import {createProgress, type Progress} from '../cli/progress.js'
import {renderPlan, shortRev, suspendedLines} from '../cli/render-plan.js'
import {printLoadNotes} from '../cli/render-run.js'
import {planActions, planSummary} from '../engine/plan/plan.js'
import {applyRevision} from '../engine/session.js'
import {parseDuration} from '../cli/duration.js'
import {jobLines, jobWaitLine} from '../cli/render-jobs.js'

export default class Apply extends KgitCommand {
  static override description = 'Converge every node to a git revision: start missing pods, replace changed ones, remove what git no longer has'
  static override examples = ['<%= config.bin %> apply', '<%= config.bin %> apply -C ./cluster-repo --revision v1.2']
  static override flags = {
    ...clusterFlags,
    ...identityFlags,
    quiet: Flags.boolean({char: 'q', description: 'print only the summary and errors', default: false}),
    'lock-timeout': Flags.string({description: 'how long to wait for another run holding the cluster lock (0, 30s, 5m, 1h)', default: '0'}),
    'job-wait': Flags.string({description: 'how long to wait for running Jobs to finish (0: start their pods and return; later applies continue them)', default: '5m'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Apply)
    this.debugMode = flags.debug
    const started = Date.now()
    let progress: Progress | undefined
    let lastWait = ''
    const jobWaitMs = parseDuration(flags['job-wait'], '--job-wait')
    const {run, result, final} = await applyRevision(
      {
        dir: flags.dir,
        revision: flags.revision,
        clusterFile: flags.cluster,
        workingTree: flags['working-tree'],
        identity: identityOf(flags),
        lock: {timeoutMs: parseDuration(flags['lock-timeout'], '--lock-timeout'), command: 'kgit apply', onNote: (l) => this.logToStderr(l)},
      },
      {
        onEvent: (e) => progress?.onEvent(e),
        beforeApply: async (r) => {
          printLoadNotes(r, (l) => this.logToStderr(l))
          if (!flags.quiet && (planActions(r.plan).length > 0 || r.plan.waiting.length > 0)) for (const line of renderPlan(r.plan, r.desired.cluster.nodes.map((n) => n.name))) this.log(line)
          // A rollout goes in steps the first plan does not know: plain lines then, not a fixed task list.
          const tty = Boolean(process.stdout.isTTY) && !flags.quiet && r.plan.waiting.length === 0
          progress = await createProgress(planActions(r.plan), flags.quiet ? () => {} : (l) => this.log(l), tty)
        },
        jobWaitMs,
        onWait: (p) => {
          const line = [...p.waiting.map((w) => `${w.kind.toLowerCase()} ${w.namespace}/${w.name}: ${w.status.updated}/${w.status.replicas} updated, ${w.status.available} available, ${w.status.old} old`), ...jobWaitLine(p)].join('; ')
          if (!flags.quiet && line !== lastWait) this.log(chalk.dim(`waiting: ${line}`))
          lastWait = line
        },
      },
    )
    await progress?.finish()
    for (const u of final.unreachable) this.logToStderr(chalk.red('error: ') + `node ${u.node} is unreachable: ${u.reason}; its pods were left as they are`)
    for (const u of final.unschedulable) this.logToStderr(chalk.red('error: ') + `pod ${u.pod.namespace}/${u.pod.name} cannot be scheduled: ${u.reason}`)
    for (const f of result.failed) this.logToStderr(formatError(f.error, flags.debug))
    const stuck = final.rollouts.filter((r) => r.status.deadlineExceeded)
    for (const r of stuck) {
      this.logToStderr(chalk.red('error: ') + `${r.kind.toLowerCase()} ${r.namespace}/${r.name} exceeded its progress deadline: ${r.status.updated}/${r.status.replicas} pods on the new template, ${r.status.available} available; the old pods keep serving`)
      for (const w of r.status.notAvailable) this.logToStderr(`  ${w}`)
      this.logToStderr(`  see: kgit rollout status deployment/${r.name} -n ${r.namespace}; undo: kgit rollout undo deployment/${r.name} -n ${r.namespace}`)
    }
    const jobs = jobLines(run.observed, final)
    for (const l of jobs.notes) this.log(l)
    for (const l of jobs.errors) this.logToStderr(chalk.red('error: ') + l)
    const s = planSummary({actions: result.done})
    const secs = ((Date.now() - started) / 1000).toFixed(1)
    for (const line of suspendedLines(run.plan)) this.log(line)
    if (result.done.length === 0 && result.failed.length === 0 && stuck.length === 0) this.log(run.desired.cluster.suspend ? `Suspended (spec.suspend in kgit.yaml): nothing changed, ${shortRev(run.plan.revision)} not applied (${secs}s).` : `No changes: the reachable nodes already run ${shortRev(run.plan.revision)} (${secs}s).`)
    else this.log(`Apply ${result.failed.length || stuck.length ? 'finished with errors' : 'complete'}: ${s.create} created, ${s.replace} replaced, ${s.delete} removed${result.failed.length ? `, ${result.failed.length} failed` : ''} in ${secs}s (revision ${shortRev(run.plan.revision)}).`)
    if (result.failed.length > 0 || final.unreachable.length > 0 || final.unschedulable.length > 0 || stuck.length > 0 || jobs.errors.length > 0) this.exit(1)
  }
}
