import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {verifyCommitSignature} from '../../src/engine/exec/commit-signature.js'
import {userForToken} from '../../src/engine/exec/token-file.js'
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
