import {Command, Flags} from '@oclif/core'
import chalk from 'chalk'
import {BugError, ErrorList, ManifestError, NodeUnreachableError, RemoteError, UsageError} from '../engine/errors.js'

if (process.env.NO_COLOR !== undefined || !process.stdout.isTTY) chalk.level = 0

/** Flags every command that reads a cluster takes. */
export const clusterFlags = {
  dir: Flags.string({char: 'C', description: 'run as if kgit was started in this directory (the GitOps repository)', default: '.'}),
  cluster: Flags.string({description: 'cluster file to use instead of kgit.yaml from the revision'}),
  revision: Flags.string({description: 'git revision to read desired state from', default: 'HEAD'}),
  'working-tree': Flags.boolean({description: 'read the working tree, uncommitted edits included, instead of the revision (local experiments only)', default: false}),
  debug: Flags.boolean({description: 'show stack traces of errors', default: false}),
  'age-key-file': Flags.string({description: 'age identity file that decrypts the revision\'s Secrets (default: $KGIT_AGE_KEY_FILE, else ~/.config/kgit/age.key)'}),
}

/** Known errors print as a person can act on them; stack traces only with --debug. */
export abstract class KgitCommand extends Command {
  protected debugMode = false

  /** --age-key-file reaches the engine as KGIT_AGE_KEY_FILE (exec/secrets.ts reads it when Secrets are decrypted). */
  protected override async init(): Promise<void> {
    await super.init()
    const i = this.argv.findIndex((a) => a === '--age-key-file' || a.startsWith('--age-key-file='))
    const value = i < 0 ? undefined : this.argv[i]!.includes('=') ? this.argv[i]!.slice(this.argv[i]!.indexOf('=') + 1) : this.argv[i + 1]
    if (value) process.env.KGIT_AGE_KEY_FILE = value
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (err.oclif?.exit !== undefined && !(err instanceof ErrorList)) return super.catch(err)
    const list = err instanceof ErrorList ? err.errors : [err]
    for (const e of list) this.logToStderr(formatError(e, this.debugMode || process.argv.includes('--debug')))
    if (list.length > 1) this.logToStderr(chalk.red(`${list.length} errors`))
    this.exit(1)
  }

  protected fail(message: string, code = 1): never {
    this.logToStderr(chalk.red('error: ') + message)
    this.exit(code)
  }
}

export function formatError(e: Error, debug: boolean): string {
  let s: string
  if (e instanceof ManifestError) s = chalk.red('error: ') + e.message
  else if (e instanceof RemoteError) s = chalk.red('error: ') + e.message + (e.hint ? `\n  try: ${e.hint}` : '')
  else if (e instanceof NodeUnreachableError || e instanceof UsageError) s = chalk.red('error: ') + e.message
  else if (e instanceof BugError) s = chalk.red('kgit bug: ') + e.message + '\n  please report it with the output of --debug'
  else s = chalk.red('error: ') + e.message
  if (debug && e.stack) s += '\n' + chalk.dim(e.stack) + (e.cause instanceof Error && e.cause.stack ? '\ncaused by: ' + chalk.dim(e.cause.stack) : '')
  return s
}
