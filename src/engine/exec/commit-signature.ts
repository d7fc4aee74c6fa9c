import {spawn} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseVerifyOutput, type SignatureCheck} from '../identity/files.js'

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

function run(cmd: string, args: string[], cwd: string): Promise<{code: number; output: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {cwd, stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => out.push(d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? 1, output: Buffer.concat(out).toString()}))
  })
}
