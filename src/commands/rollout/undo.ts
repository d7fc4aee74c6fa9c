import {Flags} from '@oclif/core'
import {KgitCommand, clusterFlags} from '../../cli/base.js'
import {deploymentArgs, namespaceFlag} from '../../cli/rollout-args.js'
import {parseDeploymentArg} from '../../engine/controllers/rollout-history.js'
import {undoRollout} from '../../engine/rollout.js'

export default class RolloutUndo extends KgitCommand {
  static override description = "Go back to an earlier revision of a Deployment: commit its pod template on the current branch, then apply"
  static override examples = ['<%= config.bin %> rollout undo deployment/web -n shop', '<%= config.bin %> rollout undo deploy/web --to-revision 2 --dry-run', '<%= config.bin %> rollout undo deployment/web --no-apply']
  static override args = deploymentArgs
  static override flags = {
    dir: clusterFlags.dir,
    cluster: clusterFlags.cluster,
    debug: clusterFlags.debug,
    namespace: namespaceFlag,
    'to-revision': Flags.integer({description: 'the revision to go back to (default: the one before the current)', min: 0}),
    'dry-run': Flags.boolean({description: 'print the diff of the file it would commit and change nothing', default: false}),
    apply: Flags.boolean({description: 'run kgit apply after the commit (--no-apply: only commit)', default: true, allowNo: true}),
    'lock-timeout': Flags.string({description: 'passed to kgit apply: how long to wait for the cluster lock'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RolloutUndo)
    this.debugMode = flags.debug
    const ref = {namespace: flags.namespace, name: parseDeploymentArg(args.resource, args.name)}
    const r = await undoRollout({dir: flags.dir, clusterFile: flags.cluster, ref, toRevision: flags['to-revision'], dryRun: flags['dry-run']})
    if (flags['dry-run']) {
      this.log(`deployment.apps/${ref.name}: would go from revision ${r.from.revision} back to revision ${r.target.revision} with a commit on ${r.branch}:`)
      this.log(`  ${r.message}`)
      this.log(r.diff.trimEnd())
      return
    }
    this.log(`deployment.apps/${ref.name} rolled back to revision ${r.target.revision}: committed ${r.commit!.slice(0, 12)} on ${r.branch} (${r.file}): ${r.message}`)
    if (!flags.apply) return this.log('Not applied (--no-apply): run kgit apply to converge the nodes.')
    // Through oclif, so the undo applies exactly as `kgit apply` does, whatever apply becomes.
    const argv = ['-C', flags.dir, ...(flags.cluster ? ['--cluster', flags.cluster] : []), ...(flags['lock-timeout'] ? ['--lock-timeout', flags['lock-timeout']] : []), ...(flags.debug ? ['--debug'] : [])]
    await this.config.runCommand('apply', argv)
  }
}
