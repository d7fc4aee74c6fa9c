import {execa} from 'execa'
import {createServer, type Server} from 'node:https'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {abacMatches, parseAbacPolicies} from '../../src/engine/admission/abac.js'
import {abacAuthorizer, alwaysAllow, alwaysDeny, decide, decideSync, privilegedGroup, rbacAuthorizer, subjectAccessReview, webhookAuthorizer, type Authorizer} from '../../src/engine/admission/authorizers.js'
import {rbacPolicy, type RequestAttributes} from '../../src/engine/admission/rbac.js'
import {postJson} from '../../src/engine/exec/https-post.js'

const V = 'abac.authorization.kubernetes.io/v1beta1'
const line = (spec: object): string => JSON.stringify({apiVersion: V, kind: 'Policy', spec})

const alice = {user: 'alice', groups: ['dev', 'system:authenticated']}
const bob = {user: 'bob', groups: ['system:authenticated']}
const pods = (verb: string, namespace = 'dev', extra: Partial<RequestAttributes> = {}): RequestAttributes => ({...alice, verb, apiGroup: '', resource: 'pods', namespace, ...extra})

describe('ABAC policy matching (Kubernetes pkg/auth/authorizer/abac)', () => {
  // [case, policy spec, request, matches]
  const cases: [string, object, RequestAttributes, boolean][] = [
    ['user and everything', {user: 'alice', namespace: '*', resource: '*', apiGroup: '*'}, pods('delete'), true],
    ['another user', {user: 'bob', namespace: '*', resource: '*', apiGroup: '*'}, pods('get'), false],
    ['user "*" is everyone', {user: '*', namespace: '*', resource: '*', apiGroup: '*'}, {...bob, verb: 'get', resource: 'pods', apiGroup: '', namespace: 'x'}, true],
    ['group', {group: 'dev', namespace: 'dev', resource: 'pods', apiGroup: ''}, pods('create'), true],
    ['group system:authenticated', {group: 'system:authenticated', readonly: true, namespace: '*', resource: '*', apiGroup: '*'}, {...bob, verb: 'list', resource: 'pods', apiGroup: '', namespace: 'a'}, true],
    ['a group the user lacks', {group: 'ops', namespace: '*', resource: '*', apiGroup: '*'}, pods('get'), false],
    ['user and group must both match', {user: 'alice', group: 'ops', namespace: '*', resource: '*', apiGroup: '*'}, pods('get'), false],
    ['readonly allows get', {user: 'alice', readonly: true, namespace: '*', resource: '*', apiGroup: '*'}, pods('get'), true],
    ['readonly allows watch', {user: 'alice', readonly: true, namespace: '*', resource: '*', apiGroup: '*'}, pods('watch'), true],
    ['readonly refuses update', {user: 'alice', readonly: true, namespace: '*', resource: '*', apiGroup: '*'}, pods('update'), false],
    ['namespace must match', {user: 'alice', namespace: 'prod', resource: '*', apiGroup: '*'}, pods('get'), false],
    ['no namespace: cluster-scoped requests only', {user: 'alice', resource: 'nodes', apiGroup: ''}, {...alice, verb: 'get', resource: 'nodes', apiGroup: '', namespace: ''}, true],
    ['no namespace does not match a namespaced request', {user: 'alice', resource: '*', apiGroup: '*'}, pods('get'), false],
    ['resource must match', {user: 'alice', namespace: '*', resource: 'services', apiGroup: '*'}, pods('get'), false],
    ['the resource covers its subresources', {user: 'alice', namespace: '*', resource: 'pods', apiGroup: ''}, pods('get', 'dev', {subresource: 'log'}), true],
    ['apiGroup must match', {user: 'alice', namespace: '*', resource: 'deployments', apiGroup: 'extensions'}, {...alice, verb: 'get', resource: 'deployments', apiGroup: 'apps', namespace: 'dev'}, false],
    ['empty apiGroup is the core group only', {user: 'alice', namespace: '*', resource: '*'}, {...alice, verb: 'get', resource: 'deployments', apiGroup: 'apps', namespace: 'dev'}, false],
    ['a resource policy never matches a path', {user: 'alice', namespace: '*', resource: '*', apiGroup: '*'}, {...alice, verb: 'get', path: '/healthz'}, false],
    ['nonResourcePath "*"', {user: 'alice', nonResourcePath: '*'}, {...alice, verb: 'get', path: '/version'}, true],
    ['nonResourcePath exact', {user: 'alice', nonResourcePath: '/version'}, {...alice, verb: 'get', path: '/version'}, true],
    ['nonResourcePath prefix', {user: 'alice', nonResourcePath: '/logs/*'}, {...alice, verb: 'get', path: '/logs/kube.log'}, true],
    ['nonResourcePath other', {user: 'alice', nonResourcePath: '/logs/*'}, {...alice, verb: 'get', path: '/metrics'}, false],
    ['a path policy never matches a resource', {user: 'alice', nonResourcePath: '*'}, pods('get'), false],
  ]
  it.each(cases)('%s', (_, spec, req, want) => {
    const {policies, errors} = parseAbacPolicies('abac.jsonl', line(spec))
    expect(errors).toEqual([])
    expect(abacMatches(policies[0]!, req)).toBe(want)
  })

  it('names file, line and field of every bad line', () => {
    const text = ['# comment', '', '{"apiVersion": "v0"}', line({user: 'a', verbs: ['get']}), line({namespace: '*'}), line({user: 'a', readonly: 'yes'}), 'not json', JSON.stringify({apiVersion: V, kind: 'Policy'})].join('\n')
    expect(parseAbacPolicies('abac.jsonl', text).errors.map((e) => e.message)).toEqual([
      `abac.jsonl:3 apiVersion: must be "${V}", got "v0"`,
      'abac.jsonl:4 spec.verbs: unknown field "verbs" (known: user, group, readonly, apiGroup, namespace, resource, nonResourcePath)',
      'abac.jsonl:5 spec: needs a user or a group ("*" for everyone): a policy without either matches no one',
      'abac.jsonl:6 spec.readonly: must be a boolean, got "yes"',
      expect.stringMatching(/^abac\.jsonl:7: not a JSON object: /),
      'abac.jsonl:8 spec: required: a mapping of user, group, readonly, apiGroup, namespace, resource, nonResourcePath',
    ])
  })
})

describe('the mode chain: first decisive answer wins, no opinion from all is a denial', () => {
  const rbac = rbacAuthorizer(rbacPolicy([]))
  const abac = abacAuthorizer(parseAbacPolicies('abac.jsonl', line({user: 'alice', namespace: 'dev', resource: 'pods', apiGroup: ''})).policies, 'abac.jsonl')
  const cases: [string, Authorizer[], RequestAttributes, string, string][] = [
    ['AlwaysAllow', [alwaysAllow], pods('delete'), 'allow', 'AlwaysAllow'],
    ['AlwaysDeny', [alwaysDeny], pods('get'), 'deny', 'AlwaysDeny: every request is denied'],
    ['AlwaysDeny first wins over AlwaysAllow', [alwaysDeny, alwaysAllow], pods('get'), 'deny', 'AlwaysDeny: every request is denied'],
    ['RBAC no opinion, then ABAC allows', [rbac, abac], pods('create'), 'allow', 'ABAC: allowed by abac.jsonl:1'],
    ['RBAC and ABAC have no opinion: denied with both reasons', [rbac, abac], pods('create', 'prod'), 'deny', 'no authorizer allowed it: RBAC: no rule bound to user "alice" (groups=["dev" "system:authenticated"]) allows it; ABAC: no policy matched'],
    ['system:masters in front of RBAC', [privilegedGroup, rbac], {...pods('delete'), groups: ['system:masters']}, 'allow', 'member of system:masters'],
    ['an empty chain denies', [], pods('get'), 'deny', 'no authorizer allowed it'],
  ]
  it.each(cases)('%s', async (_, chain, req, verdict, reason) => expect(await decide(chain, req)).toEqual({verdict, reason}))

  it('admission plugins ask synchronously; a webhook counts as no opinion there and is not asked', () => {
    let asked = 0
    const hook = webhookAuthorizer({url: 'https://127.0.0.1:1/', timeoutMs: 100, failurePolicy: 'Deny'}, async () => {
      asked++
      return {}
    })
    expect(decideSync([hook, abac], pods('get'))).toBe(true)
    expect(decideSync([hook, rbac], pods('get'))).toBe(false)
    expect(asked).toBe(0)
  })
})

describe('SubjectAccessReview', () => {
  it('a resource request', () => {
    expect(subjectAccessReview({...pods('get', 'dev', {name: 'web-1', subresource: 'log'}), uid: '1001'})).toEqual({
      apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
      spec: {user: 'alice', groups: ['dev', 'system:authenticated'], uid: '1001', resourceAttributes: {verb: 'get', group: '', resource: 'pods', namespace: 'dev', name: 'web-1', subresource: 'log'}},
    })
  })
  it('a non-resource request', () => {
    expect(subjectAccessReview({...bob, verb: 'get', path: '/healthz'})).toEqual({apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: {user: 'bob', groups: ['system:authenticated'], nonResourceAttributes: {path: '/healthz', verb: 'get'}}})
  })
})

describe('Webhook mode against a real HTTPS server on loopback', () => {
  let dir: string
  let server: Server
  let url: string
  const seen: unknown[] = []
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kgit-webhook-'))
    await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.pem')])
    server = createServer({key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'ca.pem'))}, (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (d: Buffer) => chunks.push(d))
      req.on('end', () => {
        const review = JSON.parse(Buffer.concat(chunks).toString()) as {spec: {user: string; resourceAttributes?: {namespace?: string}}}
        seen.push(review)
        const ns = review.spec.resourceAttributes?.namespace
        if (ns === 'slow') return void setTimeout(() => res.end('{}'), 1500)
        if (ns === 'broken') return void res.writeHead(500).end('boom')
        const status = ns === 'dev' ? {allowed: true, reason: 'dev is open'} : ns === 'prod' ? {allowed: false, denied: true, reason: 'prod is frozen'} : {allowed: false}
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', status}))
      })
    })
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    url = `https://127.0.0.1:${(server.address() as {port: number}).port}/authorize`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((ok) => server.close(ok))
    await rm(dir, {recursive: true, force: true})
  })
  const hook = (extra: object = {}) => webhookAuthorizer({url, caFile: join(dir, 'ca.pem'), timeoutMs: 500, failurePolicy: 'Deny', ...extra}, postJson)

  it('allows, denies and has no opinion as the review says', async () => {
    const h = hook()
    expect(await h.decide(pods('update', 'dev'))).toEqual({verdict: 'allow', reason: 'Webhook: allowed: dev is open'})
    expect(await h.decide(pods('update', 'prod'))).toEqual({verdict: 'deny', reason: 'Webhook: denied: prod is frozen'})
    expect(await h.decide(pods('update', 'other'))).toEqual({verdict: 'no-opinion', reason: 'Webhook: no opinion'})
    expect(seen[0]).toEqual(subjectAccessReview(pods('update', 'dev')))
  })
  it('fails closed on a timeout, an error status, or a certificate the CA did not sign', async () => {
    expect(await hook().decide(pods('get', 'slow'))).toEqual({verdict: 'deny', reason: `Webhook ${url} could not be asked: no answer within 500 ms (failurePolicy Deny)`})
    expect(await hook().decide(pods('get', 'broken'))).toEqual({verdict: 'deny', reason: `Webhook ${url} could not be asked: HTTP 500: boom (failurePolicy Deny)`})
    const noCa = webhookAuthorizer({url, timeoutMs: 500, failurePolicy: 'Deny'}, postJson)
    expect((await noCa.decide(pods('get', 'dev'))).verdict).toBe('deny')
    expect((await noCa.decide(pods('get', 'dev'))).reason).toMatch(/self.signed certificate/)
  })
  it('has no opinion instead with failurePolicy NoOpinion, so the next mode decides', async () => {
    const h = hook({failurePolicy: 'NoOpinion'})
    expect(await decide([h, alwaysAllow], pods('get', 'broken'))).toEqual({verdict: 'allow', reason: 'AlwaysAllow'})
  })
})
