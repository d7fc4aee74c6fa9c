import ssh2 from 'ssh2'
import type {ClientChannel, ConnectConfig} from 'ssh2'
import pLimit, {type LimitFunction} from 'p-limit'
import {shellCommand, shellScript} from '../argv/shell.js'
import {NodeUnreachableError} from '../errors.js'
import {fingerprint, keyTypeOf, keysForHost, knownHostName, type KnownHostKey} from './known-hosts.js'
import type {ExecOptions, ExecResult, StreamingTransport, StreamOptions, StreamResult} from './transport.js'

const {Client} = ssh2

export interface SshTarget {
  node: string
  host: string
  port: number
  user: string
  privateKey: Buffer
  /** Text of the pinned known_hosts file, and its name for messages. */
  knownHosts: string
  knownHostsFile: string
  connectTimeoutMs: number
}

/** After an abort, how long a remote command has to end before it is sent KILL. */
const ABORT_GRACE_MS = 5000

/** Channels open at once on one connection; sshd's MaxSessions defaults to 10. */
export const MAX_CHANNELS = 8
/** Handshakes under way at once; sshd's MaxStartups starts dropping at 10. */
export const MAX_STARTUPS = 8

const defaultStartLimit = pLimit(MAX_STARTUPS)

const HOST_KEY_ALGOS: Record<string, string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
}

/** One SSH connection to a node, reused for every command of a run. */
export class SshTransport implements StreamingTransport {
  private readonly channels: LimitFunction = pLimit(MAX_CHANNELS)
  private closed = false

  /** Use `SshTransport.connect`. */
  constructor(
    readonly node: string,
    private readonly client: InstanceType<typeof Client>,
  ) {
    client.on('close', () => (this.closed = true))
  }

  /** Connects with the host key checked against known_hosts; never trusts a key on first use. */
  static async connect(t: SshTarget, startLimit: LimitFunction = defaultStartLimit): Promise<SshTransport> {
    const pinned = keysForHost(t.knownHosts, t.host, t.port)
    const usable = pinned.filter((k) => !k.revoked)
    const name = knownHostName(t.host, t.port)
    if (usable.length === 0) {
      throw new NodeUnreachableError(t.node, `no host key for ${name} in ${t.knownHostsFile}; check the node's key out of band and add it (for example: ssh-keyscan -p ${t.port} ${t.host} >> ${t.knownHostsFile}, then compare fingerprints with ssh-keygen -lf)`)
    }
    try {
      return await startLimit(() => handshake(t, pinned, name))
    } catch (err) {
      // A reset during the handshake (sshd's MaxStartups, a busy node) is worth one more try.
      if (!isTransient(err)) throw err
      await new Promise((r) => setTimeout(r, 300))
      return startLimit(() => handshake(t, pinned, name))
    }
  }

  async exec(steps: readonly (readonly string[])[], opts: ExecOptions = {}): Promise<ExecResult> {
    const command = shellScript(steps)
    return this.channels(() => this.execOnce(command, opts))
  }

  private execOnce(command: string, opts: ExecOptions): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new NodeUnreachableError(this.node, 'the SSH connection was closed'))
      this.client.exec(command, (err: Error | undefined, stream: ClientChannel) => {
        if (err) return reject(new NodeUnreachableError(this.node, `cannot open an SSH channel: ${err.message}`, {cause: err}))
        const out: Buffer[] = []
        const errOut: Buffer[] = []
        let done = false
        const finish = (exitCode: number | null): void => {
          if (done) return
          done = true
          if (timer) clearTimeout(timer)
          resolve({stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8'), exitCode})
        }
        // sshd keeps a channel open while its command lives: on timeout, answer at once and kill it.
        const timer = opts.timeoutMs
          ? setTimeout(() => {
              errOut.push(Buffer.from(`\nkgit: timed out after ${opts.timeoutMs} ms`))
              finish(null)
              stream.signal('KILL')
              stream.destroy()
            }, opts.timeoutMs)
          : undefined
        stream.on('data', (d: Buffer) => out.push(d))
        stream.stderr.on('data', (d: Buffer) => errOut.push(d))
        stream.on('close', (code: number | null) => finish(typeof code === 'number' ? code : null))
        stream.end(opts.stdin ?? '')
      })
    })
  }

  /** One command on its own channel, output streamed as it arrives (logs -f, exec). */
  async stream(argv: readonly string[], opts: StreamOptions): Promise<StreamResult> {
    const command = shellCommand(argv)
    return this.channels(() => this.streamOnce(command, opts))
  }

  private streamOnce(command: string, opts: StreamOptions): Promise<StreamResult> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new NodeUnreachableError(this.node, 'the SSH connection was closed'))
      if (opts.signal?.aborted) return resolve({exitCode: null, signal: 'TERM'})
      const pty = opts.pty ? {pty: {rows: opts.pty.rows, cols: opts.pty.cols, term: opts.pty.term ?? 'xterm-256color'}} : {}
      this.client.exec(command, pty, (err: Error | undefined, ch: ClientChannel) => {
        if (err) return reject(new NodeUnreachableError(this.node, `cannot open an SSH channel: ${err.message}`, {cause: err}))
        resolve(pumpChannel(ch, opts))
      })
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    await new Promise<void>((resolve) => {
      this.client.once('close', () => resolve())
      this.client.end()
      setTimeout(resolve, 1000).unref()
    })
  }
}

function handshake(t: SshTarget, pinned: KnownHostKey[], name: string): Promise<SshTransport> {
  return new Promise((resolve, reject) => {
    const client = new Client()
    let rejection: string | undefined
    const cfg: ConnectConfig = {
      host: t.host,
      port: t.port,
      username: t.user,
      privateKey: t.privateKey,
      readyTimeout: t.connectTimeoutMs,
      // A node that vanishes without a reset is noticed in ~15 s instead of the kernel's ~15 min.
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
      algorithms: {serverHostKey: hostKeyAlgorithms(pinned) as never},
      hostVerifier: (key: Buffer) => {
        rejection = verifyHostKey(t, pinned, name, key)
        return rejection === undefined
      },
    }
    client.once('ready', () => resolve(new SshTransport(t.node, client)))
    client.once('error', (err: Error & {code?: string; level?: string}) => {
      client.end()
      reject(new NodeUnreachableError(t.node, rejection ?? describeSshError(err, t), {cause: err}))
    })
    client.connect(cfg)
  })
}

function isTransient(err: unknown): boolean {
  const code = (err as {cause?: {code?: string}}).cause?.code
  return code === 'ECONNRESET' || code === 'EPIPE'
}

function hostKeyAlgorithms(pinned: KnownHostKey[]): string[] {
  const types = [...new Set(pinned.filter((k) => !k.revoked).map((k) => k.type))]
  return types.flatMap((t) => HOST_KEY_ALGOS[t] ?? [t])
}

function verifyHostKey(t: SshTarget, pinned: KnownHostKey[], name: string, key: Buffer): string | undefined {
  const fp = fingerprint(key)
  if (pinned.some((k) => k.revoked && k.key.equals(key))) return `host key ${fp} of ${name} is marked @revoked in ${t.knownHostsFile}`
  if (pinned.some((k) => !k.revoked && k.key.equals(key))) return undefined
  const want = pinned.filter((k) => !k.revoked).map((k) => `${k.type} ${fingerprint(k.key)} (${t.knownHostsFile}:${k.line})`).join(', ')
  return `HOST KEY MISMATCH for ${name}: it presented ${keyTypeOf(key)} ${fp}, but known_hosts pins ${want}. Someone may be intercepting the connection, or the node was reinstalled: check the new key out of band before updating ${t.knownHostsFile}`
}

function describeSshError(err: Error & {code?: string; level?: string}, t: SshTarget): string {
  const where = `${t.host}:${t.port}`
  if (err.code === 'ECONNREFUSED') return `connection refused by ${where} (is sshd running there?)`
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return `no route to ${where}`
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `cannot resolve host name ${t.host}`
  if (err.code === 'ECONNRESET') return `connection reset by ${where}`
  if (err.level === 'client-timeout' || /timed out/i.test(err.message)) return `no SSH answer from ${where} within ${Math.round(t.connectTimeoutMs / 1000)} s`
  if (err.level === 'client-authentication') return `authentication as ${t.user} failed on ${where}: the server did not accept the identity file's key (is its public key in ~${t.user}/.ssh/authorized_keys?)`
  return `${err.message} (${where})`
}

/**
 * Wires a channel to local streams until it closes. An abort asks the remote command to
 * stop (a TERM signal, honoured by OpenSSH >= 7.9) and closes the channel, which also
 * hangs up a remote terminal; without a terminal, the command's next write then fails.
 */
function pumpChannel(ch: ClientChannel, opts: StreamOptions): Promise<StreamResult> {
  return new Promise((resolve) => {
    let result: StreamResult = {exitCode: null}
    ch.pipe(opts.stdout, {end: false})
    ch.stderr.pipe(opts.stderr, {end: false})
    ch.on('exit', (code: number | null, signal?: string) => {
      result = typeof code === 'number' ? {exitCode: code} : {exitCode: null, signal: signal ?? undefined}
    })
    let killer: NodeJS.Timeout | undefined
    const onAbort = (): void => {
      result = {exitCode: null, signal: 'TERM'}
      ch.signal('TERM')
      ch.close()
      // A command that ignores TERM must not keep kgit waiting for its channel.
      killer = setTimeout(() => {
        ch.signal('KILL')
        ch.destroy()
        resolve(result)
      }, ABORT_GRACE_MS)
    }
    opts.signal?.addEventListener('abort', onAbort, {once: true})
    const out = opts.stdout as NodeJS.WritableStream & {isTTY?: boolean; rows?: number; columns?: number; on(e: 'resize', f: () => void): unknown; off(e: 'resize', f: () => void): unknown}
    const onResize = (): void => void ch.setWindow(out.rows ?? 24, out.columns ?? 80, 0, 0)
    if (opts.pty && out.isTTY) out.on('resize', onResize)
    if (opts.stdin) opts.stdin.pipe(ch)
    else ch.end()
    ch.on('close', () => {
      clearTimeout(killer)
      opts.signal?.removeEventListener('abort', onAbort)
      if (opts.pty && out.isTTY) out.off('resize', onResize)
      if (opts.stdin) {
        opts.stdin.unpipe(ch)
        opts.stdin.pause()
      }
      resolve(result)
    })
  })
}
