import {Flags} from '@oclif/core'

/** --as and --as-group: who the local user says makes the change (spec.authentication.localUser: allow). */
export const identityFlags = {
  as: Flags.string({description: 'user making the change, when kgit.yaml allows the local user to say (spec.authentication.localUser: allow); default: the commit\'s signer, else your login name'}),
  'as-group': Flags.string({description: 'group of the --as user (repeatable); system:masters may do anything, as in Kubernetes', multiple: true}),
}

export function identityOf(flags: {as?: string; 'as-group'?: string[]}): {as?: string; asGroups: string[]} {
  return {...(flags.as !== undefined ? {as: flags.as} : {}), asGroups: flags['as-group'] ?? []}
}
