/** Where in the user's repository a problem is: file, 1-based line, and field path. */
export interface SourcePos {
  file: string
  line?: number
  path?: string
}

/** A problem the user can fix in their repository or cluster file. */
export class ManifestError extends Error {
  override name = 'ManifestError'
  constructor(
    readonly pos: SourcePos,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(formatPos(pos) + ': ' + detail, options)
  }
}

/** A command that failed on a node. */
export class RemoteError extends Error {
  override name = 'RemoteError'
  readonly node: string
  readonly argv: string[]
  readonly exitCode: number | null
  readonly stderrTail: string
  readonly hint?: string
  constructor(opts: {node: string; argv: string[]; exitCode: number | null; stderr: string; what?: string; hint?: string}, options?: ErrorOptions) {
    const tail = tailLines(opts.stderr, 5)
    const what = opts.what ?? `command failed: ${opts.argv.slice(0, 3).join(' ')}`
    const code = opts.exitCode === null ? 'no exit status' : `exit ${opts.exitCode}`
    super(`${what} on node ${opts.node}: ${code}${tail ? ` (${tail})` : ''}`, options)
    this.node = opts.node
    this.argv = opts.argv
    this.exitCode = opts.exitCode
    this.stderrTail = tail
    this.hint = opts.hint
  }
}

/** A node that could not be reached or authenticated. */
export class NodeUnreachableError extends Error {
  override name = 'NodeUnreachableError'
  constructor(
    readonly node: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`node ${node} is unreachable: ${reason}`, options)
  }
}

/** Something the user did not cause and cannot fix: a kgit bug. */
export class BugError extends Error {
  override name = 'BugError'
}

/** A problem with how kgit was invoked or the local environment (missing tool, bad flag). */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** Another run holds the cluster lock (`kgit reconcile --once` exits with its own code for it). */
export class ClusterLockedError extends UsageError {
  override name = 'ClusterLockedError'
}

/** Several errors reported together. */
export class ErrorList extends Error {
  override name = 'ErrorList'
  constructor(readonly errors: Error[]) {
    super(errors.map((e) => e.message).join('\n'))
  }
}

export function formatPos(pos: SourcePos): string {
  let s = pos.file
  if (pos.line !== undefined) s += `:${pos.line}`
  if (pos.path) s += ` ${pos.path}`
  return s
}

export function tailLines(text: string, n: number): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean)
  return lines.slice(-n).join('; ')
}

/** A change an admission check refuses (a ResourceQuota exceeded): nothing was applied. */
export class AdmissionError extends UsageError {
  override name = 'AdmissionError'
  constructor(
    readonly pos: SourcePos,
    message: string,
  ) {
    super(message)
  }
}
