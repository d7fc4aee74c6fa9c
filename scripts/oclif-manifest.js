// Writes oclif.manifest.json after a build, so that starting kgit loads only the one
// command it runs instead of importing every command to discover its flags.
import {Config} from '@oclif/core'
import {rm, writeFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const file = `${root}oclif.manifest.json`
await rm(file, {force: true})
const config = await Config.load({root, ignoreManifest: true})
const manifest = config.rootPlugin.manifest
await writeFile(file, JSON.stringify(manifest, null, 2) + '\n')
console.log(`oclif.manifest.json: ${Object.keys(manifest.commands).length} commands`)
