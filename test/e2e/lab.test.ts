import {execa} from 'execa'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {setupLock} from './global-setup.js'
import {kgit} from './helpers.js'

const NAME = 'labtest'
const ROOT = new URL('../..', import.meta.url).pathname

async function leftovers(): Promise<string[]> {
  const netns = (await execa('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(`kgit-${NAME}-`))
  const links = (await execa('ip', ['-br', 'link'])).stdout.split('\n').map((l) => l.split(/\s+/)[0]!.split('@')[0]!).filter((l) => l === `kb-${NAME}` || l.startsWith(`kv-${NAME}-`))
  const sshd = (await execa('pgrep', ['-af', `/labs/${NAME}/`], {reject: false})).stdout.split('\n').filter((l) => l.includes('sshd'))
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(`/labs/${NAME}/`))
  const state = await execa('test', ['-e', `/var/lib/kgit/labs/${NAME}`], {reject: false})
  return [...netns, ...links, ...sshd, ...mounts, ...(state.exitCode === 0 ? ['state dir'] : [])]
}

afterAll(async () => {
  await kgit(ROOT, 'lab', 'down', '--name', NAME)
})

describe('kgit lab', () => {
  it('comes up with working nodes, and down removes exactly what up made', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kgit-labtest-'))
    try {
      // Alone: the other project's lab may be picking its addresses right now.
      const up = await setupLock(() => kgit(ROOT, 'lab', 'up', '--name', NAME, '--nodes', '2', '--dir', join(dir, 'repo')))
      expect(up.exitCode, up.stderr + up.stdout).toBe(0)
      const status = await kgit(ROOT, 'lab', 'status', '--name', NAME, '-o', 'json')
      expect(status.exitCode, status.stderr).toBe(0)
      const again = await kgit(ROOT, 'lab', 'up', '--name', NAME, '--nodes', '2', '--dir', join(dir, 'other'))
      expect(again.exitCode).not.toBe(0)
      expect(again.stderr).toContain(`kgit lab down --name ${NAME}`)
      expect((await execa('git', ['log', '--oneline'], {cwd: join(dir, 'repo')})).stdout).not.toBe('')
      const down = await kgit(ROOT, 'lab', 'down', '--name', NAME)
      expect(down.exitCode, down.stderr).toBe(0)
      expect(await leftovers()).toEqual([])
      const status2 = await kgit(ROOT, 'lab', 'status', '--name', NAME)
      expect(status2.exitCode).not.toBe(0)
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('cleans up after an up that was killed half way', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kgit-labtest-'))
    try {
      const child = execa('node', [join(ROOT, 'bin/run.js'), 'lab', 'up', '--name', NAME, '--nodes', '2', '--dir', join(dir, 'repo')], {reject: false})
      // Long enough to have made namespaces and started some sshd, not long enough to finish.
      await new Promise((r) => setTimeout(r, 1500))
      child.kill('SIGKILL')
      await child
      const down = await kgit(ROOT, 'lab', 'down', '--name', NAME)
      expect(down.exitCode, down.stderr).toBe(0)
      expect(await leftovers()).toEqual([])
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })
})
