import type {SecretBytes} from './types.js'

const hidden = new WeakMap<Redacted, Uint8Array>()
const INSPECT = Symbol.for('nodejs.util.inspect.custom')

/**
 * Secret bytes in a wrapper whose every printable form is `[redacted]`: String(), JSON,
 * util.inspect (console.log, --debug dumps) and template strings. The bytes live in a
 * WeakMap, so not even an own property of the object holds them; only `reveal()` does.
 */
export class Redacted implements SecretBytes {
  constructor(bytes: Uint8Array) {
    hidden.set(this, bytes)
  }

  static fromText(text: string): Redacted {
    return new Redacted(new TextEncoder().encode(text))
  }

  reveal(): Uint8Array {
    return hidden.get(this)!
  }

  get length(): number {
    return hidden.get(this)!.length
  }

  toString(): string {
    return '[redacted]'
  }

  toJSON(): string {
    return '[redacted]'
  }

  [INSPECT](): string {
    return '[redacted]'
  }
}
