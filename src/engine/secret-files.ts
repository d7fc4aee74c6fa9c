import {isMap, isScalar, parseAllDocuments, Scalar, type Document, type YAMLMap} from 'yaml'
import {isEncrypted} from './manifest/secret.js'
import {Redacted} from './redacted.js'
import type {SecretBytes} from './types.js'

/** How a file's values are turned into age-armored text and back (exec/secret-tools.ts binds them to keys). */
export interface SecretCrypto {
  encrypt(value: SecretBytes): Promise<string>
  decrypt(armored: string): Promise<SecretBytes>
}

export interface RewriteResult {
  text: string
  /** Secrets (`namespace/name`) whose values changed form. */
  secrets: string[]
  /** Values encrypted. */
  count: number
}

/**
 * Encrypts every plaintext value of the Secrets in a YAML file: `data` values (base64)
 * and `stringData` values, which move into `data`. With `reencrypt`, values already
 * encrypted are decrypted and encrypted again (for a changed recipient list). Comments,
 * order and the other documents stay as written.
 */
export async function encryptSecretsText(text: string, crypto: SecretCrypto, opts: {reencrypt?: boolean} = {}): Promise<RewriteResult> {
  const docs = parseAllDocuments(text)
  const out: RewriteResult = {text, secrets: [], count: 0}
  for (const doc of docs) {
    if ('errors' in doc && doc.errors.length > 0) throw new Error(`not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`)
    if (!isSecret(doc)) continue
    const changed = await encryptDoc(doc as Document.Parsed, crypto, opts.reencrypt ?? false)
    if (changed > 0) out.secrets.push(secretName(doc as Document.Parsed))
    out.count += changed
  }
  if (out.count > 0) out.text = docs.map((d) => d.toString({lineWidth: 0})).join('')
  return out
}

/**
 * The file as a person edits it: every Secret's values decrypted into `stringData` (text)
 * or `data` (base64, for bytes that are not UTF-8 text). Its result is secret as a whole.
 */
export async function decryptSecretsText(text: string, crypto: SecretCrypto): Promise<SecretBytes> {
  const docs = parseAllDocuments(text)
  for (const doc of docs) {
    if ('errors' in doc && doc.errors.length > 0) throw new Error(`not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`)
    if (!isSecret(doc)) continue
    const data = doc.get('data')
    if (!isMap(data)) continue
    for (const pair of [...data.items]) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key)
      const v = isScalar(pair.value) ? pair.value.value : undefined
      if (typeof v !== 'string' || !isEncrypted(v)) continue
      const bytes = (await crypto.decrypt(v)).reveal()
      const asText = utf8(bytes)
      if (asText === undefined) data.set(key, Buffer.from(bytes).toString('base64'))
      else {
        data.delete(key)
        setIn(doc as Document.Parsed, 'stringData', key, blockScalar(asText))
      }
    }
    if (data.items.length === 0) doc.delete('data')
  }
  return Redacted.fromText(docs.map((d) => d.toString({lineWidth: 0})).join(''))
}

function isSecret(doc: Document): boolean {
  return doc.get('kind') === 'Secret'
}

function secretName(doc: Document.Parsed): string {
  return `${String(doc.getIn(['metadata', 'namespace']) ?? 'default')}/${String(doc.getIn(['metadata', 'name']) ?? '')}`
}

async function encryptDoc(doc: Document.Parsed, crypto: SecretCrypto, reencrypt: boolean): Promise<number> {
  let n = 0
  const data = doc.get('data')
  if (isMap(data)) {
    for (const pair of data.items) {
      const v = isScalar(pair.value) ? pair.value.value : undefined
      if (typeof v !== 'string') continue
      if (isEncrypted(v)) {
        if (!reencrypt) continue
        pair.value = blockScalar(await crypto.encrypt(await crypto.decrypt(v)))
      } else pair.value = blockScalar(await crypto.encrypt(new Redacted(new Uint8Array(Buffer.from(v.replace(/\s/g, ''), 'base64')))))
      n++
    }
  }
  const stringData = doc.get('stringData')
  if (isMap(stringData)) {
    for (const pair of stringData.items) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key)
      const v = isScalar(pair.value) ? pair.value.value : undefined
      if (typeof v !== 'string') continue
      setIn(doc, 'data', key, blockScalar(await crypto.encrypt(Redacted.fromText(v))))
      n++
    }
    doc.delete('stringData')
  }
  return n
}

function setIn(doc: Document.Parsed, field: string, key: string, value: Scalar): void {
  let map = doc.get(field) as YAMLMap | undefined
  if (!isMap(map)) {
    map = doc.createNode({}) as YAMLMap
    doc.set(field, map)
  }
  map.set(key, value)
}

function blockScalar(text: string): Scalar {
  const s = new Scalar(text)
  s.type = text.includes('\n') ? Scalar.BLOCK_LITERAL : Scalar.QUOTE_DOUBLE
  return s
}

function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    return undefined
  }
}
