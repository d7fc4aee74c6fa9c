/**
 * The one place where argv becomes a shell string (for ssh, which always runs a
 * command line through the remote user's shell). Every word is single-quoted, so no
 * byte of it is ever interpreted: `$()`, backticks, quotes, newlines and `;` arrive
 * as they are.
 */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new TypeError('a NUL byte cannot be passed in a command argument')
  if (/^[A-Za-z0-9_\-.,:/@%+][A-Za-z0-9_\-.,:/=@%+]*$/.test(word)) return word
  return "'" + word.replaceAll("'", `'\\''`) + "'"
}

/** One command line: each argv word quoted. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('empty argv')
  return argv.map(shellQuote).join(' ')
}

/** Several commands run in order, stopping at the first failure. */
export function shellScript(steps: readonly (readonly string[])[]): string {
  return steps.map(shellCommand).join(' && ')
}
