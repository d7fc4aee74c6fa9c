import {Args, Flags} from '@oclif/core'
import chalk from 'chalk'
import {userInfo} from 'node:os'
import {KgitCommand, clusterFlags} from '../../cli/base.js'
import {canI} from '../../engine/auth.js'

export default class CanI extends KgitCommand {
  static override description = `Check whether an action is allowed by RBAC (Role, ClusterRole, RoleBinding, ClusterRoleBinding), as kubectl auth can-i does: prints yes (exit 0) or no (exit 1)

The answer comes from the revision the cluster runs (the commit of the nodes' newest
record; HEAD when no node has one), or from --revision. With spec.authorization in that
revision's kgit.yaml, its modes answer in order; without it, RBAC alone. --as defaults
to the local user name ($USER).

RESOURCE: a type (pods, deploy, deployments.apps), "*", TYPE/SUBRESOURCE as RBAC rules
write it (pods/log, deployments/scale), or a non-resource URL (/healthz). Unlike kubectl,
a NAME is its own argument, never TYPE/NAME.`
  static override examples = [
    '<%= config.bin %> auth can-i update deployments -n dev --as alice',
    '<%= config.bin %> auth can-i get pods/log -n dev --as system:serviceaccount:dev:ci',
    '<%= config.bin %> auth can-i get configmaps app-config -n dev --as bob -v',
    '<%= config.bin %> auth can-i create clusterrolebindings --as alice --as-group ops',
    '<%= config.bin %> auth can-i get /healthz --as alice',
  ]
  static override args = {
    verb: Args.string({required: true, description: 'get, list, watch, create, update, patch, delete, deletecollection, bind, escalate, impersonate, * ...'}),
    resource: Args.string({required: true, description: 'pods, deployments.apps, pods/log, *, or a URL such as /healthz'}),
    name: Args.string({description: 'the object\'s name (a rule with resourceNames allows only named requests)'}),
  }
  static override flags = {
    ...clusterFlags,
    revision: Flags.string({description: 'answer for the RBAC objects of this revision (default: the one the cluster runs, from the nodes\' records)'}),
    namespace: Flags.string({char: 'n', description: 'namespace', default: 'default'}),
    'all-namespaces': Flags.boolean({char: 'A', description: 'ask for all namespaces at once (cluster-wide)', default: false}),
    subresource: Flags.string({description: 'subresource, such as log or scale (same as RESOURCE/SUBRESOURCE)'}),
    as: Flags.string({description: 'user to ask for (default: $USER); system:serviceaccount:NS:NAME for a service account'}),
    'as-group': Flags.string({description: 'group of that user (repeatable); system:authenticated is added as Kubernetes does', multiple: true}),
    quiet: Flags.boolean({char: 'q', description: 'print nothing: the exit code answers', default: false}),
    verbose: Flags.boolean({char: 'v', description: 'say which binding allows it, or why not', default: false}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(CanI)
    this.debugMode = flags.debug
    const r = await canI({
      dir: flags.dir, revision: flags.revision ?? 'HEAD', fromRecords: flags.revision === undefined, clusterFile: flags.cluster, workingTree: flags['working-tree'],
      verb: args.verb, resource: args.resource, name: args.name, namespace: flags['all-namespaces'] ? '' : flags.namespace, subresource: flags.subresource,
      as: flags.as ?? process.env.USER ?? userInfo().username, asGroups: flags['as-group'] ?? [],
    })
    if (!flags.quiet) {
      if (r.note) this.logToStderr(chalk.yellow('note: ') + r.note)
      if (r.unknownResource) this.logToStderr(chalk.yellow('warning: ') + `kgit knows no resource type "${r.unknownResource}": asked about as typed`)
      const d = r.decision
      // kubectl prints a reason after "no" only when evaluating failed; -v always says why.
      const why = [flags.verbose ? d.reason : undefined, d.allowed ? undefined : d.evaluationError].filter(Boolean)
      this.log([d.allowed ? 'yes' : 'no', ...why].join(' - '))
    }
    if (!r.decision.allowed) this.exit(1)
  }
}
