import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {commit, kgit, lab, podman, podsOn} from './helpers.js'

const repo = inject('labRepo')
let state: LabState
/** The lab's nodes share this machine's file system, so a hostPath is a directory here. */
let hostDir: string
let node: string

const CONFIG_MAP = `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {GREETING: hello, color: blue}
`

function podYaml(hostPath: string): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: features, labels: {app: features}}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
    - {name: shared, emptyDir: {}}
    - {name: ram, emptyDir: {medium: Memory, sizeLimit: 8Mi}}
    - {name: host, hostPath: {path: ${hostPath}, type: DirectoryOrCreate}}
  containers:
    - name: writer
      image: localhost/busybox:1.35
      workingDir: /shared
      envFrom: [{configMapRef: {name: cfg}, prefix: CFG_}]
      env:
        - {name: COLOR, valueFrom: {configMapKeyRef: {name: cfg, key: color}}}
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: POD_NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
      command: [sh, -c]
      args:
        - |-
          echo "$(POD_NAME)" '$$(COLOR)' > msg && echo hi > /host/from-writer && exec sleep 3600
      volumeMounts:
        - {name: shared, mountPath: /shared}
        - {name: host, mountPath: /host}
    - name: reader
      image: localhost/busybox:1.35
      command: [sleep, '3600']
      volumeMounts: [{name: shared, mountPath: /data, readOnly: true}, {name: ram, mountPath: /ram}]
`
}

async function until<T>(f: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 50; i++) {
    const v = await f().catch(() => undefined)
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out waiting for ${what}`)
}

beforeAll(async () => {
  state = await lab(inject('labName'))
  hostDir = await mkdtemp(join(tmpdir(), 'kgit-e2e-hostpath-'))
})

afterAll(async () => {
  await commit(repo, {manifests: null, 'manifests/.gitkeep': ''}, 'e2e: clean up')
  await kgit(repo, 'apply')
  await rm(hostDir, {recursive: true, force: true})
})

describe('pod features on a real lab', () => {
  it('runs two containers sharing an emptyDir, a hostPath, env from a ConfigMap and fieldRefs, $(VAR) in args', async () => {
    await commit(repo, {'manifests/cfg.yaml': CONFIG_MAP, 'manifests/pod.yaml': podYaml(join(hostDir, 'data'))})
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect(r.stdout).toContain('1 created')
    const found = await Promise.all(state.nodes.map(async (n) => ((await podsOn(state, n.name)).some((p) => p.name === 'default_features') ? n.name : undefined)))
    node = found.find((n) => n !== undefined)!
    expect(node).toBeDefined()
    const exec = (container: string, ...argv: string[]) => podman(state, node, 'exec', `default_features_${container}`, ...argv)
    // Written by one container, read through the same volume by the other.
    expect(await until(async () => (await exec('reader', 'cat', '/data/msg')).trim() || undefined, 'the shared file')).toBe('features $(COLOR)')
    expect((await exec('writer', 'pwd')).trim()).toBe('/shared')
    const env = await exec('writer', 'env')
    expect(env).toContain('CFG_GREETING=hello\n')
    expect(env).toContain('CFG_color=blue\n')
    expect(env).toContain('COLOR=blue\n')
    expect(env).toContain('POD_NAME=features\n')
    expect(env).toContain('POD_NS=default\n')
    expect(await until(async () => await readFile(join(hostDir, 'data', 'from-writer'), 'utf8'), 'the hostPath file')).toBe('hi\n')
    // The reader's mount is read-only.
    await expect(exec('reader', 'touch', '/data/nope')).rejects.toThrow(/Read-only file system/)
    const volumes = await podman(state, node, 'volume', 'ls', '--filter', 'label=kgit.dev/pod=default_features', '--format', '{{.Name}}')
    expect(volumes.trim().split('\n').sort()).toEqual(['default_features_ram', 'default_features_shared'])
    // medium: Memory is a tmpfs of sizeLimit (8 MiB = 8192 1K-blocks).
    expect((await exec('reader', 'df', '-k', '/ram')).split('\n')[1]).toMatch(/^tmpfs\s+8192\s/)
  })

  it('a second apply changes nothing', async () => {
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^No changes: the reachable nodes already run [0-9a-f]{12}/m)
  })

  it('removes the pod when it is removed from git', async () => {
    await commit(repo, {'manifests/pod.yaml': null})
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr + r.stdout).toBe(0)
    expect((await podsOn(state, node)).map((p) => p.name)).not.toContain('default_features')
  })

  it('removes the pod\'s emptyDir volume from the node when the pod is removed', async () => {
    const volumes = await podman(state, node, 'volume', 'ls', '--filter', 'label=kgit.dev/pod=default_features', '--format', '{{.Name}}')
    expect(volumes.trim()).toBe('')
    // The hostPath stays: it is the node's, not the pod's.
    expect(await readFile(join(hostDir, 'data', 'from-writer'), 'utf8')).toBe('hi\n')
  })
})
