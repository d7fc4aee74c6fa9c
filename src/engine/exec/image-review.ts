import {request} from 'node:https'
import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import type {ReviewTarget} from '../admission/plugins/image-policy-webhook.js'

/** A file of the ImagePolicyWebhook configuration (kubeconfig, CA, client certificate), from this machine. */
export async function readLocalFile(path: string): Promise<string> {
  const full = path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path
  try {
    return await readFile(full, 'utf8')
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {cause: err})
  }
}

/** POSTs an ImageReview to the webhook over HTTPS (its certificate checked against `ca`, or the system's CAs); rejects on a network error or timeout. */
export function postReview(target: ReviewTarget, body: string, timeoutMs: number): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {'content-type': 'application/json', accept: 'application/json', 'content-length': String(Buffer.byteLength(body))}
    if (target.token) headers.authorization = `Bearer ${target.token}`
    const req = request(target.url, {method: 'POST', headers, ...(target.ca ? {ca: target.ca} : {}), ...(target.cert ? {cert: target.cert} : {}), ...(target.key ? {key: target.key} : {}), timeout: timeoutMs}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8')}))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)))
    req.on('error', reject)
    req.end(body)
  })
}
