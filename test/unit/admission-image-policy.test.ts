import {execa} from 'execa'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {denialMessage} from '../../src/engine/admission/chain.js'
import {imagePolicyWebhook, type ImagePolicyConfig} from '../../src/engine/admission/plugins/image-policy-webhook.js'
import {postReview, readLocalFile} from '../../src/engine/exec/image-review.js'
import type {KObject} from '../../src/engine/types.js'
import {load, request} from '../support/admission.js'

/** A real ImagePolicyWebhook on 127.0.0.1 with a self-signed certificate: it refuses images from evil.example.com. */
let dir = ''
let server: Server
let url = ''
const seen: {body: unknown; auth?: string}[] = []
let hang = false

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kgit-imagepolicy-'))
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.pem')])
  server = createServer({key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'ca.pem'))}, (req, res) => {
    let text = ''
    req.on('data', (c: Buffer) => (text += c.toString()))
    req.on('end', () => {
      if (hang) return
      const body = JSON.parse(text) as {spec: {containers: {image: string}[]}}
      seen.push({body, ...(req.headers.authorization ? {auth: req.headers.authorization} : {})})
      const bad = body.spec.containers.map((c) => c.image).filter((i) => i.startsWith('evil.example.com/'))
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', status: bad.length > 0 ? {allowed: false, reason: `images from evil.example.com are not allowed: ${bad.join(', ')}`} : {allowed: true}}))
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/review`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((ok) => server.close(ok))
  await rm(dir, {recursive: true, force: true})
})

const io = {readFile: readLocalFile, post: postReview}
const config = (over: Partial<ImagePolicyConfig> = {}): ImagePolicyConfig => ({url, caFile: join(dir, 'ca.pem'), allowTTL: 300, denyTTL: 30, retryBackoff: 1, defaultAllow: false, timeoutSeconds: 5, ...over})
const pod = (name: string, image: string, annotations = ''): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: default${annotations ? `, annotations: {${annotations}}` : ''}}\nspec:\n  containers: [{name: main, image: "${image}"}, {name: side, image: "busybox:1.35"}]\n`

async function review(cfg: ImagePolicyConfig, docs: string[], previous?: KObject[], plugin = imagePolicyWebhook(io)): Promise<string[]> {
  const d = load(undefined, ...docs).desired!
  return (await plugin.admit(request(d, previous), cfg)).map(denialMessage)
}

describe('ImagePolicyWebhook against a real HTTPS webhook on 127.0.0.1', () => {
  it('sends an ImageReview per pod and refuses with the webhook\'s reason', async () => {
    seen.length = 0
    expect(await review(config(), [pod('good', 'docker.io/library/nginx:1.25', '"ticket.image-policy.k8s.io/break-glass": "1234", other: x'), pod('bad', 'evil.example.com/miner:1')])).toEqual([
      'Pod default/bad (manifests/all.yaml:7 spec.containers): image policy webhook backend denied one or more images (evil.example.com/miner:1, busybox:1.35): images from evil.example.com are not allowed: evil.example.com/miner:1 (admission plugin ImagePolicyWebhook)',
    ])
    expect(seen.map((s) => s.body)).toContainEqual({apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', spec: {containers: [{image: 'docker.io/library/nginx:1.25'}, {image: 'busybox:1.35'}], annotations: {'ticket.image-policy.k8s.io/break-glass': '1234'}, namespace: 'default'}})
  })

  it('asks only about what the change creates or updates, and remembers answers for their TTL', async () => {
    const plugin = imagePolicyWebhook(io)
    const before = load(undefined, pod('a', 'evil.example.com/x:1'), pod('b', 'nginx:1')).desired!.objects
    seen.length = 0
    expect(await review(config(), [pod('a', 'evil.example.com/x:1'), pod('b', 'nginx:2')], before, plugin)).toEqual([])
    expect(seen.map((s) => (s.body as {spec: {containers: {image: string}[]}}).spec.containers[0]!.image)).toEqual(['nginx:2'])
    expect(await review(config(), [pod('b', 'nginx:2')], undefined, plugin)).toEqual([])
    expect(seen).toHaveLength(1)
    const forgetful = imagePolicyWebhook(io)
    for (let i = 0; i < 2; i++) expect(await review(config({allowTTL: 0}), [pod('b', 'nginx:2')], undefined, forgetful)).toEqual([])
    expect(seen).toHaveLength(3)
  })

  it('a webhook that cannot be reached: defaultAllow decides', async () => {
    const closed = config({url: 'https://127.0.0.1:9/review'})
    expect(await review({...closed, defaultAllow: true}, [pod('p', 'evil.example.com/x:1')])).toEqual([])
    expect(await review(closed, [pod('p', 'nginx:1')])).toEqual(['Pod default/p (manifests/all.yaml:1 spec.containers): the image policy webhook https://127.0.0.1:9/review cannot be asked about nginx:1, busybox:1.35 (connect ECONNREFUSED 127.0.0.1:9) and defaultAllow is false (admission plugin ImagePolicyWebhook)'])
  })

  it('a certificate not signed by caFile is not trusted', async () => {
    const noCa = config()
    delete noCa.caFile
    const [msg] = await review(noCa, [pod('p', 'nginx:1')])
    expect(msg).toMatch(/^Pod default\/p \(manifests\/all.yaml:1 spec.containers\): the image policy webhook https:\/\/127.0.0.1:\d+\/review cannot be asked about nginx:1, busybox:1.35 \(self[- ]signed certificate\) and defaultAllow is false \(admission plugin ImagePolicyWebhook\)$/)
  })

  it('a webhook that does not answer in time', async () => {
    hang = true
    try {
      expect(await review(config({timeoutSeconds: 1}), [pod('p', 'nginx:3')])).toEqual([`Pod default/p (manifests/all.yaml:1 spec.containers): the image policy webhook ${url} cannot be asked about nginx:3, busybox:1.35 (no answer within 1 s) and defaultAllow is false (admission plugin ImagePolicyWebhook)`])
    } finally {
      hang = false
    }
  })

  it('finds the webhook, its CA and a bearer token in a kubeConfigFile, as Kubernetes does', async () => {
    const kc = join(dir, 'webhook.kubeconfig')
    await writeFile(kc, `apiVersion: v1\nkind: Config\nclusters:\n  - name: webhook\n    cluster: {server: "${url}", certificate-authority: ca.pem}\nusers:\n  - name: kgit\n    user: {token: s3cret}\ncontexts:\n  - name: c\n    context: {cluster: webhook, user: kgit}\ncurrent-context: c\n`)
    seen.length = 0
    const rest = config()
    delete rest.url
    delete rest.caFile
    expect(await review({...rest, kubeConfigFile: kc}, [pod('p', 'evil.example.com/x:2')])).toHaveLength(1)
    expect(seen.map((s) => s.auth)).toEqual(['Bearer s3cret'])
    expect(await review({...rest, kubeConfigFile: join(dir, 'missing.kubeconfig')}, [pod('p', 'nginx:1')])).toEqual([`Pod default/p (manifests/all.yaml:1 spec.containers): the image policy webhook cannot be asked (cannot read ${join(dir, 'missing.kubeconfig')}: ENOENT) and defaultAllow is false (admission plugin ImagePolicyWebhook)`])
  })
})
