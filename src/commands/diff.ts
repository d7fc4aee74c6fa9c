import {Flags} from '@oclif/core'
import chalk from 'chalk'
import {KgitCommand, clusterFlags} from '../cli/base.js'
import {actionLabel, isDrift, rolloutLines, shortRev, SIGN_TEXT} from '../cli/render-plan.js'
import {printLoadNotes} from '../cli/render-run.js'
import {planActions, type Action} from '../engine/plan/plan.js'
import {planRevision} from '../engine/session.js'

export default class Diff extends KgitCommand {
  static override description = 'Live state against a revision: drift (what was changed on the nodes by hand) apart from pending changes (what git changed)'
  static override examples = ['<%= config.bin %> diff', '<%= config.bin %> diff --revision main~1', '<%= config.bin %> diff -o json']
  static override flags = {
    ...clusterFlags,
    output: Flags.string({char: 'o', options: ['text', 'json'], default: 'text', description: 'output format'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Diff)
    this.debugMode = flags.debug
    const {run} = await planRevision({dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree'], admission: true})
    // What suspend holds is still told: drift and pending alike, marked.
    const held = new Set(run.plan.suspended ?? [])
    const all = [...planActions(run.plan), ...held]
    const drift = all.filter(isDrift)
    const pending = all.filter((a) => !isDrift(a))
    const mark = (a: Action): string => (held.has(a) ? chalk.yellow(' (suspended)') : '')
    // A rollout is pending while pods of an older template run; one short of pods by drift is drift.
    const rollouts = run.plan.rollouts.filter((r) => !r.status.complete && r.status.old > 0)
    if (flags.output === 'json') {
      const row = (a: Action): Record<string, unknown> => ({node: a.node, action: a.type, what: actionLabel(a).replace(/\x1b\[[0-9;]*m/g, ''), reason: a.reason, ...(held.has(a) ? {suspended: true} : {}), ...(a.type === 'replace' && a.changes ? {changes: a.changes} : {})}) // eslint-disable-line no-control-regex
      this.log(JSON.stringify({revision: run.plan.revision, suspended: run.desired.cluster.suspend === true, drift: drift.map(row), pending: pending.map(row), rollouts: rollouts.map((r) => ({kind: r.kind, namespace: r.namespace, name: r.name, ...r.status, changes: r.changes})), unreachable: run.plan.unreachable}, null, 2))
    } else {
      printLoadNotes(run, (l) => this.logToStderr(l))
      if (run.desired.cluster.suspend) this.log(chalk.yellow('Suspended (spec.suspend): kgit reconcile and kgit apply change nothing.'))
      this.log(chalk.bold(`Drift (the nodes differ from what kgit started): ${drift.length}`))
      for (const a of drift) this.log(`  ${a.node}: ${actionLabel(a)}: ${a.reason.replace(/^drift: /, '')}${mark(a)}`)
      this.log(chalk.bold(`Pending (${shortRev(run.plan.revision)} differs from what runs): ${pending.length + rollouts.length}`))
      for (const r of rollouts) for (const l of rolloutLines(r)) this.log(`  ${l}`)
      for (const a of pending) {
        this.log(`  ${a.node}: ${SIGN_TEXT[a.type]} ${actionLabel(a)}: ${a.reason}${mark(a)}`)
        if (a.type === 'replace') for (const c of a.changes ?? []) this.log(chalk.dim(`        ${c}`))
      }
      for (const u of run.plan.unreachable) this.logToStderr(chalk.red('error: ') + `node ${u.node} is unreachable: ${u.reason}`)
    }
    // kubectl diff: exit 1 when there are differences.
    if (drift.length + pending.length + rollouts.length > 0 || run.plan.unreachable.length > 0) this.exit(1)
  }
}
