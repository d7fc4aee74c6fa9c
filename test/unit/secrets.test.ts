import {generateKeyPairSync, verify} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {inspect} from 'node:util'
import {Encrypter, armor, generateX25519Identity, identityToRecipient} from 'age-encryption'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {filesPayload, filesVolumeMount, secretEnvArgs, subPathCopy} from '../../src/engine/argv/pod-files.js'
import {containerRun, podRun} from '../../src/engine/argv/podman.js'
import {decryptSecrets} from '../../src/engine/exec/secrets.js'
import {parseNodeFiles} from '../../src/engine/facts/node-files.js'
import {loadDesired} from '../../src/engine/manifest/load.js'
import * as schema from '../../src/engine/manifest/schema.js'
import {plan, type Action} from '../../src/engine/plan/plan.js'
import {Redacted} from '../../src/engine/redacted.js'
import {decryptSecretsText, encryptSecretsText, type SecretCrypto} from '../../src/engine/secret-files.js'
import type {Desired, DesiredPod, ObservedPod, SecretObject} from '../../src/engine/types.js'
import {podmanPodName} from '../../src/engine/marks.js'

const CLUSTER = (extra = '') => `apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  nodes: [{name: n1, address: 10.0.0.1, dataDir: /var/lib/kgit}]\n${extra}`
const PLAIN = '  secrets: {allowPlaintext: true}\n'

function load(docs: string[], clusterExtra = PLAIN): ReturnType<typeof loadDesired> {
  const enc = new TextEncoder()
  return loadDesired({revision: 'rev1', clusterFile: {path: 'kgit.yaml', content: enc.encode(CLUSTER(clusterExtra))}, files: [{path: 'm.yaml', content: enc.encode(docs.join('---\n'))}], schema})
}

async function loaded(...docs: string[]): Promise<Desired> {
  const r = load(docs)
  if (!r.desired) throw new Error(r.errors.map((e) => e.message).join('\n'))
  await decryptSecrets(r.desired.objects, '/nonexistent')
  return r.desired
}

const SECRET = (value = 'c2VjcmV0LXZhbHVl', extra = '') => `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  password: ${value}\n${extra}`
const CONFIG = (greeting = 'hello') => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata:\n  greeting: ${greeting}\n  other: x\n`
const POD = `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  volumes:
    - {name: creds, secret: {secretName: db, defaultMode: 0400}}
    - {name: conf, configMap: {name: cfg, items: [{key: greeting, path: sub/hello.txt, mode: 0600}]}}
  containers:
    - name: main
      image: busybox:1.35
      env: [{name: PW, valueFrom: {secretKeyRef: {name: db, key: password}}}, {name: G, valueFrom: {configMapKeyRef: {name: cfg, key: greeting}}}]
      args: ["$(PW)", "$(G)"]
      volumeMounts:
        - {name: creds, mountPath: /etc/creds}
        - {name: conf, mountPath: /etc/conf}
        - {name: conf, mountPath: /etc/hello.txt, subPath: sub/hello.txt}
`

describe('Secrets in git', () => {
  it('refuses plaintext values, naming file, line and key, never the value', () => {
    const r = load([`apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  token: very-secret-token\ndata:\n  b: aGk=\n`], '')
    expect(r.errors.map((e) => e.message)).toEqual([
      'm.yaml:5 stringData.token: Secret value is not encrypted (encrypt it with: kgit secret encrypt FILE; or allow plaintext Secrets with spec.secrets.allowPlaintext: true in kgit.yaml)',
      'm.yaml:7 data.b: Secret value is not encrypted (encrypt it with: kgit secret encrypt FILE; or allow plaintext Secrets with spec.secrets.allowPlaintext: true in kgit.yaml)',
    ])
    expect(JSON.stringify(r)).not.toContain('very-secret-token')
  })

  it('checks the keys each Secret type needs', () => {
    const typed = (type: string, keys: string) => `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: ${type}\ndata: {${keys}}\n`
    expect(load([typed('kubernetes.io/tls', 'tls.crt: aGk=')]).errors.map((e) => e.message)).toEqual(['m.yaml:5 data: a Secret of type kubernetes.io/tls must have the key "tls.key"'])
    expect(load([typed('kubernetes.io/dockerconfigjson', 'x: aGk=')]).errors.map((e) => e.message)).toEqual(['m.yaml:5 data: a Secret of type kubernetes.io/dockerconfigjson must have the key ".dockerconfigjson"'])
    expect(load([typed('kubernetes.io/basic-auth', 'x: aGk=')]).errors.map((e) => e.message)).toEqual(['m.yaml:5 data: a Secret of type kubernetes.io/basic-auth must have at least one of the keys "username", "password"'])
    expect(load([typed('kubernetes.io/ssh-auth', 'x: aGk=')]).errors.map((e) => e.message)).toEqual(['m.yaml:5 data: a Secret of type kubernetes.io/ssh-auth must have the key "ssh-privatekey"'])
    expect(load([typed('kubernetes.io/service-account-token', 'token: aGk=')]).errors.map((e) => e.message)).toEqual(['m.yaml:3 metadata.annotations: a Secret of type kubernetes.io/service-account-token must have the annotation "kubernetes.io/service-account.name"'])
    expect(load([typed('Opaque', 'x: aGk=')]).errors).toEqual([])
  })

  it('refuses a missing Secret, key, ConfigMap of a volume unless optional', () => {
    const pod = (vol: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [${vol}]\n  containers: [{name: c, image: busybox:1.35}]\n`
    expect(load([pod('{name: a, secret: {secretName: nope}}')]).errors.map((e) => e.message)).toEqual(['m.yaml:1 volumes a: Secret "nope" is not in namespace default of this revision (add it, or set optional: true)'])
    expect(load([CONFIG(), pod('{name: a, configMap: {name: cfg, items: [{key: nokey, path: x}]}}')]).errors.map((e) => e.message)).toEqual(['m.yaml:8 volumes a: ConfigMap "cfg" has no key "nokey" (add it, or set optional: true)'])
    expect(load([pod('{name: a, configMap: {name: nope, optional: true}}')]).errors).toEqual([])
    expect(load([pod('{name: a, configMap: {name: cfg, items: [{key: k, path: ../x}]}}'), CONFIG()]).errors.map((e) => e.message)).toEqual(['m.yaml:5 spec.volumes[0].configMap.items[0].path: must not contain ".." or start an element with ".."'])
  })

  it('keeps secret env out of the spec, the pod label and argv; ConfigMap env stays as it was', async () => {
    const d = await loaded(SECRET(), CONFIG(), POD)
    const pod = d.objects.find((o) => o.kind === 'Pod')!
    const c = pod.kind === 'Pod' ? pod.spec.containers[0]! : undefined
    expect(c?.env).toEqual([{name: 'G', value: 'hello'}])
    expect(c?.secretEnv).toEqual([{name: 'PW', secret: 'db', key: 'password'}])
    const p = plan(d, {nodes: [{node: 'n1', reachable: true, pods: []}]})
    const create = p.actions[0] as Extract<Action, {type: 'create'}>
    const argv = podRun(create.pod, {dataDir: '/var/lib/kgit', probeScript: '', node: 'n1'}).flat().join(' ')
    expect(argv).not.toContain('secret-value')
    expect(containerRun(create.pod, create.pod.spec.containers[0]!, {dataDir: '/d'})).toEqual(expect.arrayContaining(['--env', 'G=hello', '--env-file', '/d/pod-files/default_web/env/main', '--', 'busybox:1.35', '$(PW)', 'hello']))
    expect(JSON.stringify(create)).not.toContain('secret-value')
    expect(inspect(create, {depth: 20})).not.toContain('secret-value')
  })

  it('plans files: payload on stdin, read-only mounts, subPath copies; an unchanged node is a no-op, a change updates in place', async () => {
    const d = await loaded(SECRET(), CONFIG(), POD)
    const p = plan(d, {nodes: [{node: 'n1', reachable: true, pods: []}]})
    const pod = (p.actions[0] as Extract<Action, {type: 'create'}>).pod
    const files = pod.files!
    expect(files.volumes.map((v) => [v.name, v.files.map((f) => [f.path, f.mode.toString(8)])])).toEqual([['creds', [['password', '400']]], ['conf', [['sub/hello.txt', '600']]]])
    const payload = new TextDecoder().decode(filesPayload(pod, files).reveal()).split('\n')
    expect(payload[0]).toBe(`${files.hash} ${files.envHash}`)
    expect(payload.slice(1)).toEqual([
      'v creds',
      `f creds 0400 ${b64('password')} ${b64('secret-value')}`,
      'v conf',
      `f conf 0600 ${b64('sub/hello.txt')} ${b64('hello')}`,
      `e main ${b64('PW=secret-value\n')}`,
      `s conf ${b64('sub/hello.txt')} ${subPathCopy('conf', 'sub/hello.txt')}`,
      '',
    ])
    expect(String(filesPayload(pod, files))).toBe('[redacted]')
    const m = pod.spec.containers[0]!.volumeMounts!
    expect(filesVolumeMount('/d', pod, m[0]!)).toEqual(['--volume', '/d/pod-files/default_web/vol/creds:/etc/creds:ro'])
    expect(filesVolumeMount('/d', pod, m[2]!)).toEqual(['--volume', `/d/pod-files/default_web/sub/${subPathCopy('conf', 'sub/hello.txt')}:/etc/hello.txt:ro`])
    expect(secretEnvArgs('/d', pod, pod.spec.containers[0]!)).toEqual(['--env-file', '/d/pod-files/default_web/env/main'])

    const running = observedFrom(pod, `${files.hash} ${files.envHash}`)
    expect(plan(d, {nodes: [{node: 'n1', reachable: true, pods: [running]}]}).actions).toEqual([])
    // A ConfigMap change that no env reads: the files change in place.
    const d2 = await loaded(SECRET(), CONFIG('bonjour'), POD.replace('{name: G, valueFrom: {configMapKeyRef: {name: cfg, key: greeting}}}', '{name: G, value: hello}'))
    const d1 = await loaded(SECRET(), CONFIG(), POD.replace('{name: G, valueFrom: {configMapKeyRef: {name: cfg, key: greeting}}}', '{name: G, value: hello}'))
    const p1 = plan(d1, {nodes: [{node: 'n1', reachable: true, pods: []}]})
    const pod1 = (p1.actions[0] as Extract<Action, {type: 'create'}>).pod
    const obs1 = observedFrom(pod1, `${pod1.files!.hash} ${pod1.files!.envHash}`)
    const upd = plan(d2, {nodes: [{node: 'n1', reachable: true, pods: [obs1]}]}).actions
    expect(upd.map((a) => [a.type, a.reason])).toEqual([['update-files', `files of volume(s) creds, conf changed (${pod1.files!.hash} -> ${(upd[0] as Extract<Action, {type: 'update-files'}>).pod.files!.hash}), updated in place`]])
    // A Secret its env reads changed: the pod is replaced; the plan shows hashes, not values.
    const d3 = await loaded(SECRET('b3RoZXItdmFsdWU='), CONFIG(), POD)
    const rep = plan(d3, {nodes: [{node: 'n1', reachable: true, pods: [running]}]}).actions
    expect(rep.map((a) => a.type)).toEqual(['replace'])
    expect(rep[0]!.reason).toMatch(/^a Secret its env reads changed \(env [0-9a-f]{16} -> [0-9a-f]{16}\)$/)
    // The hash file gone from the node: written again.
    expect(plan(d, {nodes: [{node: 'n1', reachable: true, pods: [{...running, filesHash: undefined}]}]}).actions.map((a) => a.reason)).toEqual(['files of volume(s) creds, conf are missing on the node, written again'])
  })

  it('digests are slow, salted hashes: equal values in two Secrets differ', async () => {
    const d = await loaded(SECRET(), SECRET().replace('name: db', 'name: db2'))
    const [a, b] = d.objects.filter((o): o is SecretObject => o.kind === 'Secret')
    expect(a!.digest).toMatch(/^[0-9a-f]{16}$/)
    expect(a!.digest).not.toBe(b!.digest)
  })

  it('refuses a secret env value with a line break, not showing it', async () => {
    const r = load([SECRET('bGluZTEKbGluZTI='), POD.replace(/ {4}- \{name: conf[^\n]*\n/, '').replace(/ {8}- \{name: conf[^\n]*\n/g, ''), CONFIG()])
    await expect(decryptSecrets(r.desired!.objects, '/nonexistent')).rejects.toMatchObject({errors: [expect.objectContaining({message: 'm.yaml:7 containers main env PW: key "password" of Secret "db" holds a line break or NUL byte: kgit passes secret variables through an env file, which cannot hold one (mount the key as a file instead; the value is not shown)'})]})
  })
})

describe('image pull credentials', () => {
  const PULL = `apiVersion: v1\nkind: Secret\nmetadata: {name: reg}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{"auths": {"registry.example": {"auth": "dXNlcjpwdw=="}}}'\n`
  const pulling = (secret: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  imagePullSecrets: [{name: ${secret}}]\n  containers: [{name: c, image: registry.example/app:1}]\n`

  it('writes the merged credentials to the pod\'s files and passes --authfile', async () => {
    const d = await loaded(PULL, pulling('reg'))
    const pod = (plan(d, {nodes: [{node: 'n1', reachable: true, pods: []}]}).actions[0] as Extract<Action, {type: 'create'}>).pod
    expect(new TextDecoder().decode(pod.files!.auth!.reveal())).toBe('{"auths":{"registry.example":{"auth":"dXNlcjpwdw=="}}}')
    expect(new TextDecoder().decode(filesPayload(pod, pod.files!).reveal()).split('\n')[1]).toBe(`a ${b64('{"auths":{"registry.example":{"auth":"dXNlcjpwdw=="}}}')}`)
    const argv = containerRun(pod, pod.spec.containers[0]!, {dataDir: '/d'})
    expect(argv).toEqual(expect.arrayContaining(['--authfile', '/d/pod-files/default_p/auth.json']))
    expect(argv.join(' ')).not.toContain('dXNlcjpwdw')
  })

  it('refuses a missing pull Secret or one of another type', () => {
    expect(load([pulling('nope')]).errors.map((e) => e.message)).toEqual(['m.yaml:1 imagePullSecrets nope: Secret "nope" is not in namespace default of this revision (image pull credentials: a Secret of type kubernetes.io/dockerconfigjson)'])
    expect(load([SECRET(), pulling('db')]).errors.map((e) => e.message)).toEqual(['m.yaml:7 imagePullSecrets db: Secret "db" is of type Opaque: image pull credentials must be of type kubernetes.io/dockerconfigjson'])
  })
})

describe('service accounts', () => {
  const {privateKey, publicKey} = generateKeyPairSync('ed25519')
  const pem = privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
  const KEY = `apiVersion: v1\nkind: Secret\nmetadata: {name: kgit-service-account-key, namespace: kube-system}\nstringData:\n  key.pem: |\n${pem.trim().split('\n').map((l) => `    ${l}`).join('\n')}\n`
  const PULL = `apiVersion: v1\nkind: Secret\nmetadata: {name: reg}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{"auths": {"r.example": {"auth": "eDp5"}}}'\n`
  const SA = (extra = '') => `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot}\nimagePullSecrets: [{name: reg}]\n${extra}`
  const podAs = (extra: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n${extra}  containers: [{name: c, image: busybox:1.35}]\n`
  const created = async (...docs: string[]): Promise<DesiredPod> => (plan(await loaded(...docs), {nodes: [{node: 'n1', reachable: true, pods: []}]}).actions[0] as Extract<Action, {type: 'create'}>).pod

  it('mounts a signed token and the namespace where Kubernetes does', async () => {
    const pod = await created(KEY, SA(), PULL, podAs('  serviceAccountName: robot\n'))
    const vol = pod.files!.volumes.find((v) => v.name === '..serviceaccount')!
    expect(vol.files.map((f) => f.path)).toEqual(['namespace', 'token'])
    const token = new TextDecoder().decode((vol.files[1]!.data as Redacted).reveal())
    const [h, b, sig] = token.split('.')
    expect(JSON.parse(Buffer.from(b!, 'base64url').toString())).toEqual({iss: 'kgit.dev/t', sub: 'system:serviceaccount:default:robot', 'kubernetes.io': {namespace: 'default', serviceaccount: {name: 'robot'}}})
    expect(verify(null, Buffer.from(`${h}.${b}`), publicKey, Buffer.from(sig!, 'base64url'))).toBe(true)
    const argv = containerRun(pod, pod.spec.containers[0]!, {dataDir: '/d'})
    expect(argv).toEqual(expect.arrayContaining(['--volume', '/d/pod-files/default_p/vol/..serviceaccount:/var/run/secrets/kubernetes.io/serviceaccount:ro', '--authfile', '/d/pod-files/default_p/auth.json']))
    expect(new TextDecoder().decode(pod.files!.auth!.reveal())).toBe('{"auths":{"r.example":{"auth":"eDp5"}}}')
    // Deterministic: the same revision plans the same files.
    expect((await created(KEY, SA(), PULL, podAs('  serviceAccountName: robot\n'))).files!.hash).toBe(pod.files!.hash)
  })

  it('mounts nothing when automount is off (pod, then account) or there is no signing key', async () => {
    expect((await created(KEY, podAs('  automountServiceAccountToken: false\n'))).files).toBeUndefined()
    expect((await created(KEY, PULL, SA('automountServiceAccountToken: false\n'), podAs('  serviceAccountName: robot\n'))).files!.volumes).toEqual([])
    expect((await created(podAs(''))).files).toBeUndefined()
    expect((await created(KEY, podAs(''))).files!.volumes.map((v) => v.name)).toEqual(['..serviceaccount'])
  })
})

describe('age decryption', () => {
  let dir: string
  let id: string
  let armored: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kgit-unit-age-'))
    id = await generateX25519Identity()
    const e = new Encrypter()
    e.addRecipient(await identityToRecipient(id))
    armored = armor.encode(await e.encrypt('top-secret'))
    await writeFile(join(dir, 'key'), `# test\n${id}\n`)
  })
  afterAll(() => rm(dir, {recursive: true, force: true}))

  const encrypted = () => `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  password: |\n${armored.trim().split('\n').map((l) => `    ${l}`).join('\n')}\n`

  it('decrypts with the right key, into redacted values', async () => {
    const r = load([encrypted()], '')
    expect(r.errors).toEqual([])
    await decryptSecrets(r.desired!.objects, join(dir, 'key'))
    const s = r.desired!.objects[0] as SecretObject
    expect(new TextDecoder().decode(s.values!.password!.reveal())).toBe('top-secret')
    expect(String(s.values!.password)).toBe('[redacted]')
    expect(JSON.stringify(s.values)).toBe('{"password":"[redacted]"}')
  })

  it('says what is wrong with a missing or wrong key', async () => {
    await expect(decryptSecrets(load([encrypted()], '').desired!.objects, join(dir, 'nope'))).rejects.toThrow(`cannot read the age identity file ${join(dir, 'nope')}: no such file (it decrypts the Secrets of the revision; point --age-key-file or KGIT_AGE_KEY_FILE at yours, or make one with: kgit secret keygen)`)
    await writeFile(join(dir, 'other'), `${await generateX25519Identity()}\n`)
    await expect(decryptSecrets(load([encrypted()], '').desired!.objects, join(dir, 'other'))).rejects.toMatchObject({errors: [expect.objectContaining({message: `m.yaml:1 data.password: cannot decrypt this Secret with the identities in ${join(dir, 'other')}: it was not encrypted for them (someone who can decrypt it runs: kgit secret recipients add YOUR-RECIPIENT, then kgit secret encrypt FILE)`})]})
  })
})

describe('secret files', () => {
  const fake: SecretCrypto = {
    encrypt: async (v) => `-----BEGIN AGE ENCRYPTED FILE-----\n${Buffer.from(v.reveal()).toString('hex')}\n-----END AGE ENCRYPTED FILE-----\n`,
    decrypt: async (t) => new Redacted(new Uint8Array(Buffer.from(t.split('\n')[1]!, 'hex'))),
  }

  it('encrypts data and stringData in place, keeping comments and other documents', async () => {
    const text = '# top\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  a: aGk=\nstringData:\n  b: there\n---\nkind: ConfigMap\ndata: {x: "1"}\n'
    const r = await encryptSecretsText(text, fake)
    expect(r).toMatchObject({secrets: ['default/s'], count: 2})
    expect(r.text).toBe('# top\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  a: |\n    -----BEGIN AGE ENCRYPTED FILE-----\n    6869\n    -----END AGE ENCRYPTED FILE-----\n  b: |\n    -----BEGIN AGE ENCRYPTED FILE-----\n    7468657265\n    -----END AGE ENCRYPTED FILE-----\n---\nkind: ConfigMap\ndata: { x: "1" }\n')
    expect((await encryptSecretsText(r.text, fake)).count).toBe(0)
    expect(new TextDecoder().decode((await decryptSecretsText(r.text, fake)).reveal())).toBe('# top\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  a: "hi"\n  b: "there"\n---\nkind: ConfigMap\ndata: { x: "1" }\n')
  })
})

describe('node files', () => {
  it('reads the hash of each pod\'s files', () => {
    expect(parseNodeFiles('100\npod-files/default_web/hash:abc def\n').podFiles).toEqual(new Map([['default_web', 'abc def']]))
  })
})

function b64(s: string): string {
  return Buffer.from(s).toString('base64')
}

function observedFrom(pod: DesiredPod, filesHash: string): ObservedPod {
  return {node: 'n1', podmanName: 'id1', namespace: pod.namespace, name: pod.name, specHash: pod.specHash, labels: pod.labels, status: 'Running', created: '2026-01-01T00:00:00Z', ready: true, containers: pod.spec.containers.map((c) => ({name: c.name, container: c.name, state: 'running'})), spec: pod.spec, filesHash}
}
void podmanPodName
