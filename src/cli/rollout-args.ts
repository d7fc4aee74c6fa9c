import {Args, Flags} from '@oclif/core'

/** What every `kgit rollout` command takes: the Deployment, as kubectl names it, and its namespace. */
export const deploymentArgs = {
  resource: Args.string({required: true, description: 'deployment/NAME (also deploy/NAME, deployments/NAME)'}),
  name: Args.string({description: 'NAME, when the first argument is only "deployment"'}),
}

export const namespaceFlag = Flags.string({char: 'n', description: 'namespace', default: 'default'})
