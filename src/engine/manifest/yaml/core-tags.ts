import {NOT_RESOLVED, defineScalarTag, type ScalarTagDefinition} from 'js-yaml'

/**
 * YAML 1.2 core scalars exactly as the `yaml` package resolves plain scalars (same patterns,
 * same conversions, tried in the same order), for js-yaml. js-yaml's own core tags differ at
 * the edges: `1e400` stays a string there, `yaml` makes it Infinity. Explicit tags never
 * reach these (the fast path leaves tagged files to `yaml`).
 */

const DIGITS = '0123456789'.split('')

function tag<T>(name: string, firstChars: readonly string[], resolve: (s: string) => T | typeof NOT_RESOLVED): ScalarTagDefinition<T> {
  return defineScalarTag<T>(`tag:yaml.org,2002:${name}`, {implicit: true, implicitFirstChars: firstChars, resolve, identify: () => false})
}

const NULL = /^(?:~|[Nn]ull|NULL)?$/
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/
const INT_OCT = /^0o[0-7]+$/
const INT = /^[-+]?[0-9]+$/
const INT_HEX = /^0x[0-9a-fA-F]+$/
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/

export const nullTag = tag('null', ['', '~', 'n', 'N'], (s) => (NULL.test(s) ? null : NOT_RESOLVED))
export const boolTag = tag('bool', ['t', 'T', 'f', 'F'], (s) => (BOOL.test(s) ? s[0] === 't' || s[0] === 'T' : NOT_RESOLVED))

export const intTag = tag('int', ['-', '+', ...DIGITS], (s) => {
  if (INT_OCT.test(s)) return parseInt(s.substring(2), 8)
  if (INT.test(s)) return parseInt(s, 10)
  if (INT_HEX.test(s)) return parseInt(s.substring(2), 16)
  return NOT_RESOLVED
})

export const floatTag = tag('float', ['-', '+', '.', ...DIGITS], (s) => {
  if (FLOAT_NAN.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? -Infinity : Infinity
  if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s)
  return NOT_RESOLVED
})

/** In `yaml`'s order: the first that resolves a plain scalar decides its value. */
export const CORE_SCALARS = [nullTag, boolTag, intTag, floatTag] as const
