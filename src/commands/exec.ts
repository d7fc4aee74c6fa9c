import {Args, Flags} from '@oclif/core'
import {KgitCommand, clusterFlags} from '../cli/base.js'
import {identityFlags, identityOf} from '../cli/identity-flags.js'
import {checkPodAccess} from '../engine/auth.js'
import {notFoundLines, remoteOutcome, signalExitCode, withRawTerminal, withStopSignals} from '../cli/pod-stream.js'
import {PodNotFoundError} from '../engine/pod-target.js'
import {podExec} from '../engine/pod-access.js'

const USAGE = 'kgit exec POD [-n NS] [-c CONTAINER] [-i] [-t] -- COMMAND [ARGS...]'

export default class Exec extends KgitCommand {
  static override description = "Run a command in a pod's container on its node (podman exec); its exit code becomes kgit's"
  static override examples = [
    '<%= config.bin %> exec web-7f9c6d5b8-x2x4k -n shop -- ls /',
    '<%= config.bin %> exec -it deployment/web -n shop -c app -- sh',
    'echo hi | <%= config.bin %> exec -i web-7f9c6d5b8-x2x4k -- cat',
  ]
  static override args = {pod: Args.string({required: true, description: 'POD, pod/NAME, deployment/NAME, daemonset/NAME or statefulset/NAME'})}
  static override flags = {
    ...clusterFlags,
    ...identityFlags,
    namespace: Flags.string({char: 'n', description: 'namespace', default: 'default'}),
    container: Flags.string({char: 'c', description: 'container (default: the default-container annotation, else the first)'}),
    stdin: Flags.boolean({char: 'i', description: "pass this process's stdin to the command", default: false}),
    tty: Flags.boolean({char: 't', description: 'run the command on a terminal (with -i, when stdin is one)', default: false}),
  }

  async run(): Promise<void> {
    const dash = this.argv.indexOf('--')
    if (dash < 0 && !this.argv.includes('--help')) this.fail(`the command to run goes after --: ${USAGE}`)
    const command = dash < 0 ? [] : this.argv.slice(dash + 1)
    const {args, flags} = await this.parse(Exec, dash < 0 ? this.argv : this.argv.slice(0, dash))
    this.debugMode = flags.debug
    if (command.length === 0) this.fail(`nothing after --: ${USAGE}`)
    // kubectl: a terminal needs input; without a local one the command runs on plain pipes.
    const tty = flags.tty && flags.stdin && Boolean(process.stdin.isTTY)
    if (flags.tty && flags.stdin && !tty) this.logToStderr('Unable to use a TTY - input is not a terminal or the right kind of file')
    try {
      const {result, stoppedBy} = await withStopSignals((signal) =>
        withRawTerminal(tty, () =>
          podExec({
            dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree'],
            target: args.pod, namespace: flags.namespace, container: flags.container, command,
            onNote: (line) => this.logToStderr(line),
            access: (observed, pod) => checkPodAccess({dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree'], identity: identityOf(flags), observed, verb: 'create', subresource: 'exec', pod}),
            io: {
              stdin: flags.stdin ? process.stdin : undefined, stdout: process.stdout, stderr: process.stderr, signal,
              pty: tty ? {rows: process.stdout.rows ?? 24, cols: process.stdout.columns ?? 80, term: process.env.TERM} : undefined,
            },
          }),
        ),
      )
      if (stoppedBy) this.exit(signalExitCode(stoppedBy))
      const outcome = remoteOutcome(result, result.pod.node)
      if (outcome.message) this.logToStderr(outcome.message)
      this.exit(outcome.exitCode)
    } catch (err) {
      if (!(err instanceof PodNotFoundError)) throw err
      for (const l of notFoundLines(err)) this.logToStderr(l)
      this.exit(1)
    }
  }
}
