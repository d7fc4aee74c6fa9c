import {randomBytes} from 'node:crypto'
import {access, chmod, mkdir, mkdtemp, open, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {execa} from 'execa'
import {Decrypter, Encrypter, armor, generateX25519Identity, identityToRecipient} from 'age-encryption'
import {UsageError} from '../errors.js'
import {Redacted} from '../redacted.js'
import {decryptSecretsText, encryptSecretsText, type SecretCrypto} from '../secret-files.js'
import {ageKeyFile, readIdentities} from './secrets.js'

/** The repository's list of age recipients (one `age1...` per line, `#` comments), as `age -R` reads it. */
export const RECIPIENTS_FILE = '.kgit-recipients'
const RECIPIENT = /^age1[0-9a-z]+$/

/** The top of the git repository that holds `dir`. */
export async function repoRoot(dir: string): Promise<string> {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (await exists(join(d, '.git'))) return d
    if (dirname(d) === d) throw new UsageError(`${resolve(dir)} is not inside a git repository`)
  }
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  )
}

/** The recipients of the repository; an empty list when the file does not exist yet. */
export async function readRecipients(root: string): Promise<string[]> {
  const text = await readFile(join(root, RECIPIENTS_FILE), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return ''
    throw err
  })
  const out: string[] = []
  text.split(/\r?\n/).forEach((line, i) => {
    const l = line.trim()
    if (l === '' || l.startsWith('#')) return
    if (!RECIPIENT.test(l)) throw new UsageError(`${RECIPIENTS_FILE}:${i + 1}: not an age recipient (age1...)`)
    out.push(l)
  })
  return out
}

/** Adds (or, with `remove`, drops) a recipient in the repository's recipients file; true when the file changed. */
export async function editRecipients(root: string, recipient: string, remove: boolean): Promise<boolean> {
  if (!RECIPIENT.test(recipient)) throw new UsageError(`"${recipient}" is not an age X25519 recipient (age1...): kgit secret keygen prints one`)
  const file = join(root, RECIPIENTS_FILE)
  const text = await readFile(file, 'utf8').catch(() => '# age recipients of this repository\'s Secrets (docs/secrets.md): one per line\n')
  const lines = text.split('\n')
  const has = lines.some((l) => l.trim() === recipient)
  if (remove ? !has : has) return false
  const next = remove ? lines.filter((l) => l.trim() !== recipient) : [...lines.filter((l, i) => l !== '' || i < lines.length - 1), recipient, '']
  await writeFile(file, next.join('\n'))
  return true
}

/** Age encryption for the repository's recipients; decryption with the identity file (read only when a value needs it). */
export function ageCrypto(recipients: string[], keyFile: string = ageKeyFile()): SecretCrypto {
  let decrypter: Promise<Decrypter> | undefined
  return {
    async encrypt(value) {
      if (recipients.length === 0) throw new UsageError(`no recipients in ${RECIPIENTS_FILE}: add yours first (kgit secret recipients add $(kgit secret keygen --print-recipient)), then encrypt`)
      const e = new Encrypter()
      for (const r of recipients) e.addRecipient(r)
      return armor.encode(await e.encrypt(value.reveal()))
    },
    async decrypt(text) {
      decrypter ??= readIdentities(keyFile).then((ids) => {
        const d = new Decrypter()
        for (const id of ids) d.addIdentity(id)
        return d
      })
      try {
        return new Redacted(await (await decrypter).decrypt(armor.decode(text.trim())))
      } catch (err) {
        if (err instanceof UsageError) throw err
        throw new UsageError(`cannot decrypt a value with the identities in ${keyFile} (${(err as Error).message})`, {cause: err})
      }
    },
  }
}

/** Makes an age identity file (mode 0600, never over an existing one) and returns its public recipient. */
export async function keygen(file: string): Promise<string> {
  if (await exists(file)) throw new UsageError(`${file} exists already; kgit never overwrites an identity (its recipient: kgit secret keygen --print-recipient)`)
  const id = await generateX25519Identity()
  const recipient = await identityToRecipient(id)
  await mkdir(dirname(file), {recursive: true, mode: 0o700})
  await writeFile(file, `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${id}\n`, {mode: 0o600, flag: 'wx'})
  return recipient
}

/** The recipient of an identity file's first identity. */
export async function recipientOf(file: string): Promise<string> {
  return identityToRecipient((await readIdentities(file))[0]!)
}

/** Encrypts a file's plaintext Secret values in place (and, with `reencrypt`, its encrypted ones again). */
export async function encryptFile(file: string, recipients: string[], opts: {reencrypt?: boolean} = {}): Promise<{secrets: string[]; count: number}> {
  const text = await readFile(file, 'utf8')
  const r = await encryptSecretsText(text, ageCrypto(recipients), opts).catch((err: Error) => {
    throw err instanceof UsageError ? err : new UsageError(`${file}: ${err.message}`, {cause: err})
  })
  if (r.count > 0) await replaceFile(file, r.text)
  return r
}

async function replaceFile(file: string, text: string): Promise<void> {
  const mode = (await stat(file)).mode & 0o777
  const tmp = `${file}.kgit-${randomBytes(4).toString('hex')}`
  await writeFile(tmp, text, {mode, flag: 'wx'})
  await rename(tmp, file)
}

/**
 * `kgit secret edit`: the file decrypted into a private temporary file (a 0700 folder on
 * /dev/shm when there is one, so on tmpfs; the file 0600), the editor, then the result
 * encrypted back in place. The temporary file is overwritten with zeros and removed
 * whatever happens.
 */
export async function editFile(file: string, recipients: string[], editor: string): Promise<'changed' | 'unchanged'> {
  const crypto = ageCrypto(recipients)
  const plain = await decryptSecretsText(await readFile(file, 'utf8'), crypto)
  const base = (await exists('/dev/shm')) ? '/dev/shm' : tmpdir()
  const dir = await mkdtemp(join(base, 'kgit-secret-'))
  await chmod(dir, 0o700)
  const tmp = join(dir, 'secret.yaml')
  try {
    await writeFile(tmp, plain.reveal(), {mode: 0o600, flag: 'wx'})
    await execa('sh', ['-c', `${editor} "$1"`, 'kgit-secret-edit', tmp], {stdio: 'inherit'})
    const edited = await readFile(tmp, 'utf8')
    if (edited === new TextDecoder().decode(plain.reveal())) return 'unchanged'
    const r = await encryptSecretsText(edited, crypto)
    await replaceFile(file, r.text)
    return 'changed'
  } finally {
    await shred(tmp)
    await rm(dir, {recursive: true, force: true})
  }
}

/** Overwrites a file with zeros, syncs, and removes it. */
async function shred(file: string): Promise<void> {
  const h = await open(file, 'r+').catch(() => undefined)
  if (!h) return
  try {
    const {size} = await h.stat()
    await h.write(new Uint8Array(size), 0, size, 0)
    await h.sync()
  } finally {
    await h.close()
  }
  await rm(file, {force: true})
}

/**
 * Makes the key that signs service account tokens (Ed25519) as an encrypted Secret
 * manifest at `file` (kube-system/kgit-service-account-key); returns the public key (PEM)
 * for whoever verifies the tokens. The private key is encrypted before the file is written.
 */
export async function serviceAccountKey(file: string, recipients: string[]): Promise<string> {
  if (await exists(file)) throw new UsageError(`${file} exists already`)
  const {generateKeyPairSync} = await import('node:crypto')
  const {privateKey, publicKey} = generateKeyPairSync('ed25519')
  const pem = privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  const armored = await ageCrypto(recipients).encrypt(Redacted.fromText(pem))
  const {SA_KEY_SECRET} = await import('../manifest/service-account.js')
  const text = [
    '# The key that signs service account tokens (docs/secrets.md). Made by: kgit secret service-account-key',
    'apiVersion: v1',
    'kind: Secret',
    `metadata: {name: ${SA_KEY_SECRET.name}, namespace: ${SA_KEY_SECRET.namespace}}`,
    'type: Opaque',
    'data:',
    `  ${SA_KEY_SECRET.key}: |`,
    ...armored.trim().split('\n').map((l) => `    ${l}`),
    '',
  ].join('\n')
  await mkdir(dirname(file), {recursive: true})
  await writeFile(file, text, {flag: 'wx'})
  return publicKey.export({type: 'spki', format: 'pem'}).toString()
}
