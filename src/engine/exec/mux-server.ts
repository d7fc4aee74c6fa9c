// The connection keeper process (see mux.ts): reads its config from stdin, serves a unix socket.
import {chmod} from 'node:fs/promises'
import {serveMux, type MuxConfig} from './mux.js'

const socket = process.argv[2]!
let text = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (c: string) => (text += c))
process.stdin.on('end', () => {
  const raw = JSON.parse(text) as {idleMs: number; targets: (Omit<MuxConfig['targets'][number], 'privateKey'> & {privateKey: string})[]}
  const config: MuxConfig = {idleMs: raw.idleMs, targets: raw.targets.map((t) => ({...t, privateKey: Buffer.from(t.privateKey, 'base64')}))}
  void serveMux(socket, config).then(() => chmod(socket, 0o600)).catch(() => process.exit(1))
})
