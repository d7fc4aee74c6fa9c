import chalk from 'chalk'
import type {ListrTaskWrapper} from 'listr2'
import type {ApplyEvent} from '../engine/exec/apply.js'
import type {Action} from '../engine/plan/plan.js'
import {actionLabel, SIGN_TEXT as SIGN} from './render-plan.js'

export interface Progress {
  onEvent(e: ApplyEvent): void
  finish(): Promise<void>
}

/** Progress of an apply: listr2 on a terminal, one plain line per action otherwise. */
export async function createProgress(actions: Action[], log: (line: string) => void, tty: boolean): Promise<Progress> {
  // listr2 is loaded only when it draws: scripts and cron runs do not pay for it.
  return tty && actions.length > 0 ? listrProgress(actions, (await import('listr2')).Listr) : plainProgress(log)
}

function plainProgress(log: (line: string) => void): Progress {
  return {
    onEvent(e) {
      if (e.type === 'done') log(`${e.action.node}: ${SIGN[e.action.type]} ${actionLabel(e.action)} ok (${(e.ms / 1000).toFixed(1)}s)`)
      if (e.type === 'failed') log(chalk.red(`${e.action.node}: ${SIGN[e.action.type]} ${actionLabel(e.action)} FAILED: ${e.error.message}`))
    },
    finish: async () => {},
  }
}

interface NodeTask {
  total: number
  done: number
  failed: number
  task?: ListrTaskWrapper<unknown, never, never>
  resolve?: () => void
  reject?: (e: Error) => void
}

function settle(n: NodeTask): void {
  if (n.done + n.failed < n.total) return
  if (n.failed > 0) n.reject?.(new Error(`${n.failed} action(s) failed`))
  else n.resolve?.()
}

function listrProgress(actions: Action[], Listr: typeof import('listr2').Listr): Progress {
  const nodes = new Map<string, NodeTask>()
  for (const a of actions) {
    const n = nodes.get(a.node) ?? {total: 0, done: 0, failed: 0}
    n.total++
    nodes.set(a.node, n)
  }
  const title = (node: string, n: NodeTask): string => `${node}: ${n.done}/${n.total} done${n.failed ? chalk.red(`, ${n.failed} failed`) : ''}`
  const list = new Listr(
    [...nodes].map(([node, n]) => ({
      title: title(node, n),
      task: (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
        new Promise<void>((resolve, reject) => {
          Object.assign(n, {task, resolve, reject})
          task.title = title(node, n)
          settle(n)
        }),
    })),
    {concurrent: true, exitOnError: false},
  )
  const running = list.run().catch(() => undefined)
  return {
    onEvent(e) {
      const n = nodes.get(e.action.node)
      if (!n || e.type === 'start') {
        if (n?.task) n.task.output = `${SIGN[e.action.type]} ${actionLabel(e.action)}`
        return
      }
      if (e.type === 'done') n.done++
      else n.failed++
      if (n.task) n.task.title = title(e.action.node, n)
      settle(n)
    },
    finish: async () => {
      await running
    },
  }
}
