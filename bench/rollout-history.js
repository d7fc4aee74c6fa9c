// node bench/rollout-history.js (after a build): `kgit rollout history` on repositories of
// 200 and 2,000 commits (half change the Deployment's template, half other files among
// 20), made with git fast-import in a temporary directory. Prints the wall time of the
// engine call (cold, then warm) and of the whole CLI process.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {readHistory} from '../dist/engine/rollout.js'

const CLI = new URL('../bin/run.js', import.meta.url).pathname
const cluster = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: bench}\nspec:\n  manifests: [manifests]\n  nodes: [{name: n1, address: 127.0.0.1}]\n'
const web = (v) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: main, image: "localhost/busybox:1.35", env: [{name: V, value: "${v}"}]}]\n`
const cm = (i, v) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm${i}}\ndata: {v: "${v}"}\n`

function repo(commits) {
  const dir = mkdtempSync(join(tmpdir(), 'kgit-bench-history-'))
  execFileSync('git', ['init', '-q', '-b', 'main', dir])
  let s = ''
  const file = (path, text) => (s += `M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`)
  for (let i = 1; i <= commits; i++) {
    const msg = `change ${i}`
    s += `commit refs/heads/main\ncommitter Bench <bench@example.com> ${1700000000 + i} +0000\ndata ${msg.length}\n${msg}\n`
    if (i === 1) {
      file('kgit.yaml', cluster)
      for (let j = 0; j < 20; j++) file(`manifests/cm${j}.yaml`, cm(j, 0))
    }
    if (i % 2 === 1) file('manifests/web.yaml', web(i))
    else file(`manifests/cm${i % 20}.yaml`, cm(i % 20, i))
  }
  execFileSync('git', ['fast-import', '--quiet'], {cwd: dir, input: s})
  execFileSync('git', ['checkout', '-q', 'main'], {cwd: dir})
  return dir
}

const ms = (t) => `${(performance.now() - t).toFixed(0)} ms`
for (const n of [200, 2000]) {
  const dir = repo(n)
  try {
    const opts = {dir, revision: 'HEAD', ref: {namespace: 'default', name: 'web'}}
    let t = performance.now()
    const {history} = await readHistory(opts)
    const cold = ms(t)
    t = performance.now()
    for (let i = 0; i < 3; i++) await readHistory(opts)
    const warm = `${((performance.now() - t) / 3).toFixed(0)} ms`
    t = performance.now()
    const cli = spawnSync('node', [CLI, 'rollout', 'history', 'deployment/web', '-C', dir])
    if (cli.status !== 0) throw new Error(String(cli.stderr))
    console.log(`rollout history, ${n} commits (${n / 2} template changes, revision ${history.current.revision}): engine ${cold} cold, ${warm} warm; CLI process ${ms(t)}`)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
