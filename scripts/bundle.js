// Bundles the compiled commands (dist/commands, from tsc) into dist-cli/commands: one file per
// command plus shared chunks, so that starting kgit reads a handful of files instead of
// resolving and compiling some 400 modules (~0.2 s of CPU on every run; the e2e suite runs
// kgit hundreds of times). Packages with native parts or that must stay one instance
// (@oclif/core: bin/run.js loads it too) are left out of the bundle and loaded as usual.
import {build} from 'esbuild'
import {readdir, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const from = join(root, 'dist', 'commands')
const to = join(root, 'dist-cli', 'commands')

async function jsFiles(dir) {
  const out = []
  for (const e of await readdir(dir, {withFileTypes: true})) {
    if (e.isDirectory()) out.push(...(await jsFiles(join(dir, e.name))))
    else if (e.name.endsWith('.js')) out.push(join(dir, e.name))
  }
  return out
}

await rm(join(root, 'dist-cli'), {recursive: true, force: true})
const entryPoints = await jsFiles(from)
await build({
  entryPoints,
  outdir: to,
  outbase: from,
  bundle: true,
  splitting: true,
  // Shared chunks beside the commands, not among them: oclif takes every file there for a command.
  chunkNames: '../chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@oclif/core', 'ssh2', 'cpu-features', 'typescript', '@bufbuild/re2'],
  // CommonJS packages inside the bundle call require(): give ESM chunks one.
  banner: {js: "import {createRequire as __kgitRequire} from 'node:module'; const require = __kgitRequire(import.meta.url);"},
  logLevel: 'warning',
})
console.log(`dist-cli: ${entryPoints.length} commands bundled`)
