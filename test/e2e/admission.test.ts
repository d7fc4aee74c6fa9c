import {execa} from 'execa'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {createServer, type Server} from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse, stringify} from 'yaml'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import type {LabState} from '../../src/engine/exec/lab/index.js'
import {deploymentYaml} from '../support/manifests.js'
import {commit, kgit, lab, labCluster, podsOn} from './helpers.js'

const repo = inject('labRepo')
const cluster = labCluster(repo)
let state: LabState
let dir = ''
let server: Server
const reviewed: string[] = []

/** Every kgit pod of the lab: a refused apply must leave it as it was. */
async function allPods(): Promise<string[]> {
  return (await Promise.all(state.nodes.map(async (n) => (await podsOn(state, n.name)).map((p) => `${n.name}/${p.name}`)))).flat().sort()
}

/** The lab's kgit.yaml with spec.admission: the defaults plus an ImagePolicyWebhook on loopback (kgit calls it from this machine). */
function withWebhook(url: string, caFile: string): string {
  const doc = parse(cluster.original()) as {spec: Record<string, unknown>}
  doc.spec.admission = {plugins: ['NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'DefaultStorageClass', 'ResourceQuota', {name: 'ImagePolicyWebhook', configuration: {imagePolicy: {url, caFile, defaultAllow: false, denyTTL: 0, allowTTL: 0, timeoutSeconds: 5}}}]}
  return stringify(doc)
}

beforeAll(async () => {
  state = await lab(inject('labName'))
  dir = await mkdtemp(join(tmpdir(), 'kgit-admission-webhook-'))
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.pem')])
  // The webhook refuses images from evil.example.com, as a registry policy would.
  server = createServer({key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'ca.pem'))}, (req, res) => {
    let text = ''
    req.on('data', (c: Buffer) => (text += c.toString()))
    req.on('end', () => {
      const images = (JSON.parse(text) as {spec: {containers: {image: string}[]}}).spec.containers.map((c) => c.image)
      reviewed.push(...images)
      const bad = images.some((i) => i.startsWith('evil.example.com/'))
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', status: bad ? {allowed: false, reason: 'images from evil.example.com are not allowed'} : {allowed: true}}))
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
})

afterAll(async () => {
  server?.closeAllConnections()
  await new Promise((ok) => (server ? server.close(ok) : ok(undefined)))
  if (dir) await rm(dir, {recursive: true, force: true})
})

describe('admission plugins on a real lab', () => {
  it('an image the ImagePolicyWebhook rejects and a pod over its namespace quota are refused together, before any node is touched', async () => {
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/review`
    const before = await allPods()
    await commit(repo, {
      'kgit.yaml': withWebhook(url, join(dir, 'ca.pem')),
      'manifests/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n',
      'manifests/quota.yaml': 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: pods, namespace: team-a}\nspec:\n  hard: {pods: "1"}\n',
      'manifests/web.yaml': deploymentYaml('web', 2, {ns: 'team-a', image: 'localhost/busybox:1.35', command: ['sleep', '3600'], grace: 1}),
      'manifests/miner.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: miner}\nspec:\n  containers: [{name: main, image: "evil.example.com/miner:1"}]\n',
    })
    const refused = await kgit(repo, 'apply')
    expect(refused.exitCode, refused.stdout).toBe(1)
    expect(refused.stderr).toContain('error: Pod default/miner (manifests/miner.yaml:1 spec.containers): image policy webhook backend denied one or more images (evil.example.com/miner:1): images from evil.example.com are not allowed (admission plugin ImagePolicyWebhook)')
    expect(refused.stderr).toContain('error: ResourceQuota team-a/pods (manifests/quota.yaml:1): exceeded quota in namespace team-a: pods requested 2 by this revision, hard 1 (admission plugin ResourceQuota)')
    expect(refused.stdout).not.toContain('created')
    expect(reviewed.sort()).toEqual(['evil.example.com/miner:1', 'localhost/busybox:1.35'])
    expect(await allPods()).toEqual(before)
    // plan asks the same plugins: the same refusal, still nothing on the nodes.
    expect((await kgit(repo, 'plan')).stderr).toContain('(admission plugin ImagePolicyWebhook)')

    // Within the quota and with images the webhook allows: applied, and a second apply has nothing to do.
    await commit(repo, {'manifests/miner.yaml': null, 'manifests/web.yaml': deploymentYaml('web', 1, {ns: 'team-a', image: 'localhost/busybox:1.35', command: ['sleep', '3600'], grace: 1})})
    const ok = await kgit(repo, 'apply')
    expect(ok.exitCode, ok.stderr + ok.stdout).toBe(0)
    expect(await allPods()).toHaveLength(before.length + 1)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })
})
