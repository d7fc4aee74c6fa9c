import {describe, expect, it} from 'vitest'
import {expandVars} from '../../src/engine/argv/env.js'
import {containerRun, podCreate, podRm, podRun, volumeCleanup, volumeSteps} from '../../src/engine/argv/podman.js'
import type {DesiredPod} from '../../src/engine/types.js'

const pod: DesiredPod = {
  namespace: 'shop',
  name: 'web-abc-xyz12',
  owner: {kind: 'Deployment', name: 'web'},
  templateHash: 'abc',
  labels: {app: 'web'},
  specHash: 'h1',
  source: {file: 'm.yaml', line: 1},
  spec: {
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 5,
    containers: [
      {name: 'app', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c'], args: ['echo "$X"'], workingDir: '/w', env: [{name: 'X', value: 'a b\n$(c)'}], ports: [{containerPort: 80, hostPort: 8080, protocol: 'TCP'}]},
      {name: 'side', image: 'busybox', imagePullPolicy: 'Always', env: [], ports: []},
    ],
  },
}

const D = {dataDir: '/var/lib/kgit'}
const N = {dataDir: '/var/lib/kgit', probeScript: '#!/bin/bash'}

describe('podman argv', () => {
  it('creates the pod with its marks, hostname and published ports', () => {
    expect(podCreate(pod, '/var/lib/kgit')).toEqual([
      'podman', 'pod', 'create', '--name', 'shop_web-abc-xyz12', '--infra-name', 'shop_web-abc-xyz12_infra', '--pod-id-file', '/var/lib/kgit/ids/shop_web-abc-xyz12.pod', '--hostname', 'web-abc-xyz12',
      '--label', 'kgit.dev/managed=true', '--label', 'kgit.dev/namespace=shop', '--label', 'kgit.dev/name=web-abc-xyz12', '--label', 'kgit.dev/spec-hash=h1',
      '--label', 'kgit.dev/grace=5', '--label', 'kgit.dev/labels={"app":"web"}', '--label', 'kgit.dev/owner=Deployment/web', '--label', 'kgit.dev/template-hash=abc',
      '--label', `kgit.dev/spec=${JSON.stringify(pod.spec)}`,
      '--publish', '8080:80/tcp',
    ])
  })

  it('maps command to the entrypoint and args after the image, env values untouched', () => {
    expect(containerRun(pod, pod.spec.containers[0]!, D)).toEqual([
      'podman', 'run', '--detach', '--pod', 'shop_web-abc-xyz12', '--name', 'shop_web-abc-xyz12_app', '--cidfile', '/var/lib/kgit/ids/shop_web-abc-xyz12_app.ctr',
      '--label', 'kgit.dev/managed=true', '--label', 'kgit.dev/pod=shop_web-abc-xyz12', '--label', 'kgit.dev/container=app', '--label', 'kgit.dev/namespace=shop',
      '--restart', 'always', '--pull', 'missing', '--env', 'X=a b\n$(c)', '--workdir', '/w', '--entrypoint', '["sh","-c"]', '--', 'busybox:1.35', 'echo "$X"',
    ])
    expect(containerRun(pod, {...pod.spec.containers[1]!, command: []}, D)).not.toContain('--entrypoint')
    expect(containerRun(pod, pod.spec.containers[1]!, D).slice(-6)).toEqual(['--restart', 'always', '--pull', 'always', '--', 'busybox'])
  })

  it('creates the pod, then runs each container into it; removes with the grace period', () => {
    expect(podRun(pod, N).map((s) => s.slice(0, 3))).toEqual([['sh', '-c', expect.stringContaining('mkdir -p "$1/ids"')], ['podman', 'pod', 'create'], ['podman', 'run', '--detach'], ['podman', 'run', '--detach']])
    expect(podRm('shop_x', 7)).toEqual(['podman', 'pod', 'rm', '--force', '--time', '7', 'shop_x'])
  })
})

describe('volumes in podman argv', () => {
  const volPod: DesiredPod = {
    ...pod,
    name: 'v',
    spec: {
      ...pod.spec,
      volumes: [
        {name: 'cache', emptyDir: {medium: ''}},
        {name: 'ram', emptyDir: {medium: 'Memory', sizeLimit: '64Mi'}},
        {name: 'data', hostPath: {path: '/srv/data', type: 'DirectoryOrCreate'}},
        {name: 'conf', hostPath: {path: '/etc/app/app.conf', type: 'FileOrCreate'}},
        {name: 'sock', hostPath: {path: "/run/it's.sock", type: 'Socket'}},
        {name: 'any', hostPath: {path: '/opt', type: ''}},
      ],
      containers: [
        {name: 'app', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent', env: [], ports: [], volumeMounts: [
          {name: 'cache', mountPath: '/cache', readOnly: false},
          {name: 'ram', mountPath: '/ram', readOnly: true},
          {name: 'data', mountPath: '/data', readOnly: false, subPath: 'app/1'},
          {name: 'sock', mountPath: '/run/x.sock', readOnly: false},
        ]},
      ],
    },
  }

  it('makes fresh emptyDir volumes and creates or checks hostPaths before the containers start', () => {
    expect(volumeSteps(volPod, '/var/lib/kgit')).toEqual([
      ['podman', 'volume', 'prune', '--force', '--filter', 'label=kgit.dev/pod=shop_v'],
      ['podman', 'volume', 'create', '--label', 'kgit.dev/managed=true', '--label', 'kgit.dev/pod=shop_v', 'shop_v_cache'],
      ['podman', 'volume', 'create', '--label', 'kgit.dev/managed=true', '--label', 'kgit.dev/pod=shop_v', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=nr_blocks=16384', 'shop_v_ram'],
      ['mkdir', '-p', '--', '/srv/data'],
      ['mkdir', '-p', '--', '/etc/app'],
      ['touch', '-a', '--', '/etc/app/app.conf'],
      ['sh', '-c', 'test -S "$1" || { echo "hostPath $1 is not a socket on this node (volume type Socket)" >&2; exit 1; }', 'sh', "/run/it's.sock"],
      ['mkdir', '-p', '--', '/srv/data/app/1'],
    ])
    expect(volumeSteps(pod, '/var/lib/kgit')).toEqual([])
  })

  it('mounts each volume, read-only when asked, a subPath of a hostPath', () => {
    const argv = containerRun(volPod, volPod.spec.containers[0]!, D)
    expect(argv.slice(argv.indexOf('--volume'), argv.indexOf('--'))).toEqual([
      '--volume', 'shop_v_cache:/cache', '--volume', 'shop_v_ram:/ram:ro', '--volume', '/srv/data/app/1:/data', '--volume', "/run/it's.sock:/run/x.sock",
    ])
  })

  it('starts volumes between the pod and its containers; cleans up only emptyDirs', () => {
    expect(podRun(volPod, N).map((s) => s.slice(0, 3).join(' ')).slice(1)).toEqual([
      'podman pod create', 'podman volume prune', 'podman volume create', 'podman volume create', 'mkdir -p --', 'mkdir -p --', 'touch -a --', 'sh -c test -S "$1" || { echo "hostPath $1 is not a socket on this node (volume type Socket)" >&2; exit 1; }', 'mkdir -p --', 'podman run --detach',
    ])
    expect(volumeCleanup('shop', 'v', volPod.spec.volumes)).toEqual([['podman', 'volume', 'prune', '--force', '--filter', 'label=kgit.dev/pod=shop_v']])
    expect(volumeCleanup('shop', 'v')).toEqual([['podman', 'volume', 'prune', '--force', '--filter', 'label=kgit.dev/pod=shop_v']])
    expect(volumeCleanup('shop', 'v', [{name: 'h', hostPath: {path: '/x', type: ''}}])).toEqual([])
  })
})

describe('env of the pod instance and $(VAR) expansion', () => {
  it('fills in fieldRefs from the pod and node, and expands command and args with the environment', () => {
    const c = {
      name: 'app', image: 'busybox:1.35', imagePullPolicy: 'IfNotPresent' as const, ports: [],
      env: [{name: 'POD', value: '', fieldPath: 'metadata.name'}, {name: 'NS', value: '', fieldPath: 'metadata.namespace'}, {name: 'APP', value: '', fieldPath: "metadata.labels['app']"}, {name: 'NODE', value: '', fieldPath: 'spec.nodeName'}, {name: 'X', value: 'x'}],
      command: ['echo', '$(POD)'], args: ['$(NS)/$(APP)@$(NODE)', '$$(X)', '$(NOPE)', '$(X'],
    }
    const argv = containerRun(pod, c, {node: 'n2', dataDir: '/d'})
    expect(argv.filter((_, i) => argv[i - 1] === '--env')).toEqual(['POD=web-abc-xyz12', 'NS=shop', 'APP=web', 'NODE=n2', 'X=x'])
    expect(argv.slice(argv.indexOf('--entrypoint'))).toEqual(['--entrypoint', '["echo","web-abc-xyz12"]', '--', 'busybox:1.35', 'shop/web@n2', '$(X)', '$(NOPE)', '$(X'])
  })

  it('expands as Kubernetes does', () => {
    const vars = new Map([['A', 'a'], ['EMPTY', ''], ['B', '$(A)']])
    const cases: [string, string][] = [
      ['$(A)', 'a'], ['x$(A)y$(A)', 'xaya'], ['$(EMPTY)!', '!'], ['$$(A)', '$(A)'], ['$$$(A)', '$a'], ['$(B)', '$(A)'],
      ['$(UNKNOWN)', '$(UNKNOWN)'], ['$A', '$A'], ['$', '$'], ['a$', 'a$'], ['$(A', '$(A'], ['$()', '$()'], ['$$', '$'],
    ]
    for (const [input, want] of cases) expect([input, expandVars(input, vars)]).toEqual([input, want])
  })
})
