import {authorize, impersonate, rbacPolicy, type Decision, type RequestAttributes} from './admission/rbac.js'
import {accessRequest, type AccessArgs} from './admission/rbac-resources.js'
import {loadRevision, type RevisionOptions} from './session.js'

export interface CanIOptions extends RevisionOptions, AccessArgs {
  /** The user asked about, and the groups given for it (Kubernetes completes them as for `--as`). */
  as: string
  asGroups: string[]
}

export interface CanIResult {
  decision: Decision
  /** The request as asked, user and groups included. */
  request: RequestAttributes
  /** The commit whose Roles and bindings answered. */
  commit: string
  /** RESOURCE is none kgit knows: it was asked about as typed. */
  unknownResource?: string
}

/**
 * `kgit auth can-i`: RBAC's answer for one request, from the Roles and bindings of a
 * revision (the one the cluster runs, once node records say it; until then the given one).
 */
export async function canI(opts: CanIOptions): Promise<CanIResult> {
  const {ask, unknownResource} = accessRequest(opts)
  const loaded = await loadRevision({dir: opts.dir, revision: opts.revision, clusterFile: opts.clusterFile, workingTree: opts.workingTree})
  const request: RequestAttributes = {...impersonate(opts.as, opts.asGroups), ...ask}
  const decision = authorize(rbacPolicy(loaded.desired.objects), request)
  return {decision, request, commit: loaded.commit, ...(unknownResource ? {unknownResource} : {})}
}
