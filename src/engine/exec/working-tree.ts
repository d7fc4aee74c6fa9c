import {readdir, readFile, stat} from 'node:fs/promises'
import {join, relative} from 'node:path'
import type {SourceFile} from '../manifest/load.js'
import type {TreeReader} from './git-source.js'

const MANIFEST_EXT = /\.(ya?ml|json)$/i

/**
 * The files of the working tree, uncommitted edits included: only for local
 * experiments with `--working-tree`. Everything else reads a commit.
 */
export class WorkingTreeReader implements TreeReader {
  constructor(readonly root: string) {}

  async readFile(_commit: string, path: string): Promise<SourceFile | undefined> {
    const content = await readFile(join(this.root, path)).catch(() => undefined)
    return content ? {path, content} : undefined
  }

  async readManifests(commit: string, paths: string[], extra: string[] = []): Promise<{files: SourceFile[]; extra: (SourceFile | undefined)[]; missing: string[]}> {
    const missing = (await Promise.all(paths.map(async (p) => ((await stat(join(this.root, p)).catch(() => undefined)) ? [] : [p])))).flat()
    const names = (await Promise.all(paths.map((p) => this.walk(join(this.root, p))))).flat()
    const files = await Promise.all([...new Set(names)].sort().map(async (full) => ({path: relative(this.root, full), content: await readFile(full)})))
    return {files, missing, extra: await Promise.all(extra.map((p) => this.readFile(commit, p)))}
  }

  private async walk(dir: string): Promise<string[]> {
    const entries = await readdir(dir, {withFileTypes: true}).catch(() => undefined)
    if (!entries) return MANIFEST_EXT.test(dir) ? [dir] : []
    const out: string[] = []
    for (const e of entries) {
      if (e.name === '.git') continue
      const full = join(dir, e.name)
      if (e.isDirectory()) out.push(...(await this.walk(full)))
      else if (e.isFile() && MANIFEST_EXT.test(e.name)) out.push(full)
    }
    return out
  }
}
