import {describe, expect, it} from 'vitest'
import {containerRun, podCreate, podRm, podRun} from '../../src/engine/argv/podman.js'
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

describe('podman argv', () => {
  it('creates the pod with its marks, hostname and published ports', () => {
    expect(podCreate(pod)).toEqual([
      'podman', 'pod', 'create', '--name', 'shop_web-abc-xyz12', '--infra-name', 'shop_web-abc-xyz12_infra', '--hostname', 'web-abc-xyz12',
      '--label', 'kgit.dev/managed=true', '--label', 'kgit.dev/namespace=shop', '--label', 'kgit.dev/name=web-abc-xyz12', '--label', 'kgit.dev/spec-hash=h1',
      '--label', 'kgit.dev/grace=5', '--label', 'kgit.dev/labels={"app":"web"}', '--label', 'kgit.dev/owner=Deployment/web', '--label', 'kgit.dev/template-hash=abc',
      '--publish', '8080:80/tcp',
    ])
  })

  it('maps command to the entrypoint and args after the image, env values untouched', () => {
    expect(containerRun(pod, pod.spec.containers[0]!)).toEqual([
      'podman', 'run', '--detach', '--pod', 'shop_web-abc-xyz12', '--name', 'shop_web-abc-xyz12_app',
      '--label', 'kgit.dev/managed=true', '--label', 'kgit.dev/pod=shop_web-abc-xyz12', '--label', 'kgit.dev/container=app', '--label', 'kgit.dev/namespace=shop',
      '--restart', 'always', '--pull', 'missing', '--env', 'X=a b\n$(c)', '--workdir', '/w', '--entrypoint', '["sh","-c"]', '--', 'busybox:1.35', 'echo "$X"',
    ])
    expect(containerRun(pod, {...pod.spec.containers[1]!, command: []})).not.toContain('--entrypoint')
    expect(containerRun(pod, pod.spec.containers[1]!).slice(-6)).toEqual(['--restart', 'always', '--pull', 'always', '--', 'busybox'])
  })

  it('creates the pod, then runs each container into it; removes with the grace period', () => {
    expect(podRun(pod).map((s) => s.slice(0, 3))).toEqual([['podman', 'pod', 'create'], ['podman', 'run', '--detach'], ['podman', 'run', '--detach']])
    expect(podRm('shop_x', 7)).toEqual(['podman', 'pod', 'rm', '--force', '--time', '7', 'shop_x'])
  })
})
