import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {connect as netConnect, createServer, type Socket} from 'node:net'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {NodeUnreachableError} from '../errors.js'
import type {ClusterSpec} from '../types.js'
import type {Connections, NodeConnection} from './connect.js'
import type {SshTarget} from './ssh-transport.js'
import type {ExecOptions, ExecResult, Transport} from './transport.js'
import {packagePath} from '../package-root.js'

/**
 * Connection persistence, as OpenSSH's ControlPersist: after a run, a small detached
 * process keeps the SSH connections of a cluster open for `spec.ssh.controlPersist`
 * seconds of idleness and runs later runs' commands on them through a unix socket
 * (mode 0600 in a 0700 folder). A run then pays no SSH handshake. The socket's name is
 * a hash of everything that decides how nodes are reached (addresses, user, key, pinned
 * host keys), so a changed known_hosts or node list never reuses an old process.
 */

interface Request {
  id: number
  node: string
  steps: string[][]
  stdin?: string
  timeoutMs?: number
}

type Response = {id: number; result: ExecResult} | {id: number; unreachable: string} | {id: number; error: string}

export interface MuxConfig {
  targets: SshTarget[]
  idleMs: number
}

export function muxSocket(targets: SshTarget[]): string {
  const key = createHash('sha256')
    .update(JSON.stringify(targets.map((t) => ({...t, privateKey: createHash('sha256').update(t.privateKey).digest('hex')}))))
    .digest('hex')
    .slice(0, 20)
  const base = process.env.KGIT_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kgit')
  return join(base, 'mux', `${key}.sock`)
}

/** Connects to a running mux for these targets; undefined when there is none (then connect directly). */
export async function muxConnections(socket: string, cluster: ClusterSpec): Promise<Connections | undefined> {
  const sock = await new Promise<Socket | undefined>((ok) => {
    const s = netConnect(socket)
    s.once('connect', () => ok(s))
    s.once('error', () => ok(undefined))
  })
  if (!sock) return undefined
  const client = new MuxClient(sock)
  const nodes = new Map<string, Promise<NodeConnection>>(cluster.nodes.map((n) => [n.name, Promise.resolve({transport: new MuxTransport(n.name, client)})]))
  return {nodes, close: async () => client.close()}
}

class MuxClient {
  private next = 1
  private readonly waiting = new Map<number, {ok: (r: Response) => void; fail: (e: Error) => void}>()
  private buffer = ''

  constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8')
    sock.on('data', (chunk: string) => {
      this.buffer += chunk
      for (let i = this.buffer.indexOf('\n'); i >= 0; i = this.buffer.indexOf('\n')) {
        const r = JSON.parse(this.buffer.slice(0, i)) as Response
        this.buffer = this.buffer.slice(i + 1)
        this.waiting.get(r.id)?.ok(r)
        this.waiting.delete(r.id)
      }
    })
    const gone = (): void => {
      for (const w of this.waiting.values()) w.fail(new Error('the SSH connection keeper (controlPersist) went away'))
      this.waiting.clear()
    }
    sock.on('close', gone)
    sock.on('error', gone)
  }

  request(r: Omit<Request, 'id'>): Promise<Response> {
    const id = this.next++
    return new Promise((ok, fail) => {
      this.waiting.set(id, {ok, fail})
      this.sock.write(JSON.stringify({...r, id}) + '\n')
    })
  }

  close(): void {
    this.sock.end()
  }
}

class MuxTransport implements Transport {
  constructor(
    readonly node: string,
    private readonly client: MuxClient,
  ) {}

  async exec(steps: readonly (readonly string[])[], opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.client.request({node: this.node, steps: steps.map((s) => [...s]), ...(opts.stdin !== undefined ? {stdin: opts.stdin} : {}), ...(opts.timeoutMs ? {timeoutMs: opts.timeoutMs} : {})})
    if ('result' in r) return r.result
    if ('unreachable' in r) throw new NodeUnreachableError(this.node, r.unreachable)
    throw new Error(r.error)
  }

  async close(): Promise<void> {}
}

/** Starts the keeper for the next run, detached; the key travels on its stdin, never in argv. */
export function startMux(socket: string, config: MuxConfig): void {
  try {
    mkdirSync(join(socket, '..'), {recursive: true, mode: 0o700})
    const child = spawn(process.execPath, [packagePath('dist', 'engine', 'exec', 'mux-server.js'), socket], {detached: true, stdio: ['pipe', 'ignore', 'ignore']})
    child.on('error', () => undefined)
    child.stdin.on('error', () => undefined)
    child.stdin.end(JSON.stringify({...config, targets: config.targets.map((t) => ({...t, privateKey: t.privateKey.toString('base64')}))}))
    child.unref()
  } catch {
    // Persistence only saves time; a run never fails for want of it.
  }
}

/** The keeper: connects lazily, forgets a node that failed (the next request retries), exits when idle. */
export async function serveMux(socket: string, config: MuxConfig): Promise<void> {
  const {SshTransport} = await import('./ssh-transport.js')
  const conns = new Map<string, Promise<Transport>>()
  const targets = new Map(config.targets.map((t) => [t.node, t]))
  let timer: NodeJS.Timeout | undefined
  let busy = 0
  const server = createServer({allowHalfOpen: false})
  const shutdown = async (): Promise<void> => {
    server.close()
    await rm(socket, {force: true})
    await Promise.all([...conns.values()].map((p) => p.then((t) => t.close(), () => undefined)))
    process.exit(0)
  }
  const idle = (): void => {
    clearTimeout(timer)
    if (busy === 0) timer = setTimeout(() => void shutdown(), config.idleMs)
  }
  const run = async (req: Request): Promise<Response> => {
    const target = targets.get(req.node)
    if (!target) return {id: req.id, error: `node ${req.node} is not known to this connection keeper`}
    let p = conns.get(req.node)
    if (!p) conns.set(req.node, (p = SshTransport.connect(target)))
    try {
      const t = await p
      return {id: req.id, result: await t.exec(req.steps, {...(req.stdin !== undefined ? {stdin: req.stdin} : {}), ...(req.timeoutMs ? {timeoutMs: req.timeoutMs} : {})})}
    } catch (err) {
      // A failed or broken connection is dropped: the next request connects again.
      conns.delete(req.node)
      void p.then((t) => t.close(), () => undefined)
      return err instanceof NodeUnreachableError ? {id: req.id, unreachable: err.reason} : {id: req.id, error: (err as Error).message}
    }
  }
  server.on('connection', (sock) => {
    let buffer = ''
    sock.setEncoding('utf8')
    sock.on('error', () => undefined)
    sock.on('data', (chunk: string) => {
      buffer += chunk
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const req = JSON.parse(buffer.slice(0, i)) as Request
        buffer = buffer.slice(i + 1)
        busy++
        clearTimeout(timer)
        void run(req).then((r) => {
          busy--
          idle()
          if (!sock.destroyed) sock.write(JSON.stringify(r) + '\n')
        })
      }
    })
  })
  process.on('SIGTERM', () => void shutdown())
  await rm(socket, {force: true})
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen({path: socket, readableAll: false, writableAll: false}, ok)
  })
  idle()
}
