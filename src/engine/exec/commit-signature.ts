import {spawn} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {UsageError} from '../errors.js'
import {parseGpgVerifyOutput, parseVerifyOutput, type SignatureCheck} from '../identity/files.js'

/** How a commit is signed, from its `gpgsig` header: an SSH signature, a GPG one, or none. */
export async function signatureFormat(root: string, commit: string): Promise<'ssh' | 'gpg' | undefined> {
  const {code, output} = await run('git', ['cat-file', 'commit', commit], root)
  if (code !== 0) return undefined
  const headers = output.slice(0, output.indexOf('\n\n') < 0 ? output.length : output.indexOf('\n\n'))
  const sig = /^gpgsig(?:-sha256)? (.*)$/m.exec(headers)?.[1]?.trim()
  if (sig === undefined) return undefined
  return sig.startsWith('-----BEGIN SSH SIGNATURE-----') ? 'ssh' : 'gpg'
}

/**
 * `git verify-commit` of one commit against an allowed-signers file's text (from the
 * revision the cluster runs, so a change cannot vouch for itself). The text goes to a
 * private temporary file for gpg.ssh.allowedSignersFile; ssh-keygen does the checking.
 */
export async function verifyCommitSignature(root: string, commit: string, allowedSigners: string): Promise<SignatureCheck> {
  const dir = await mkdtemp(join(tmpdir(), 'kgit-signers-'))
  try {
    const file = join(dir, 'allowed_signers')
    await writeFile(file, allowedSigners, {mode: 0o600})
    const {code, output} = await run('git', ['-c', `gpg.ssh.allowedSignersFile=${file}`, 'verify-commit', '--raw', commit], root)
    return parseVerifyOutput(code, output)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/**
 * `git verify-commit` of a GPG-signed commit against the armored public keys of the GPG
 * keys file (from the revision the cluster runs): they are imported into a private,
 * temporary keyring (GNUPGHOME, no agent started) that holds nothing else, so a good
 * signature is one of those keys. gpg's trust model plays no part: the file is the list.
 */
export async function verifyGpgCommitSignature(root: string, commit: string, keys: string, keysFile: string): Promise<SignatureCheck> {
  const home = await mkdtemp(join(tmpdir(), 'kgit-gpg-'))
  const env = {...process.env, GNUPGHOME: home}
  try {
    await writeFile(join(home, 'keys.asc'), keys, {mode: 0o600})
    const imported = await run('gpg', ['--batch', '--no-autostart', '--no-tty', '--import', join(home, 'keys.asc')], root, env).catch((err: Error) => {
      throw new UsageError(`cannot run gpg to check the commit's GPG signature (spec.authentication.gpgKeysFile ${keysFile}): ${err.message}`, {cause: err})
    })
    if (imported.code !== 0 && !/imported: [1-9]|unchanged: [1-9]/.test(imported.output)) {
      throw new UsageError(`${keysFile} (spec.authentication.gpgKeysFile): gpg imports no public key from it: ${imported.output.trim().split('\n').slice(-2).join('; ')}`)
    }
    const {code, output} = await run('git', ['-c', 'gpg.program=gpg', 'verify-commit', '--raw', commit], root, env)
    return parseGpgVerifyOutput(code, output)
  } finally {
    await rm(home, {recursive: true, force: true})
  }
}

function run(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<{code: number; output: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(env ? {env} : {})})
    const out: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => out.push(d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? 1, output: Buffer.concat(out).toString()}))
  })
}
