import {Args, Flags} from '@oclif/core'
import {KgitCommand, clusterFlags} from '../../cli/base.js'
import {deploymentArgs, namespaceFlag} from '../../cli/rollout-args.js'
import {parseDuration} from '../../cli/duration.js'
import {rolloutMessage} from '../../cli/render-rollout-status.js'
import {parseRolloutStatusArg} from '../../engine/controllers/rollout-history.js'
import {planRevision, replan} from '../../engine/session.js'
import type {RolloutReport} from '../../engine/plan/plan.js'

export default class RolloutStatus extends KgitCommand {
  static override description = "Where a Deployment's (DaemonSet's, StatefulSet's) rollout stands on the nodes, and why it waits: watches until it is complete, like kubectl"
  static override examples = ['<%= config.bin %> rollout status deployment/web', '<%= config.bin %> rollout status deploy/web -n shop --watch=false', '<%= config.bin %> rollout status deployment/web --timeout 5m', '<%= config.bin %> rollout status ds/agent', '<%= config.bin %> rollout status sts/db']
  static override args = {...deploymentArgs, resource: Args.string({required: true, description: 'deployment/NAME, daemonset/NAME or statefulset/NAME (also deploy/NAME, ds/NAME, sts/NAME)'})}
  static override flags = {
    ...clusterFlags,
    namespace: namespaceFlag,
    watch: Flags.boolean({char: 'w', description: 'wait until the rollout is complete (or past its progress deadline)', default: true, allowNo: true}),
    timeout: Flags.string({description: 'give up watching after this long (0: never)', default: '0'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RolloutStatus)
    this.debugMode = flags.debug
    const {kind, name} = parseRolloutStatusArg(args.resource, args.name)
    const what = kind === 'DaemonSet' ? 'daemon set' : kind === 'StatefulSet' ? 'statefulset' : 'deployment'
    const timeoutMs = parseDuration(flags.timeout, '--timeout')
    const started = Date.now()
    const {result} = await planRevision({dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree']}, async (run, conns) => {
      const find = (rs: RolloutReport[]): RolloutReport | undefined => rs.find((r) => r.kind === kind && r.name === name && r.namespace === flags.namespace)
      if (!find(run.plan.rollouts)) this.fail(`${what} "${name}" is not in namespace ${flags.namespace} at revision ${run.commit.slice(0, 12)} (-n names the namespace)`)
      const o = run.desired.objects.find((x) => x.kind === kind && x.metadata.name === name && x.metadata.namespace === flags.namespace)
      if ((o?.kind === 'DaemonSet' || o?.kind === 'StatefulSet') && o.spec.updateStrategy.type === 'OnDelete') this.fail('rollout status is only available for RollingUpdate strategy type')
      let plan = run.plan
      let last = ''
      for (;;) {
        const r = find(plan.rollouts)!
        const msg = rolloutMessage(r)
        if (msg.text !== last && msg.failed) this.logToStderr(msg.text)
        else if (msg.text !== last) this.log(msg.text)
        last = msg.text
        for (const u of plan.unreachable) this.logToStderr(`warning: node ${u.node} is unreachable (${u.reason}); its pods are counted from the records`)
        if (msg.done || !flags.watch) return msg
        if (timeoutMs > 0 && Date.now() - started > timeoutMs) return {...msg, text: `error: timed out waiting for the rollout of ${what} "${name}"`, failed: true}
        await new Promise((ok) => setTimeout(ok, 1000))
        plan = (await replan(run, conns)).plan
      }
    })
    if (result?.failed) {
      if (result.text.startsWith('error: timed out')) this.logToStderr(result.text)
      for (const line of result.details) this.logToStderr(line)
      this.exit(1)
    }
  }
}
