import {describe, expect, it} from 'vitest'
import {parseAllowedSigners, parseCsvLine, parseGpgVerifyOutput, parseTokenFile, parseUsersFile, parseVerifyOutput} from '../../src/engine/identity/files.js'
import {resolveIdentity, type IdentityInputs} from '../../src/engine/identity/resolve.js'
import {tokenAuthenticator} from '../../src/engine/identity/tokens.js'
import {parseCluster} from '../../src/engine/manifest/cluster.js'

const FP_A = 'SHA256:' + 'a'.repeat(43)
const FP_B = 'SHA256:' + 'B1+/'.repeat(10) + 'xyz'
const GPG_FP = '469BC31B92B44C0476FE45D274DC84D8F900D722'

describe('CSV records as Kubernetes reads its token file', () => {
  it.each([
    ['t1,alice,1001', ['t1', 'alice', '1001']],
    ['t1,alice,1001,"dev,ops"', ['t1', 'alice', '1001', 'dev,ops']],
    ['t1,"al""ice",1,g', ['t1', 'al"ice', '1', 'g']],
    ['t1,,1', ['t1', '', '1']],
  ])('%s', (line, want) => expect(parseCsvLine(line)).toEqual(want))
  it.each(['t1,"open,1', 't1,al"ice,1', '"a"b,c'])('%s is no record', (line) => expect(parseCsvLine(line)).toBeUndefined())
})

describe('token file', () => {
  it('reads token, user, uid and groups; skips blank lines and comments', () => {
    const {tokens, errors} = parseTokenFile('/etc/kgit/tokens.csv', '# ci tokens\nabc123,ci-bot,42,"deployers,system:ci"\n\nxyz,bob,43\n')
    expect(errors).toEqual([])
    expect(tokens.get('abc123')).toEqual({user: 'ci-bot', uid: '42', groups: ['deployers', 'system:ci'], line: 2})
    expect(tokens.get('xyz')).toEqual({user: 'bob', uid: '43', groups: [], line: 4})
  })
  it('names file and line of every bad row', () => {
    const {errors} = parseTokenFile('t.csv', 'abc,alice\n,bob,1\nabc,alice,1\nabc,carol,2\nq,"x,1\nq2,,3\n')
    expect(errors.map((e) => e.message)).toEqual([
      't.csv:1: must be token,user,uid[,"group1,group2"] (3 or 4 columns), got 2',
      't.csv:2: the token (column 1) is empty',
      't.csv:4: duplicate token (also line 3)',
      't.csv:5: not a CSV record (a double quote out of place?)',
      't.csv:6: the user name (column 2) is empty',
    ])
  })
  it('userForToken gives the user with system:authenticated, and nothing for an unknown or empty token', () => {
    const {tokens} = parseTokenFile('/etc/kgit/tokens.csv', 'abc123,ci-bot,42,"deployers"\n')
    const auth = tokenAuthenticator('/etc/kgit/tokens.csv', tokens)
    expect(auth.userForToken('abc123')).toEqual({user: 'ci-bot', uid: '42', groups: ['deployers', 'system:authenticated'], method: 'bearer token (/etc/kgit/tokens.csv:1)'})
    expect(auth.userForToken('abc12')).toBeUndefined()
    expect(auth.userForToken('')).toBeUndefined()
  })
})

describe('users file (pushing keys)', () => {
  it('maps fingerprints to user, uid and groups', () => {
    const {users, errors} = parseUsersFile('.kgit/users.csv', `${FP_A},alice,1001,"dev"\n${FP_B},bob,1002\n`)
    expect(errors).toEqual([])
    expect(users.get(FP_A)).toEqual({user: 'alice', uid: '1001', groups: ['dev'], line: 1})
    expect(users.get(FP_B)!.user).toBe('bob')
  })
  it('refuses what is no fingerprint', () => {
    const {errors} = parseUsersFile('.kgit/users.csv', 'MD5:aa:bb,alice,1\n')
    expect(errors.map((e) => e.message)).toEqual(['.kgit/users.csv:1: "MD5:aa:bb" is not a key fingerprint: an SSH key\'s (SHA256: and 43 base64 characters, as ssh-keygen -lf prints it) or a GPG key\'s (40 hex digits)'])
  })
  it('takes GPG fingerprints too, in capitals', () => {
    const {users, errors} = parseUsersFile('.kgit/users.csv', `${GPG_FP.toLowerCase()},alice,1001,"dev"\n`)
    expect(errors).toEqual([])
    expect(users.get(GPG_FP)).toEqual({user: 'alice', uid: '1001', groups: ['dev'], line: 1})
  })
})

describe('allowed signers', () => {
  it('reads principals, options and keys', () => {
    const {signers, errors} = parseAllowedSigners('.kgit/allowed_signers', '# who signs\nalice,alice@example.com namespaces="git,file" ssh-ed25519 AAAAC3Nza alice\nbob ssh-rsa AAAAB3Nz\n')
    expect(errors).toEqual([])
    expect(signers).toEqual([
      {principals: ['alice', 'alice@example.com'], keyType: 'ssh-ed25519', key: 'AAAAC3Nza', line: 2},
      {principals: ['bob'], keyType: 'ssh-rsa', key: 'AAAAB3Nz', line: 3},
    ])
  })
  it('names the bad line', () => {
    const {errors} = parseAllowedSigners('s', 'alice AAAAC3Nza\n')
    expect(errors.map((e) => e.message)).toEqual(['s:1: must be: principals [options] keytype base64-key (as ssh-keygen(1) ALLOWED SIGNERS describes; keytype ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256...)'])
  })
})

describe("git verify-commit's output", () => {
  it('a good signature gives principal and fingerprint', () => {
    expect(parseVerifyOutput(0, `Good "git" signature for alice with ED25519 key ${FP_A}\n`)).toEqual({good: true, principal: 'alice', fingerprint: FP_A, detail: `Good "git" signature for alice with ED25519 key ${FP_A}`})
  })
  it('an unsigned commit', () => {
    expect(parseVerifyOutput(1, '')).toEqual({good: false, detail: 'the commit is not signed'})
    expect(parseVerifyOutput(1, 'error: no signature found\n')).toEqual({good: false, detail: 'the commit is not signed'})
  })
  it('a key nobody is allowed to sign with', () => {
    const r = parseVerifyOutput(1, `Good "git" signature with ED25519 key ${FP_B}\nNo principal matched.\n`)
    expect(r).toEqual({good: false, fingerprint: FP_B, detail: `Good "git" signature with ED25519 key ${FP_B}; No principal matched.`})
  })
})

describe("git verify-commit --raw's output for a GPG signature", () => {
  const goodRaw = `[GNUPG:] NEWSIG\n[GNUPG:] KEY_CONSIDERED ${GPG_FP} 0\n[GNUPG:] GOODSIG 74DC84D8F900D722 Alice Liddell <alice@example.com>\n[GNUPG:] VALIDSIG 1111111111111111111111111111111111111111 2026-11-27 1795770575 0 4 0 22 8 00 ${GPG_FP}\n[GNUPG:] TRUST_UNDEFINED 0 pgp\n`
  it.each<[string, number, string, object]>([
    ['good: the e-mail of the user ID, the primary key', 0, goodRaw, {good: true, principal: 'alice@example.com', fingerprint: GPG_FP, detail: `Good GPG signature from "Alice Liddell <alice@example.com>" with key ${GPG_FP}`}],
    ['a user ID without an e-mail', 0, goodRaw.replace('Alice Liddell <alice@example.com>', 'deploy bot'), {good: true, principal: 'deploy bot', fingerprint: GPG_FP, detail: `Good GPG signature from "deploy bot" with key ${GPG_FP}`}],
    ['not signed', 1, '', {good: false, detail: 'the commit is not signed'}],
    ['a key the file does not hold', 1, `[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG 74DC84D8F900D722 22 8 00 1795770575 9 ${GPG_FP}\n[GNUPG:] NO_PUBKEY 74DC84D8F900D722\n`, {good: false, detail: 'signed with GPG key 74DC84D8F900D722, which the GPG keys file (spec.authentication.gpgKeysFile) does not hold'}],
    ['a bad signature', 1, '[GNUPG:] NEWSIG\n[GNUPG:] BADSIG 74DC84D8F900D722 Alice <alice@example.com>\n', {good: false, detail: 'bad GPG signature from key 74DC84D8F900D722 (Alice <alice@example.com>)'}],
    ['GOODSIG but git failed', 1, goodRaw, {good: false, detail: '[GNUPG:] VALIDSIG 1111111111111111111111111111111111111111 2026-11-27 1795770575 0 4 0 22 8 00 469BC31B92B44C0476FE45D274DC84D8F900D722; [GNUPG:] TRUST_UNDEFINED 0 pgp'}],
  ])('%s', (_, code, out, want) => expect(parseGpgVerifyOutput(code, out)).toEqual(want))
})

describe('who makes the change', () => {
  const users = parseUsersFile('.kgit/users.csv', `${FP_A},alice,1001,"dev"\n`).users
  const base: IdentityInputs = {localUser: 'ops', users: {file: '.kgit/users.csv', entries: users}, auth: {localUser: 'allow', usersFile: '.kgit/users.csv', allowedSignersFile: '.kgit/allowed_signers'}}
  const good = {good: true, principal: 'alice', fingerprint: FP_A, detail: ''}
  it.each<[string, Partial<IdentityInputs>, object]>([
    ['the pushing key', {pusherKey: FP_A, signature: good}, {user: 'alice', uid: '1001', groups: ['dev', 'system:authenticated'], method: `pusher's key ${FP_A} (.kgit/users.csv:1)`}],
    ['--as before the signature', {as: 'bob', asGroups: ['system:masters'], signature: good}, {user: 'bob', groups: ['system:masters', 'system:authenticated'], method: '--as'}],
    ['the signer, groups from the users file by key', {signature: good}, {user: 'alice', uid: '1001', groups: ['dev', 'system:authenticated'], method: `signed commit (key ${FP_A}, principal alice; groups from .kgit/users.csv:1)`}],
    ['a signer the users file does not list', {signature: {good: true, principal: 'carol', fingerprint: FP_B, detail: ''}}, {user: 'carol', groups: ['system:authenticated'], method: `signed commit (key ${FP_B}, principal carol)`}],
    ['a GPG signer: the user from the users file by key', {users: {file: '.kgit/users.csv', entries: parseUsersFile('.kgit/users.csv', `${GPG_FP},alice,1001,"dev"\n`).users}, signature: {good: true, principal: 'alice@example.com', fingerprint: GPG_FP, detail: ''}}, {user: 'alice', uid: '1001', groups: ['dev', 'system:authenticated'], method: `GPG-signed commit (key ${GPG_FP}, user ID alice@example.com; user, groups from .kgit/users.csv:1)`}],
    ['a GPG signer the users file does not list: the e-mail', {signature: {good: true, principal: 'carol@example.com', fingerprint: GPG_FP, detail: ''}}, {user: 'carol@example.com', groups: ['system:authenticated'], method: `GPG-signed commit (key ${GPG_FP}, user ID carol@example.com)`}],
    ['the local user', {signature: {good: false, detail: 'the commit is not signed'}}, {user: 'ops', groups: ['system:authenticated'], method: 'local user (login name; spec.authentication.localUser allow; commit signature not used: the commit is not signed)'}],
  ])('%s', (_, extra, want) => expect(resolveIdentity({...base, ...extra})).toEqual(want))

  it.each<[string, Partial<IdentityInputs>, string]>([
    ['an unknown pushing key', {pusherKey: FP_B}, `the pushing key ${FP_B} (KGIT_PUSHER_KEY) is not in .kgit/users.csv: the push is refused`],
    ['--as when the local user is refused', {as: 'bob', auth: {localUser: 'refuse'}}, '--as bob is refused: spec.authentication.localUser is "refuse" (the identity comes from the commit\'s signature or the pushing key)'],
    ['--as-group alone', {asGroups: ['x']}, '--as-group needs --as (the user the groups belong to), as in kubectl'],
    ['no signature and no local user', {auth: {localUser: 'refuse', allowedSignersFile: 's'}, signature: {good: false, detail: 'the commit is not signed'}}, `no identity for this change: the commit's signature does not identify anyone (the commit is not signed), no pushing key is given (KGIT_PUSHER_KEY), and spec.authentication.localUser is "refuse"; sign the commit with a key the allowed-signers file lists (git commit -S with gpg.format=ssh) or one of the GPG keys file`],
    ['a key the users file gives someone else', {signature: {good: true, principal: 'mallory', fingerprint: FP_A, detail: ''}}, `the commit is signed by key ${FP_A} as "mallory", but .kgit/users.csv:1 gives that key to "alice": make them agree`],
  ])('refuses %s', (_, extra, msg) => expect(() => resolveIdentity({...base, ...extra})).toThrow(msg))
})

describe('kgit.yaml spec.authentication and spec.authorization', () => {
  const cluster = (spec: string) => parseCluster('kgit.yaml', `apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  nodes: [{name: n1, address: 10.0.0.1}]\n${spec}`)
  it('reads both, with defaults', () => {
    const {cluster: c, errors} = cluster('  authentication: {allowedSignersFile: .kgit/allowed_signers, tokenFile: /etc/kgit/tokens.csv}\n  authorization:\n    modes: [RBAC, Webhook]\n    webhook: {url: "https://127.0.0.1:8443/authorize", caFile: /etc/kgit/ca.pem}\n')
    expect(errors).toEqual([])
    expect(c!.authentication).toEqual({localUser: 'allow', allowedSignersFile: '.kgit/allowed_signers', tokenFile: '/etc/kgit/tokens.csv'})
    expect(c!.authorization).toEqual({modes: ['RBAC', 'Webhook'], webhook: {url: 'https://127.0.0.1:8443/authorize', caFile: '/etc/kgit/ca.pem', timeoutMs: 3000, failurePolicy: 'Deny'}, pos: {file: 'kgit.yaml', line: 7, path: 'spec.authorization'}})
  })
  it('names file, line and field of every problem', () => {
    const {errors} = cluster('  authentication: {localUser: maybe, tokenFile: tokens.csv, usersFile: ../users}\n  authorization:\n    modes: [RBAC, Magic, RBAC, ABAC, Webhook]\n    webhook: {url: "http://x", timeout: 1m, failurePolicy: Allow}\n')
    expect(errors.map((e) => e.message)).toEqual([
      'kgit.yaml:6 spec.authentication.tokenFile: must be an absolute path outside the repository (tokens are secrets: never commit them)',
      'kgit.yaml:6 spec.authentication.localUser: must be one of allow, refuse, got "maybe"',
      'kgit.yaml:6 spec.authentication.usersFile: must be a path inside the repository or an absolute path (no "..")',
      'kgit.yaml:8 spec.authorization.modes[1]: must be one of AlwaysAllow, AlwaysDeny, ABAC, RBAC, Webhook, got "Magic"',
      'kgit.yaml:8 spec.authorization.modes[2]: "RBAC" is listed twice',
      'kgit.yaml:7 spec.authorization.abac: required when modes lists ABAC (abac: {policyFile: PATH})',
      'kgit.yaml:9 spec.authorization.webhook.url: must be an https:// URL (a SubjectAccessReview carries who asks: never in clear), got "http://x"',
      'kgit.yaml:9 spec.authorization.webhook.timeout: must be a duration from 100ms to 30s (500ms, 3s), got "1m"',
      'kgit.yaml:9 spec.authorization.webhook.failurePolicy: must be one of Deny, NoOpinion, got "Allow"',
    ])
  })
})
