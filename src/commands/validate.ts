import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'
import {KgitCommand, clusterFlags} from '../cli/base.js'
import {AdmissionError, ErrorList, ManifestError} from '../engine/errors.js'
import {loadRevision} from '../engine/session.js'
import {shortRev} from '../cli/render-plan.js'

export default class Validate extends KgitCommand {
  static override description = 'Check kgit.yaml and every manifest of a revision; print all errors at once (contacts no node)'
  static override examples = ['<%= config.bin %> validate', '<%= config.bin %> validate manifests/shop', '<%= config.bin %> validate --revision main -o json']
  static override strict = false
  static override args = {paths: Args.string({description: 'files or folders to check instead of spec.manifests (repeatable)'})}
  static override flags = {
    ...clusterFlags,
    output: Flags.string({char: 'o', options: ['text', 'json'], default: 'text', description: 'output format'}),
  }

  async run(): Promise<void> {
    const {flags, argv} = await this.parse(Validate)
    this.debugMode = flags.debug
    try {
      const loaded = await loadRevision({dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree'], paths: argv as string[], admission: true})
      if (flags.output === 'json') this.log(JSON.stringify({revision: loaded.commit, valid: true, objects: loaded.desired.objects.length, errors: [], warnings: loaded.warnings}, null, 2))
      else {
        for (const w of loaded.warnings) this.logToStderr(chalk.yellow('warning: ') + w)
        this.log(`${shortRev(loaded.desired.revision)}: ${loaded.desired.objects.length} object(s), ${loaded.desired.cluster.nodes.length} node(s): valid`)
      }
    } catch (err) {
      if (flags.output !== 'json' || !(err instanceof Error)) throw err
      const list = err instanceof ErrorList ? err.errors : [err]
      const errors = list.map((e) => (e instanceof ManifestError ? {file: e.pos.file, line: e.pos.line, field: e.pos.path, message: e.detail} : e instanceof AdmissionError ? {file: e.pos.file, line: e.pos.line, message: e.message} : {message: e.message}))
      this.log(JSON.stringify({valid: false, errors}, null, 2))
      this.exit(1)
    }
  }
}
