import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {signatureFormat, verifyCommitSignature, verifyGpgCommitSignature} from '../../src/engine/exec/commit-signature.js'
import {userForToken} from '../../src/engine/exec/token-file.js'
import {identify} from '../../src/engine/gate-run.js'
import type {ClusterSpec} from '../../src/engine/types.js'
import {git} from '../support/git-repo.js'

// Real git and ssh-keygen on a throwaway repository: what `git verify-commit` prints for
// SSH signatures is what parseVerifyOutput reads.
describe('signed commits, checked by git verify-commit against an allowed-signers text', () => {
  let dir: string
  let signed: string
  let unsigned: string
  let signers: string
  let fingerprint: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kgit-sign-'))
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice', '-f', join(dir, 'alice')])
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'eve', '-f', join(dir, 'eve')])
    fingerprint = execFileSync('ssh-keygen', ['-lf', join(dir, 'alice.pub')], {encoding: 'utf8'}).split(' ')[1]!
    signers = `alice namespaces="git" ${readFileSync(join(dir, 'alice.pub'), 'utf8').trim()}\n`
    git(dir, 'init', '-q', 'repo')
    const repo = join(dir, 'repo')
    writeFileSync(join(repo, 'f'), '1')
    git(repo, 'add', 'f')
    git(repo, '-c', 'gpg.format=ssh', '-c', `user.signingkey=${join(dir, 'alice')}`, 'commit', '-q', '-S', '-m', 'signed')
    signed = git(repo, 'rev-parse', 'HEAD')
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'unsigned')
    unsigned = git(repo, 'rev-parse', 'HEAD')
    git(repo, '-c', 'gpg.format=ssh', '-c', `user.signingkey=${join(dir, 'eve')}`, 'commit', '-q', '--allow-empty', '-S', '-m', 'eve')
  })
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  it('a good signature names the principal and the key', async () => {
    expect(await signatureFormat(join(dir, 'repo'), signed)).toBe('ssh')
    expect(await verifyCommitSignature(join(dir, 'repo'), signed, signers)).toEqual({good: true, principal: 'alice', fingerprint, detail: `Good "git" signature for alice with ED25519 key ${fingerprint}`})
  })
  it('an unsigned commit', async () => {
    expect(await verifyCommitSignature(join(dir, 'repo'), unsigned, signers)).toEqual({good: false, detail: 'the commit is not signed'})
  })
  it('a key the allowed signers do not list', async () => {
    const r = await verifyCommitSignature(join(dir, 'repo'), 'HEAD', signers)
    expect(r.good).toBe(false)
    expect(r.principal).toBeUndefined()
  })
  it('the same signature with alice no longer listed', async () => {
    expect((await verifyCommitSignature(join(dir, 'repo'), signed, '')).good).toBe(false)
  })
})

// Real gpg: a key made in a throwaway GNUPGHOME signs a commit; kgit checks it against the
// armored public key alone, in a keyring of its own.
describe('GPG-signed commits, checked by git verify-commit against a GPG keys file', () => {
  let dir: string
  let repo: string
  let keys: string
  let fpr: string
  let signed: string
  let eve: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kgit-gpg-sign-'))
    const home = join(dir, 'gnupg')
    mkdirSync(home, {mode: 0o700})
    const gpg = (...args: string[]) => execFileSync('gpg', ['--batch', '--no-tty', '--passphrase', '', ...args], {env: {...process.env, GNUPGHOME: home}, encoding: 'utf8'})
    gpg('--quick-gen-key', 'Alice Liddell <alice@example.com>', 'ed25519', 'sign', 'never')
    gpg('--quick-gen-key', 'Eve <eve@example.com>', 'ed25519', 'sign', 'never')
    fpr = /^fpr:+([0-9A-F]{40}):/m.exec(gpg('--with-colons', '--list-keys', 'alice@example.com'))![1]!
    keys = gpg('--armor', '--export', 'alice@example.com')
    git(dir, 'init', '-q', 'repo')
    repo = join(dir, 'repo')
    writeFileSync(join(repo, 'f'), '1')
    git(repo, 'add', 'f')
    const sign = (who: string, msg: string) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', `user.signingkey=${who}`, 'commit', '-q', '--allow-empty', '-S', '-m', msg], {cwd: repo, env: {...process.env, GNUPGHOME: home}})
    sign('alice@example.com', 'signed by alice')
    signed = git(repo, 'rev-parse', 'HEAD')
    sign('eve@example.com', 'signed by eve')
    eve = git(repo, 'rev-parse', 'HEAD')
    execFileSync('gpgconf', ['--kill', 'all'], {env: {...process.env, GNUPGHOME: home}})
  })
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  it('tells GPG, SSH and unsigned commits apart', async () => {
    expect(await signatureFormat(repo, signed)).toBe('gpg')
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'unsigned')
    expect(await signatureFormat(repo, 'HEAD')).toBeUndefined()
  })
  it('a good signature names the e-mail of the user ID and the primary key', async () => {
    expect(await verifyGpgCommitSignature(repo, signed, keys, '.kgit/gpg-keys.asc')).toEqual({good: true, principal: 'alice@example.com', fingerprint: fpr, detail: `Good GPG signature from "Alice Liddell <alice@example.com>" with key ${fpr}`})
  })
  it('a key the file does not hold is no identity', async () => {
    const r = await verifyGpgCommitSignature(repo, eve, keys, '.kgit/gpg-keys.asc')
    expect(r.good).toBe(false)
    expect(r.detail).toMatch(/^signed with GPG key [0-9A-F]{16}, which the GPG keys file \(spec\.authentication\.gpgKeysFile\) does not hold$/)
  })
  it("identify: the GPG-signed commit's user from the users file, with localUser refuse; an unlisted key is refused", async () => {
    const files: Record<string, string> = {'.kgit/gpg-keys.asc': keys, '.kgit/users.csv': `${fpr},alice,1001,"dev"\n`}
    const running = {cluster: {authentication: {localUser: 'refuse', gpgKeysFile: '.kgit/gpg-keys.asc', usersFile: '.kgit/users.csv'}} as unknown as ClusterSpec, readTrusted: async (p: string) => files[p]!}
    expect(await identify(running, {}, {root: repo, commit: signed})).toEqual({user: 'alice', uid: '1001', groups: ['dev', 'system:authenticated'], method: `GPG-signed commit (key ${fpr}, user ID alice@example.com; user, groups from .kgit/users.csv:1)`})
    await expect(identify(running, {}, {root: repo, commit: eve})).rejects.toThrow(/no identity for this change: the commit's signature does not identify anyone \(signed with GPG key [0-9A-F]{16}, which the GPG keys file/)
    const sshOnly = {...running, cluster: {authentication: {localUser: 'refuse', allowedSignersFile: '.kgit/allowed_signers'}} as unknown as ClusterSpec}
    await expect(identify(sshOnly, {}, {root: repo, commit: signed})).rejects.toThrow("the commit's signature does not identify anyone (the commit has a GPG signature, but kgit.yaml names no spec.authentication.gpgKeysFile)")
  })
  it('a file with no key in it is an error naming it', async () => {
    await expect(verifyGpgCommitSignature(repo, signed, 'not a key\n', '.kgit/gpg-keys.asc')).rejects.toThrow(/^\.kgit\/gpg-keys\.asc \(spec\.authentication\.gpgKeysFile\): gpg imports no public key from it/)
  })
})

describe('userForToken reads the token file', () => {
  it('finds the user, and names file and line of a bad file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kgit-tokens-'))
    try {
      writeFileSync(join(dir, 'tokens.csv'), 's3cret,ci,7,"deployers"\n')
      expect(await userForToken(join(dir, 'tokens.csv'), 's3cret')).toEqual({user: 'ci', uid: '7', groups: ['deployers', 'system:authenticated'], method: `bearer token (${join(dir, 'tokens.csv')}:1)`})
      expect(await userForToken(join(dir, 'tokens.csv'), 'guess')).toBeUndefined()
      writeFileSync(join(dir, 'bad.csv'), 'only-a-token\n')
      await expect(userForToken(join(dir, 'bad.csv'), 'x')).rejects.toThrow(`${join(dir, 'bad.csv')}:1: must be token,user,uid[,"group1,group2"] (3 or 4 columns), got 1`)
      await expect(userForToken(join(dir, 'none.csv'), 'x')).rejects.toThrow(`cannot read the token file ${join(dir, 'none.csv')} (spec.authentication.tokenFile)`)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
