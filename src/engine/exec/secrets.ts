import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {ErrorList, ManifestError, UsageError} from '../errors.js'
import {checkSecretEnvValues, secretDigest} from '../manifest/secret.js'
import {Redacted} from '../redacted.js'
import type {KObject, SecretObject} from '../types.js'
import {expandHome} from './connect.js'

/** Where kgit finds the age identity that decrypts Secrets: --age-key-file, $KGIT_AGE_KEY_FILE, then ~/.config/kgit/age.key. */
export function ageKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.KGIT_AGE_KEY_FILE ? expandHome(env.KGIT_AGE_KEY_FILE) : join(homedir(), '.config', 'kgit', 'age.key')
}

/** The identities (`AGE-SECRET-KEY-1...` lines) of an age identity file. */
export async function readIdentities(file: string): Promise<string[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message
    throw new UsageError(`cannot read the age identity file ${file}: ${why} (it decrypts the Secrets of the revision; point --age-key-file or KGIT_AGE_KEY_FILE at yours, or make one with: kgit secret keygen)`, {cause: err})
  }
  const ids = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith('AGE-SECRET-KEY-'))
  if (ids.length === 0) throw new UsageError(`${file} holds no age identity (a line starting with AGE-SECRET-KEY-1)`)
  return ids
}

/**
 * Decrypts every encrypted Secret value of a revision in memory, gives each Secret its
 * digest, and checks how the values are used. Runs before any node is touched: a missing
 * or wrong key stops the run here. Values only ever land in `Redacted` wrappers.
 */
export async function decryptSecrets(objects: readonly KObject[], keyFile: string = ageKeyFile()): Promise<void> {
  const secrets = objects.filter((o): o is SecretObject => o.kind === 'Secret')
  const encrypted = secrets.filter((s) => Object.keys(s.encrypted).length > 0)
  const errors: Error[] = []
  if (encrypted.length > 0) {
    // Loaded only when a revision has encrypted values: most runs do not, and loading it costs ~0.2 s of CPU.
    const {Decrypter, armor} = await import('age-encryption')
    const d = new Decrypter()
    for (const id of await readIdentities(keyFile)) d.addIdentity(id)
    for (const s of encrypted) {
      const values = {...(s.values ?? {})}
      for (const [k, text] of Object.entries(s.encrypted)) {
        try {
          values[k] = new Redacted(await d.decrypt(armor.decode(text.trim())))
        } catch (err) {
          errors.push(new ManifestError({...s.source, path: `data.${k}`}, decryptFailure(err as Error, keyFile), {cause: err}))
          break
        }
      }
      s.values = values
    }
  }
  if (errors.length > 0) throw new ErrorList(errors)
  for (const s of secrets) s.digest = secretDigest(s)
  const uses = checkSecretEnvValues(objects)
  if (uses.length > 0) throw new ErrorList(uses)
}

function decryptFailure(err: Error, keyFile: string): string {
  if (/no identity matched/i.test(err.message)) return `cannot decrypt this Secret with the identities in ${keyFile}: it was not encrypted for them (someone who can decrypt it runs: kgit secret recipients add YOUR-RECIPIENT, then kgit secret encrypt FILE)`
  return `cannot decrypt this Secret value: it is not a valid age-encrypted value (${err.message})`
}
