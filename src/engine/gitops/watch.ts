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
  /** Serve the endpoint over HTTPS with this certificate chain and key (PEM). */
  tls?: {cert: string; key: string}
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
  // kgit.yaml's spec.authentication.tokenFile, of the last revision that passed the gate (a
  // report with a cluster); --webhook-token-file, when given, wins.
  let configTokenFile: string | undefined
  const runs = new Coalescer(async (reasons) => {
    const r = await reconcileOnce(opts)
    if (r.cluster !== undefined) configTokenFile = r.tokenFile
    metrics.record(r)
    opts.onReport(r, reasons)
    for (const p of await notify(r, host)) opts.log(p)
  }, opts.coalesceMs)
  const server = opts.listen
    ? await startServer({
        ...opts.listen,
        ...(opts.secret !== undefined ? {secret: opts.secret} : {}),
        tokenUser: async (token) => {
          const file = opts.tokenFile ?? configTokenFile
          return file === undefined ? undefined : (await userForToken(file, token))?.user
        },
        ...(opts.remote ? {branch: opts.remote.branch} : {}),
        ...(opts.tls ? {tls: opts.tls} : {}),
        metrics: async () => ({contentType: metrics.contentType, text: await metrics.text()}),
        onPush: (e) => runs.trigger(`webhook (${e.provider}${e.branch ? ` ${e.branch}` : ''}${e.after ? ` ${e.after.slice(0, 12)}` : ''})`),
        log: opts.log,
      })
    : undefined
  if (server) {
    const a = server.address()
    const credentials = [...(opts.secret !== undefined ? ['the shared secret'] : []), opts.tokenFile !== undefined ? `bearer tokens of ${opts.tokenFile}` : "bearer tokens of kgit.yaml's spec.authentication.tokenFile"]
    opts.log(`listening on ${opts.tls ? 'https://' : ''}${typeof a === 'object' && a ? `${a.address}:${a.port}` : String(a)} (POST /webhook with ${credentials.join(' or ')}; GET /metrics)`)
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

