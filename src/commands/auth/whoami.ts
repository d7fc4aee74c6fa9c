import {Flags} from '@oclif/core'
import {KgitCommand, clusterFlags} from '../../cli/base.js'
import {identityFlags, identityOf} from '../../cli/identity-flags.js'
import {whoami} from '../../engine/auth.js'

export default class Whoami extends KgitCommand {
  static override description = `Print who applying a revision would be: user, groups and how kgit found out

First that applies: the pushing key in a git hook ($KGIT_PUSHER_KEY, looked up in
spec.authentication.usersFile), --as, the commit's SSH or GPG signature (checked against
spec.authentication.allowedSignersFile or gpgKeysFile), the local login name. The identity files come
from the revision the cluster runs (read from the nodes' records).`
  static override examples = ['<%= config.bin %> auth whoami', '<%= config.bin %> auth whoami --revision main', '<%= config.bin %> auth whoami --as alice --as-group dev -o json']
  static override flags = {
    ...clusterFlags,
    ...identityFlags,
    output: Flags.string({char: 'o', options: ['text', 'json'], default: 'text', description: 'output format'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Whoami)
    this.debugMode = flags.debug
    const r = await whoami({dir: flags.dir, revision: flags.revision, clusterFile: flags.cluster, workingTree: flags['working-tree'], identity: identityOf(flags)})
    const id = r.identity
    if (flags.output === 'json') {
      this.log(JSON.stringify({user: id.user, ...(id.uid ? {uid: id.uid} : {}), groups: id.groups, method: id.method, commit: r.commit, ...(r.trusted ? {trustedRevision: r.trusted} : {})}, null, 2))
      return
    }
    this.log(`user:     ${id.user}`)
    if (id.uid) this.log(`uid:      ${id.uid}`)
    this.log(`groups:   ${id.groups.join(', ') || '(none)'}`)
    this.log(`found by: ${id.method}`)
    this.log(`trusted:  ${r.trusted ? `spec.authentication of ${r.trusted.slice(0, 12)}, the revision the cluster runs` : `spec.authentication of ${r.commit.slice(0, 12)} itself (no node record of an applied revision)`}`)
  }
}
