import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

let root: string | undefined

/**
 * The directory of kgit's package.json (templates/, dist/, package.json): found by walking
 * up from this module, so the same code works from tsc's dist/ and from the bundled
 * commands in dist-cli/ (whose chunks sit at another depth).
 */
export function packageRoot(): string {
  if (root !== undefined) return root
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json')
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as {name?: string}).name === 'kgit') return (root = dir)
    if (dirname(dir) === dir) throw new Error(`kgit's package.json is not above ${fileURLToPath(import.meta.url)}`)
  }
}

/** A path inside kgit's package: `packagePath('templates', 'node', 'kgit-net.sh')`. */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts)
}
