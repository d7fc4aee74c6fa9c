import {Args, Flags} from '@oclif/core'
import type {ScheduleResult} from '../engine/node-schedule.js'
import {clusterFlags} from './base.js'

/** The NODE argument of cordon, uncordon and drain. */
export const nodeArgs = {node: Args.string({required: true, description: 'the node, by its name in kgit.yaml'})}

/** Flags of the commands that commit a change of a node's scheduling fields. */
export const scheduleFlags = {
  dir: clusterFlags.dir,
  debug: clusterFlags.debug,
  'dry-run': Flags.boolean({description: 'print the diff of kgit.yaml it would commit and change nothing', default: false}),
}

/** What cordon, uncordon and drain print: the change and its commit, the diff, or why there was nothing to do. */
export function scheduleLines(r: ScheduleResult, dryRun: boolean): string[] {
  if (!r.changed) return [r.message]
  if (dryRun) return [`${r.message} (dry run): would commit on ${r.branch}:`, (r.diff ?? '').trimEnd()]
  return [`${r.message}: committed ${r.commit!.slice(0, 12)} on ${r.branch} (${r.file})`]
}
