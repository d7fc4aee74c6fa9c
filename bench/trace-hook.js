// node --import ./bench/trace-hook.js bin/run.js ...: records, for bench/noop20.js, when the
// CLI spawns processes (git), opens SSH connections and sends SSH exec requests, per host,
// and writes them as JSON to $KGIT_BENCH_TRACE when the process exits. Times are ms since
// the process started (performance.now()). Bench only: kgit itself knows nothing of it.
// ssh2 is loaded here, before the CLI: a traced run pays for it up front (~0.1 s), so the
// headline figures come from untraced runs.
import cp from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {createRequire, syncBuiltinESMExports} from 'node:module'

const out = process.env.KGIT_BENCH_TRACE
const events = []
const now = () => performance.now()

const spawn = cp.spawn
cp.spawn = function (file, args, ...rest) {
  const e = {type: 'spawn', cmd: [file, ...(Array.isArray(args) ? args.slice(0, 3) : [])].join(' '), start: now()}
  events.push(e)
  const child = spawn.call(this, file, args, ...rest)
  child.once('exit', () => (e.end = now()))
  return child
}
syncBuiltinESMExports()

const {Client} = createRequire(import.meta.url)('ssh2')
const connect = Client.prototype.connect
Client.prototype.connect = function (cfg) {
  const e = {type: 'connect', host: cfg.host, start: now()}
  events.push(e)
  this._benchHost = cfg.host
  this.once('ready', () => (e.end = now()))
  this.once('close', () => events.push({type: 'close', host: cfg.host, start: now()}))
  return connect.call(this, cfg)
}
const exec = Client.prototype.exec
Client.prototype.exec = function (command, ...rest) {
  const e = {type: 'exec', host: this._benchHost, bytes: command.length, start: now()}
  events.push(e)
  const cb = rest.pop()
  return exec.call(this, command, ...rest, (err, stream) => {
    if (stream) stream.once('close', () => (e.end = now()))
    cb(err, stream)
  })
}

process.once('exit', () => {
  const cpu = process.cpuUsage()
  if (out) writeFileSync(out, JSON.stringify({exit: now(), cpu: {user: cpu.user / 1000, system: cpu.system / 1000}, events}))
})
