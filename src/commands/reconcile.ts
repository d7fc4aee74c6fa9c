import {Flags} from '@oclif/core'
import chalk from 'chalk'
import {readFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {createSecureContext} from 'node:tls'
import {KgitCommand, clusterFlags} from '../cli/base.js'
import {parseDuration} from '../cli/duration.js'
import {reportLines} from '../cli/render-reconcile.js'
import {printLoadNotes} from '../cli/render-run.js'
import {loadTokenFile} from '../engine/exec/token-file.js'
import {notify} from '../engine/gitops/notify.js'
import {RECONCILE_EXIT, exitCodeOf, reconcileOnce, type ReconcileOptions} from '../engine/gitops/reconcile.js'

export {RECONCILE_EXIT}

export default class Reconcile extends KgitCommand {
  static override description = `Converge the nodes to git once (cron, a systemd timer) or in a loop with a webhook endpoint (--watch). With --remote, the branch is fetched into a local mirror first. Quiet when nothing changed, one line when something was done. Exit codes of --once: 0 done or nothing to do, 1 errors, ${RECONCILE_EXIT.locked} another run holds the cluster lock (nothing was done), ${RECONCILE_EXIT.fetch} the fetch failed (nothing was done)`
  static override examples = ['<%= config.bin %> reconcile --once -C /srv/cluster-repo', '<%= config.bin %> reconcile --once --remote git@git.example.com:ops/cluster.git --branch main', '<%= config.bin %> reconcile --watch --remote origin --interval 1m --listen 127.0.0.1:9470 --webhook-secret-file /etc/kgit/webhook-secret']
  static override flags = {
    ...clusterFlags,
    once: Flags.boolean({description: 'reconcile once and exit', default: false, exclusive: ['watch']}),
    watch: Flags.boolean({description: 'reconcile on start, every --interval, and on push webhooks, until SIGTERM', default: false}),
    remote: Flags.string({description: 'fetch this remote (a URL, or a remote name of the repository in -C) into a local mirror and apply its --branch; --revision is then ignored'}),
    branch: Flags.string({description: 'the branch of --remote to apply', default: 'main'}),
    mirror: Flags.string({description: 'the bare mirror --remote is fetched into (default: ~/.cache/kgit/mirrors/HASH.git)'}),
    interval: Flags.string({description: '--watch: time between reconciles (fetch and drift check) when no webhook comes', default: '30s'}),
    listen: Flags.string({description: '--watch: serve POST /webhook and GET /metrics on HOST:PORT (default host 127.0.0.1)'}),
    'webhook-token-file': Flags.string({description: "--watch: Kubernetes' static token file (token,user,uid,\"groups\"; the format of kgit.yaml spec.authentication.tokenFile): its bearer tokens may trigger a reconcile"}),
    'webhook-secret-file': Flags.string({description: '--watch: file holding the shared secret webhooks are signed with (GitHub, Gitea/Forgejo HMAC; GitLab token; Bearer)'}),
    coalesce: Flags.string({description: '--watch: pushes within this time make one reconcile', default: '2s'}),
    'tls-cert-file': Flags.string({description: '--watch: serve --listen over HTTPS with this certificate chain (PEM); needs --tls-key-file'}),
    'tls-key-file': Flags.string({description: '--watch: the private key (PEM) of --tls-cert-file'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Reconcile)
    this.debugMode = flags.debug
    if (!flags.once && !flags.watch) this.fail('kgit reconcile needs --once or --watch')
    if (flags['working-tree']) this.fail('kgit reconcile applies commits only: --working-tree is for kgit apply')
    const opts: ReconcileOptions = {
      dir: flags.dir,
      revision: flags.revision,
      clusterFile: flags.cluster,
      command: flags.watch ? 'kgit reconcile --watch' : 'kgit reconcile --once',
      onNote: (l) => this.logToStderr(l),
      beforeApply: (r) => printLoadNotes(r, (l) => this.logToStderr(l)),
      ...(flags.remote ? {remote: {remote: flags.remote, branch: flags.branch, ...(flags.mirror ? {mirror: flags.mirror} : {})}} : {}),
    }
    if (flags.watch) return this.watch(opts, flags)
    const r = await reconcileOnce(opts)
    this.print(reportLines(r, flags.debug))
    for (const p of await notify(r, hostname())) this.logToStderr(chalk.yellow('warning: ') + p)
    const code = exitCodeOf(r)
    if (code !== 0) this.exit(code)
  }

  /** The certificate and key of --tls-cert-file and --tls-key-file, read and checked at start (a bad pair stops the daemon here). */
  private async tlsFiles(certFile: string | undefined, keyFile: string | undefined, listen: string | undefined): Promise<{cert: string; key: string} | undefined> {
    if (certFile === undefined && keyFile === undefined) return undefined
    if (certFile === undefined || keyFile === undefined) this.fail('--tls-cert-file and --tls-key-file go together')
    if (!listen) this.fail('--tls-cert-file needs --listen HOST:PORT')
    const read = (file: string, flag: string) => readFile(file, 'utf8').catch((err: Error) => this.fail(`cannot read ${flag} ${file}: ${err.message}`))
    const tls = {cert: await read(certFile, '--tls-cert-file'), key: await read(keyFile, '--tls-key-file')}
    try {
      createSecureContext(tls)
    } catch (err) {
      this.fail(`--tls-cert-file ${certFile} and --tls-key-file ${keyFile}: ${(err as Error).message}`)
    }
    return tls
  }

  private print(lines: {text: string; err?: true}[]): void {
    for (const l of lines) {
      if (l.err) this.logToStderr(l.text)
      else this.log(l.text)
    }
  }

  private async watch(opts: ReconcileOptions, flags: {interval: string; listen?: string; 'webhook-secret-file'?: string; 'webhook-token-file'?: string; 'tls-cert-file'?: string; 'tls-key-file'?: string; coalesce: string; debug: boolean}): Promise<void> {
    const tls = await this.tlsFiles(flags['tls-cert-file'], flags['tls-key-file'], flags.listen)
    const secretFile = flags['webhook-secret-file']
    const tokenFile = flags['webhook-token-file']
    if (tokenFile && !flags.listen) this.fail('--webhook-token-file needs --listen HOST:PORT')
    // Read once now: a missing or malformed token file stops the daemon at start, not at the first request.
    if (tokenFile) await loadTokenFile(tokenFile).catch((err: Error) => this.fail(err.message))
    if (secretFile && !flags.listen) this.fail('--webhook-secret-file needs --listen HOST:PORT')
    const secret = secretFile ? (await readFile(secretFile, 'utf8').catch((err: Error) => this.fail(`cannot read --webhook-secret-file ${secretFile}: ${err.message}`))).trim() : undefined
    if (secret === '') this.fail(`--webhook-secret-file ${secretFile} is empty`)
    const stop = new AbortController()
    let signals = 0
    const onSignal = (sig: string) => {
      if (++signals > 1) process.exit(130)
      this.logToStderr(`${sig}: stopping after the current reconcile (again to stop at once)`)
      stop.abort()
    }
    process.on('SIGTERM', () => onSignal('SIGTERM'))
    process.on('SIGINT', () => onSignal('SIGINT'))
    // The daemon's parts (prom-client among them) load only for --watch: a cron run pays for nothing it does not use.
    const {watch} = await import('../engine/gitops/watch.js')
    await watch(
      {
        ...opts,
        intervalMs: parseDuration(flags.interval, '--interval'),
        coalesceMs: parseDuration(flags.coalesce, '--coalesce'),
        ...(flags.listen ? {listen: parseListen(flags.listen, (m) => this.fail(m))} : {}),
        ...(secret ? {secret} : {}),
        ...(tokenFile ? {tokenFile} : {}),
        ...(tls ? {tls} : {}),
        log: (l) => this.logToStderr(`${new Date().toISOString()} ${l}`),
        onReport: (r, reasons) => {
          const lines = reportLines(r, flags.debug)
          const stamp = `${new Date().toISOString()} [${reasons.join(', ')}]`
          if (lines.length === 0) this.log(`${stamp} ${r.outcome} ${r.revision?.slice(0, 12) ?? ''} in ${(r.durationMs / 1000).toFixed(1)}s`)
          this.print(lines.map((l) => ({...l, text: `${stamp} ${l.text}`})))
        },
      },
      stop.signal,
    )
  }
}

export function parseListen(text: string, fail: (m: string) => never): {host: string; port: number} {
  const m = /^(?:(\[[0-9a-f:]+\]|[^:]+):)?(\d{1,5})$/i.exec(text)
  const port = m ? Number(m[2]) : NaN
  if (!m || port > 65535) fail(`--listen ${text}: expected HOST:PORT or PORT (port 0 to 65535; 0: any free port)`)
  return {host: m[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1', port}
}
