import {Args, Flags} from '@oclif/core'
import {KgitCommand, clusterFlags} from '../cli/base.js'
import {identityFlags, identityOf} from '../cli/identity-flags.js'
import {checkPodAccess} from '../engine/auth.js'
import {parseDuration} from '../cli/duration.js'
import {notFoundLines, signalExitCode, withStopSignals} from '../cli/pod-stream.js'
import {PodNotFoundError} from '../engine/pod-target.js'
import {podLogs} from '../engine/pod-access.js'

export default class Logs extends KgitCommand {
  static override description = "Print the logs of a pod's container, read from its node (podman logs)"
  static override examples = [
    '<%= config.bin %> logs web-7f9c6d5b8-x2x4k -n shop',
    '<%= config.bin %> logs web-7f9c6d5b8-x2x4k -c sidecar --tail 20',
    '<%= config.bin %> logs -f deployment/web -n shop --since 5m',
  ]
  static override args = {
    pod: Args.string({required: true, description: 'POD, pod/NAME, deployment/NAME, daemonset/NAME or statefulset/NAME'}),
    container: Args.string({required: false, description: 'container (same as -c)'}),
  }
  static override flags = {
    ...clusterFlags,
    ...identityFlags,
    namespace: Flags.string({char: 'n', description: 'namespace', default: 'default'}),
    container: Flags.string({char: 'c', description: 'container (default: the default-container annotation, else the first)'}),
    follow: Flags.boolean({char: 'f', description: 'keep streaming new lines until interrupted', default: false}),
    tail: Flags.integer({description: 'lines from the end to show (-1: all)', default: -1, min: -1}),
    since: Flags.string({description: 'only lines newer than this duration (30s, 5m, 1h)'}),
    timestamps: Flags.boolean({description: 'prefix every line with its timestamp', default: false}),
    previous: Flags.boolean({char: 'p', description: 'not available: podman keeps no logs of a previous container instance', default: false}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Logs)
    this.debugMode = flags.debug
    if (flags.previous) this.fail('--previous is not available with podman: a restarted container keeps one log, and a replaced pod is a new container whose old logs are gone; drop -p (the log of the current container includes the output of earlier restarts)')
    if (args.container && flags.container && args.container !== flags.container) this.fail(`container given twice: "${args.container}" and -c ${flags.container}`)
    const since = flags.since === undefined ? undefined : Math.max(1, Math.ceil(parseDuration(flags.since, '--since') / 1000))
    try {
      const {result, stoppedBy} = await withStopSignals((signal) =>
        podLogs({
          dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree'],
          target: args.pod, namespace: flags.namespace, container: flags.container ?? args.container,
          onNote: (line) => this.logToStderr(line),
          access: (observed, pod) => checkPodAccess({dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree'], identity: identityOf(flags), observed, verb: 'get', subresource: 'log', pod}),
          logs: {follow: flags.follow, tail: flags.tail, sinceSeconds: since, timestamps: flags.timestamps},
          io: {stdout: process.stdout, stderr: process.stderr, signal},
        }),
      )
      if (stoppedBy) this.exit(signalExitCode(stoppedBy))
      if (result.exitCode !== 0) this.fail(`podman logs of container ${result.container.name} failed on node ${result.pod.node}: ${result.exitCode === null ? `signal ${result.signal ?? 'unknown'}` : `exit ${result.exitCode}`}`)
    } catch (err) {
      if (!(err instanceof PodNotFoundError)) throw err
      for (const l of notFoundLines(err)) this.logToStderr(l)
      this.exit(1)
    }
  }
}
