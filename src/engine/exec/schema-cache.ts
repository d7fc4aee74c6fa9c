import {createHash} from 'node:crypto'
import {mkdir, readdir, readFile, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {createRequire} from 'node:module'
import type {SourceFile} from '../manifest/load.js'
import {packagePath} from '../package-root.js'

const CRD_MARK = Buffer.from('CustomResourceDefinition')
const SCHEMA_PACKAGES = ['kubernetes-models', 'ajv', 'js-yaml']
const require = createRequire(import.meta.url)

/**
 * Remembers which manifest files passed schema validation, by the hash of their bytes,
 * of the CRDs in the revision and of kgit's version. A file seen before is not
 * validated again, so a no-op run need not load the Kubernetes schemas at all. Only a
 * speed-up: losing the cache changes nothing but time.
 */
export class SchemaCache {
  private constructor(
    private readonly dir: string | undefined,
    private readonly known: Set<string>,
    private readonly salt: string,
  ) {}

  static async open(): Promise<SchemaCache> {
    // Verdicts depend on kgit's own rules and on the schemas and parsers it loads.
    const versions = await Promise.all(
      [packagePath('package.json'), ...SCHEMA_PACKAGES.map((m) => require.resolve(`${m}/package.json`))].map((f) =>
        readFile(f, 'utf8').then((t) => (JSON.parse(t) as {version?: string}).version),
      ),
    ).catch(() => undefined)
    // Without versions to key on, a verdict could outlive the rules that made it: no cache.
    const dir = versions?.every(Boolean) ? cacheDir() : undefined
    const names = dir ? await readdir(dir).catch(() => [] as string[]) : []
    return new SchemaCache(dir, new Set(names), `kgit ${versions?.join(' ')}`)
  }

  /** Marks the files known to pass; returns each file's key for `remember`. */
  mark(files: SourceFile[]): {files: SourceFile[]; keys: Map<string, string>} {
    const crds = createHash('sha256')
    for (const f of files) if (Buffer.from(f.content.buffer, f.content.byteOffset, f.content.byteLength).includes(CRD_MARK)) crds.update(f.content)
    const salt = `${this.salt}\0${crds.digest('hex')}\0`
    const keys = new Map<string, string>()
    const marked = files.map((f) => {
      const key = createHash('sha256').update(salt).update(f.content).digest('hex')
      keys.set(f.path, key)
      return this.known.has(key) ? {...f, schemaChecked: true} : f
    })
    return {files: marked, keys}
  }

  async remember(keys: string[]): Promise<void> {
    if (!this.dir || keys.length === 0) return
    try {
      await mkdir(this.dir, {recursive: true, mode: 0o700})
      await Promise.all(keys.map((k) => writeFile(join(this.dir!, k), '')))
    } catch {
      // A cache that cannot be written only costs time.
    }
  }
}

function cacheDir(): string | undefined {
  if (process.env.KGIT_CACHE_DIR === '') return undefined
  if (process.env.KGIT_CACHE_DIR) return join(process.env.KGIT_CACHE_DIR, 'schema-ok')
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(base, 'kgit', 'schema-ok')
}
