import {ManifestError} from '../errors.js'

/**
 * The identity files kgit reads (pure parsers; errors name file and line):
 * - a token file, Kubernetes' static token file: `token,user,uid,"group1,group2"`;
 * - a users file, the same columns with an SSH key fingerprint (`SHA256:...`) first;
 * - an allowed-signers file, ssh-keygen's format (`principals [options] keytype key`).
 */

/** One row of a token or users file: the key (a token, a fingerprint), then who it is. */
export interface UserEntry {
  user: string
  uid: string
  groups: string[]
  line: number
}

/** One CSV record as encoding/csv reads it: commas, double quotes, `""` inside quotes. */
export function parseCsvLine(text: string): string[] | undefined {
  const out: string[] = []
  let i = 0
  for (;;) {
    let field = ''
    if (text[i] === '"') {
      i++
      for (;;) {
        if (i >= text.length) return undefined
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"'
          i += 2
        } else if (text[i] === '"') break
        else field += text[i++]
      }
      i++
      if (i < text.length && text[i] !== ',') return undefined
    } else {
      const end = text.indexOf(',', i)
      field = text.slice(i, end < 0 ? text.length : end)
      if (field.includes('"')) return undefined
      i = end < 0 ? text.length : end
    }
    out.push(field)
    if (i >= text.length) return out
    i++ // the comma
  }
}

/** Lines with their numbers, blank lines and `#` comments left out. */
function contentLines(text: string): {text: string; line: number}[] {
  return text.split(/\r?\n/).flatMap((t, i) => (t.trim() === '' || t.trimStart().startsWith('#') ? [] : [{text: t, line: i + 1}]))
}

/**
 * A CSV file of `key,user,uid[,"group1,group2"]` rows, keyed by the first column.
 * `checkKey` says what is wrong with a key (undefined: it is fine).
 */
function parseUserCsv(file: string, text: string, what: string, checkKey: (key: string) => string | undefined): {entries: Map<string, UserEntry>; errors: ManifestError[]} {
  const entries = new Map<string, UserEntry>()
  const errors: ManifestError[] = []
  for (const {text: t, line} of contentLines(text)) {
    const fail = (detail: string): void => void errors.push(new ManifestError({file, line}, detail))
    const rec = parseCsvLine(t.trim())
    if (!rec) {
      fail('not a CSV record (a double quote out of place?)')
      continue
    }
    if (rec.length < 3 || rec.length > 4) {
      fail(`must be ${what},user,uid[,"group1,group2"] (3 or 4 columns), got ${rec.length}`)
      continue
    }
    const [key, user, uid, groups] = rec.map((f) => f.trim()) as [string, string, string, string | undefined]
    const bad = checkKey(key)
    if (bad) fail(bad)
    else if (user === '') fail('the user name (column 2) is empty')
    else if (entries.has(key)) fail(`duplicate ${what} (also line ${entries.get(key)!.line})`)
    else entries.set(key, {user, uid, groups: (groups ?? '').split(',').map((g) => g.trim()).filter(Boolean), line})
  }
  return {entries, errors}
}

/** Kubernetes' static token file: `token,user,uid,"group1,group2"`. */
export function parseTokenFile(file: string, text: string): {tokens: Map<string, UserEntry>; errors: ManifestError[]} {
  const {entries, errors} = parseUserCsv(file, text, 'token', (k) => (k === '' ? 'the token (column 1) is empty' : undefined))
  return {tokens: entries, errors}
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/
const GPG_FINGERPRINT = /^[0-9A-Fa-f]{40}$/

/**
 * The users file: `FINGERPRINT,user,uid,"group1,group2"`, an SSH key's fingerprint as
 * `ssh-keygen -lf` prints it (`SHA256:...`) or a GPG primary key's (40 hex digits, as
 * `gpg --fingerprint` prints it without blanks; kept in capitals).
 */
export function parseUsersFile(file: string, text: string): {users: Map<string, UserEntry>; errors: ManifestError[]} {
  const {entries, errors} = parseUserCsv(file, text, 'fingerprint', (k) => (FINGERPRINT.test(k) || GPG_FINGERPRINT.test(k) ? undefined : `"${k}" is not a key fingerprint: an SSH key's (SHA256: and 43 base64 characters, as ssh-keygen -lf prints it) or a GPG key's (40 hex digits)`))
  const users = new Map([...entries].map(([k, e]) => [GPG_FINGERPRINT.test(k) ? k.toUpperCase() : k, e]))
  return {users, errors}
}

/** One line of an allowed-signers file: who may sign (principals, `*` patterns allowed), with which key. */
export interface AllowedSigner {
  principals: string[]
  keyType: string
  key: string
  line: number
}

const KEY_TYPES = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com|ssh-dss)$/

/** ssh-keygen's allowed-signers format (ALLOWED SIGNERS in ssh-keygen(1)): principals, options, key. */
export function parseAllowedSigners(file: string, text: string): {signers: AllowedSigner[]; errors: ManifestError[]} {
  const signers: AllowedSigner[] = []
  const errors: ManifestError[] = []
  for (const {text: t, line} of contentLines(text)) {
    const words = splitOptions(t.trim())
    const at = words.findIndex((w, i) => i > 0 && KEY_TYPES.test(w))
    if (at < 0 || !words[at + 1]) {
      errors.push(new ManifestError({file, line}, 'must be: principals [options] keytype base64-key (as ssh-keygen(1) ALLOWED SIGNERS describes; keytype ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256...)'))
      continue
    }
    signers.push({principals: words[0]!.split(',').filter(Boolean), keyType: words[at]!, key: words[at + 1]!, line})
  }
  return {signers, errors}
}

/** Words separated by blanks, where a blank inside double quotes (`namespaces="git,file"`) does not split. */
function splitOptions(t: string): string[] {
  return t.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []
}

/** What `git verify-commit` says of an SSH signature ssh-keygen checked. */
export interface SignatureCheck {
  good: boolean
  principal?: string
  fingerprint?: string
  /** Why it is not good, in git's or ssh-keygen's words. */
  detail: string
}

/**
 * Reads `git verify-commit --raw`'s output for a GPG signature (gpg's status lines):
 * `[GNUPG:] GOODSIG KEYID Alice <alice@example.com>` and `[GNUPG:] VALIDSIG ... PRIMARY-FPR`.
 * The principal is the e-mail address of the signing key's user ID (the whole user ID when
 * it has none); the fingerprint is the primary key's.
 */
export function parseGpgVerifyOutput(exitCode: number, output: string): SignatureCheck {
  const good = /^\[GNUPG:\] GOODSIG ([0-9A-F]+) (.+)$/m.exec(output)
  const valid = /^\[GNUPG:\] VALIDSIG (.+)$/m.exec(output)
  if (exitCode === 0 && good && valid) {
    const uid = good[2]!.trim()
    const fingerprint = valid[1]!.trim().split(/\s+/).at(-1)!.toUpperCase()
    return {good: true, principal: /<([^<>]+)>\s*$/.exec(uid)?.[1] ?? uid, fingerprint, detail: `Good GPG signature from "${uid}" with key ${fingerprint}`}
  }
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean)
  if (lines.length === 0) return {good: false, detail: 'the commit is not signed'}
  const missing = /^\[GNUPG:\] NO_PUBKEY ([0-9A-F]+)/m.exec(output)
  if (missing) return {good: false, detail: `signed with GPG key ${missing[1]}, which the GPG keys file (spec.authentication.gpgKeysFile) does not hold`}
  const bad = /^\[GNUPG:\] (BADSIG|EXPKEYSIG|REVKEYSIG|EXPSIG) ([0-9A-F]+) ?(.*)$/m.exec(output)
  if (bad) return {good: false, detail: `${{BADSIG: 'bad', EXPKEYSIG: 'expired key:', REVKEYSIG: 'revoked key:', EXPSIG: 'expired'}[bad[1] as 'BADSIG']} GPG signature from key ${bad[2]}${bad[3] ? ` (${bad[3]})` : ''}`}
  return {good: false, detail: lines.filter((l) => !l.startsWith('[GNUPG:]')).slice(-2).join('; ') || lines.slice(-2).join('; ')}
}

/**
 * Reads `git verify-commit`'s output for an SSH signature:
 * `Good "git" signature for alice with ED25519 key SHA256:...`.
 */
export function parseVerifyOutput(exitCode: number, output: string): SignatureCheck {
  const good = /^Good "git" signature for (.+) with \S+ key (SHA256:\S+)\s*$/m.exec(output)
  if (exitCode === 0 && good) return {good: true, principal: good[1]!, fingerprint: good[2]!, detail: good[0].trim()}
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean)
  // git says nothing at all of an unsigned commit (older versions: "no signature found").
  if (lines.length === 0 || lines.some((l) => /no signature found/.test(l))) return {good: false, detail: 'the commit is not signed'}
  const fp = /(SHA256:[A-Za-z0-9+/]{43})/.exec(output)?.[1]
  return {good: false, ...(fp ? {fingerprint: fp} : {}), detail: lines.slice(-2).join('; ')}
}
