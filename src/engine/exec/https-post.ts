import {request} from 'node:https'
import {readFile} from 'node:fs/promises'

/**
 * POSTs JSON over HTTPS and reads a JSON reply (a webhook's SubjectAccessReview). The
 * server's certificate is checked against `caFile` when given (else the system's CAs);
 * the whole exchange is bounded by `timeoutMs`. A status other than 2xx is an error.
 */
export async function postJson(url: string, body: unknown, opts: {caFile?: string; timeoutMs: number}): Promise<unknown> {
  const ca = opts.caFile ? await readFile(opts.caFile).catch((err: Error) => {
    throw new Error(`cannot read caFile ${opts.caFile}: ${err.message}`, {cause: err})
  }) : undefined
  const payload = Buffer.from(JSON.stringify(body))
  return new Promise((resolve, reject) => {
    const req = request(url, {method: 'POST', ...(ca ? {ca} : {}), headers: {'content-type': 'application/json', accept: 'application/json', 'content-length': payload.length}, timeout: opts.timeoutMs}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (d: Buffer) => chunks.push(d))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        if (!res.statusCode || res.statusCode < 200 || res.statusCode > 299) return reject(new Error(`HTTP ${res.statusCode}${text ? `: ${text.slice(0, 200)}` : ''}`))
        try {
          resolve(JSON.parse(text))
        } catch {
          reject(new Error(`the reply is not JSON: ${text.slice(0, 200)}`))
        }
      })
      res.on('error', reject)
    })
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs)
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)))
    req.on('error', reject)
    req.on('close', () => clearTimeout(timer))
    req.end(payload)
  })
}
