import {createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse} from 'node:http'
import {createServer as createTlsServer} from 'node:https'
import {parsePush, verifyWebhook, type Push, type PushEvent} from './webhook.js'

const MAX_BODY = 1 << 20

export interface ServerOptions {
  host: string
  port: number
  /** The shared webhook secret; without it (and without tokenUser) /webhook answers 404 and only /metrics is served. */
  secret?: string
  /** A bearer token's user from the static token file (--webhook-token-file); undefined: unknown token. */
  tokenUser?: (token: string) => Promise<string | undefined>
  /** The branch reconcile follows: pushes to other branches are acknowledged and ignored. */
  branch?: string
  metrics: () => Promise<{contentType: string; text: string}>
  onPush: (e: Push) => void
  log: (line: string) => void
  /** Serve HTTPS with this certificate chain and key (PEM) instead of plain HTTP. */
  tls?: {cert: string; key: string}
}

function answer(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, {'content-type': type})
  res.end(text.endsWith('\n') ? text : text + '\n')
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let size = 0
    req.on('data', (d: Buffer) => {
      size += d.length
      if (size > MAX_BODY) resolve(undefined)
      else parts.push(d)
    })
    req.on('end', () => resolve(Buffer.concat(parts)))
    req.on('error', reject)
  })
}

async function webhook(req: IncomingMessage, res: ServerResponse, opts: ServerOptions): Promise<void> {
  const from = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`
  if (req.method !== 'POST') return answer(res, 405, 'POST only')
  const body = await readBody(req)
  if (!body) return answer(res, 413, `body over ${MAX_BODY} bytes`)
  let verdict = verifyWebhook({headers: req.headers, body}, opts.secret)
  // A bearer token that is not the shared secret may be a user's, from the static token file.
  const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1]
  if (!verdict.ok && bearer !== undefined && opts.tokenUser) {
    const user = await opts.tokenUser(bearer)
    if (user !== undefined) {
      verdict = {ok: true, provider: 'token'}
      opts.log(`webhook from ${from}: bearer token of user "${user}"`)
    } else verdict = {ok: false, status: 403, reason: `the bearer token is ${opts.secret !== undefined ? 'neither the shared secret nor ' : ''}in no line of the token file`}
  }
  if (!verdict.ok) {
    opts.log(`webhook refused (${verdict.status}) from ${from}: ${verdict.reason}`)
    return answer(res, verdict.status, verdict.status === 401 ? 'unauthorized' : 'forbidden')
  }
  let event: PushEvent
  try {
    event = parsePush(verdict.provider, {headers: req.headers, body})
  } catch (err) {
    opts.log(`webhook refused (400) from ${from}: ${(err as Error).message}`)
    return answer(res, 400, (err as Error).message)
  }
  if (event.kind === 'other') return answer(res, 200, `ignored: ${event.event} event`)
  if (event.branch !== undefined && opts.branch !== undefined && event.branch !== opts.branch) return answer(res, 200, `ignored: a push to ${event.branch || 'a tag'}, not ${opts.branch}`)
  opts.onPush(event)
  answer(res, 202, 'reconcile queued')
}

/** The watch daemon's HTTP endpoint: POST /webhook, GET /metrics, GET /healthz. */
export async function startServer(opts: ServerOptions): Promise<Server> {
  const listener: RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const handle = async (): Promise<void> => {
      if (path === '/metrics' && req.method === 'GET') {
        const m = await opts.metrics()
        return answer(res, 200, m.text, m.contentType)
      }
      if (path === '/healthz') return answer(res, 200, 'ok')
      if ((path === '/webhook' || path === '/') && (opts.secret !== undefined || opts.tokenUser !== undefined)) return webhook(req, res, opts)
      answer(res, 404, 'not found: POST /webhook, GET /metrics, GET /healthz')
    }
    handle().catch((err: Error) => {
      opts.log(`http: ${err.message}`)
      if (!res.headersSent) answer(res, 500, 'internal error')
    })
  }
  const server: Server = opts.tls ? createTlsServer({cert: opts.tls.cert, key: opts.tls.key}, listener) : createServer(listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => resolve())
  })
  return server
}
