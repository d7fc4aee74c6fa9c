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

/** Flags of the node commands that apply after their commit (drain, node forget). */
export const applyAfterFlags = {
  ...scheduleFlags,
  apply: Flags.boolean({description: 'run kgit apply after the commit (--no-apply: only commit)', default: true, allowNo: true}),
  'lock-timeout': Flags.string({description: 'passed to kgit apply: how long to wait for the cluster lock'}),
}

/** The `kgit apply` argv that follows such a commit. */
export function applyAfterArgv(flags: {dir: string; debug: boolean; 'lock-timeout'?: string | undefined}): string[] {
  return ['-C', flags.dir, ...(flags['lock-timeout'] ? ['--lock-timeout', flags['lock-timeout']] : []), ...(flags.debug ? ['--debug'] : [])]
}

/** What cordon, uncordon and drain print: the change and its commit, the diff, or why there was nothing to do. */
export function scheduleLines(r: ScheduleResult, dryRun: boolean): string[] {
  if (!r.changed) return [r.message]
  if (dryRun) return [`${r.message} (dry run): would commit on ${r.branch}:`, (r.diff ?? '').trimEnd()]
  return [`${r.message}: committed ${r.commit!.slice(0, 12)} on ${r.branch} (${r.file})`]
}
