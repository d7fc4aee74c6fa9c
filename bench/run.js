// npm run bench: brings up its own 3-node lab and prints the figures issue #2 asks for:
// - creating 30 pods (3 nodes x 10) from nothing, against podman's own cost per pod;
// - a no-op `kgit apply` on those 30 pods (wall time of the whole CLI process).
import {execa} from 'execa'
import {mkdtemp, rm, writeFile, mkdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {labTransport, loadLabState} from '../dist/engine/exec/lab/index.js'

const ROOT = new URL('..', import.meta.url).pathname
// KGIT_BENCH_LAB / KGIT_BENCH_SUBNET pick the lab name and address range (shared machines).
const LAB = process.env.KGIT_BENCH_LAB || 'bench'
const SUBNET = process.env.KGIT_BENCH_SUBNET || '198.51.100.0/24'
const kgit = (args, opts = {}) => execa('node', [join(ROOT, 'bin/run.js'), ...args], {reject: false, ...opts})
const secs = (ms) => (ms / 1000).toFixed(2) + ' s'

function deployment(name, replicas) {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: main
          image: localhost/busybox:1.35
          command: [sleep, "3600"]
`
}

async function timed(fn) {
  const t = performance.now()
  const r = await fn()
  return {ms: performance.now() - t, r}
}

async function podmanOn(state, node, argv) {
  const r = await labTransport(state, node).exec([['podman', ...argv]])
  if (r.exitCode !== 0) throw new Error(`podman ${argv.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** podman's own cost for what kgit does per pod: pod create + container create + pod start, then rm. */
async function podmanBaseline(state, n) {
  const node = state.nodes[0].name
  const {ms} = await timed(async () => {
    for (let i = 0; i < n; i++) {
      await podmanOn(state, node, ['pod', 'create', '--name', `base${i}`])
      await podmanOn(state, node, ['create', '--pod', `base${i}`, '--name', `base${i}_c`, 'localhost/busybox:1.35', 'sleep', '3600'])
      await podmanOn(state, node, ['pod', 'start', `base${i}`])
    }
  })
  const run = await timed(async () => {
    for (let i = 0; i < n; i++) await podmanOn(state, node, ['run', '-d', '--name', `single${i}`, 'localhost/busybox:1.35', 'sleep', '3600'])
  })
  await podmanOn(state, node, ['pod', 'rm', '-a', '-f', '-t', '0'])
  await podmanOn(state, node, ['rm', '-a', '-f', '-t', '0'])
  return {perPod: ms / n, perContainer: run.ms / n}
}

async function main() {
  await kgit(['lab', 'down', '--name', LAB])
  const base = await mkdtemp(join(tmpdir(), 'kgit-bench-'))
  const repo = join(base, 'repo')
  try {
    const up = await timed(() => kgit(['lab', 'up', '--name', LAB, '--nodes', '3', '--subnet', SUBNET, '--dir', repo]))
    if (up.r.exitCode !== 0) throw new Error(`lab up failed:\n${up.r.stderr}\n${up.r.stdout}`)
    const state = await loadLabState(LAB)
    console.log(`lab up (3 nodes): ${secs(up.ms)}`)

    const baseline = await podmanBaseline(state, 5)
    console.log(`podman alone, sequential on one node: ${secs(baseline.perContainer)} per container (podman run -d), ${secs(baseline.perPod)} per pod (pod create + create + pod start)`)

    await mkdir(join(repo, 'manifests'), {recursive: true})
    for (const name of ['alpha', 'beta', 'gamma']) await writeFile(join(repo, 'manifests', `${name}.yaml`), deployment(name, 10))
    await execa('git', ['add', '-A'], {cwd: repo})
    await execa('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@kgit.local', 'commit', '-qm', 'bench: 30 pods'], {cwd: repo})

    const create = await timed(() => kgit(['apply', '-q'], {cwd: repo}))
    if (create.r.exitCode !== 0) throw new Error(`apply failed:\n${create.r.stderr}\n${create.r.stdout}`)
    console.log(`create 30 pods (3 nodes x 10, nodes in parallel) from nothing: ${secs(create.ms)} wall = ${secs(create.ms / 30)} per pod; podman alone would take ${secs(baseline.perPod * 30)} for 30 pods one after another (${(create.ms / (baseline.perPod * 30)).toFixed(2)}x)`)

    const runs = []
    for (let i = 0; i < 7; i++) {
      const t = await timed(() => kgit(['apply', '-q'], {cwd: repo}))
      if (!/No changes/.test(t.r.stdout)) throw new Error(`no-op apply made changes:\n${t.r.stdout}`)
      runs.push(t.ms)
    }
    runs.sort((a, b) => a - b)
    console.log(`no-op kgit apply, 3 nodes x 10 pods: median ${secs(runs[3])}, min ${secs(runs[0])}, max ${secs(runs[6])} (7 runs, whole CLI process; target < 1 s)`)

    const plan = await timed(() => kgit(['plan'], {cwd: repo}))
    console.log(`kgit plan (no changes): ${secs(plan.ms)}`)
  } finally {
    await kgit(['lab', 'down', '--name', LAB])
    await rm(base, {recursive: true, force: true})
  }
}

await main()
