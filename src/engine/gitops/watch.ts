import {hostname} from 'node:os'
import {Coalescer} from './coalesce.js'
import {ReconcileMetrics} from './metrics.js'
import {notify} from './notify.js'
import {reconcileOnce, type ReconcileOptions, type ReconcileReport} from './reconcile.js'
import {startServer} from './server.js'
import {userForToken} from '../exec/token-file.js'

export interface WatchOptions extends ReconcileOptions {
  /** A reconcile (fetch and drift check) at least this often. */
  intervalMs: number
  /** Pushes within this time make one reconcile. */
  coalesceMs: number
  listen?: {host: string; port: number}
  secret?: string
  /** The static token file whose bearer tokens may trigger a reconcile (--webhook-token-file). */
  tokenFile?: string
  /** Called with each reconcile's report and what triggered it. */
  onReport: (r: ReconcileReport, reasons: string[]) => void
  log: (line: string) => void
}

/**
 * Reconciles on start, every interval, and on verified push webhooks (bursts coalesced),
 * until `stop` aborts: then no new run starts, the current one finishes, the server closes.
 */
export async function watch(opts: WatchOptions, stop: AbortSignal): Promise<void> {
  const metrics = new ReconcileMetrics()
  const host = hostname()
  const runs = new Coalescer(async (reasons) => {
    const r = await reconcileOnce(opts)
    metrics.record(r)
    opts.onReport(r, reasons)
    for (const p of await notify(r, host)) opts.log(p)
  }, opts.coalesceMs)
  const server = opts.listen
    ? await startServer({
        ...opts.listen,
        ...(opts.secret !== undefined ? {secret: opts.secret} : {}),
        ...(opts.tokenFile !== undefined ? {tokenUser: tokenUserOf(opts.tokenFile)} : {}),
        ...(opts.remote ? {branch: opts.remote.branch} : {}),
        metrics: async () => ({contentType: metrics.contentType, text: await metrics.text()}),
        onPush: (e) => runs.trigger(`webhook (${e.provider}${e.branch ? ` ${e.branch}` : ''}${e.after ? ` ${e.after.slice(0, 12)}` : ''})`),
        log: opts.log,
      })
    : undefined
  if (server) {
    const a = server.address()
    opts.log(`listening on ${typeof a === 'object' && a ? `${a.address}:${a.port}` : String(a)}${opts.secret !== undefined || opts.tokenFile !== undefined ? ' (POST /webhook, GET /metrics)' : ' (GET /metrics; no webhook secret)'}`)
  }
  runs.trigger('start')
  const timer = setInterval(() => {
    if (!runs.busy) runs.trigger('interval')
  }, opts.intervalMs)
  await new Promise<void>((resolve) => {
    if (stop.aborted) resolve()
    stop.addEventListener('abort', () => resolve(), {once: true})
  })
  clearInterval(timer)
  server?.close()
  await runs.stop()
  server?.closeAllConnections()
}

/** A bearer token's user, from the token file read again on each request (an edited file counts at once). */
function tokenUserOf(file: string): (token: string) => Promise<string | undefined> {
  return async (token) => (await userForToken(file, token))?.user
}
