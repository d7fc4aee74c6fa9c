import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {labTransport, type LabState} from '../../src/engine/exec/lab/index.js'
import {commit, kgit, lab, podsOn} from './helpers.js'

const repo = inject('labRepo')
let state: LabState

const IMAGE = 'localhost/busybox:1.35'

/** A Deployment of busybox httpd pods that answer with their own name. */
function web(name: string, replicas: number, opts: {ns?: string; labels?: string; version?: string} = {}): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    `metadata: {name: ${name}${opts.ns ? `, namespace: ${opts.ns}` : ''}}`,
    'spec:',
    `  replicas: ${replicas}`,
    '  progressDeadlineSeconds: 90',
    `  selector: {matchLabels: {app: ${name}}}`,
    '  template:',
    `    metadata: {labels: {app: ${name}${opts.labels ? `, ${opts.labels}` : ''}}}`,
    '    spec:',
    '      terminationGracePeriodSeconds: 1',
    '      containers:',
    '        - name: web',
    `          image: ${IMAGE}`,
    `          command: [sh, -c, 'mkdir -p /www && hostname > /www/index.html && touch /www/ready && exec httpd -f -p 8080 -h /www']`,
    `          env: [{name: VERSION, value: "${opts.version ?? 'v1'}"}]`,
    '          ports: [{containerPort: 8080, name: http}]',
    // httpGet (run from the node, fast): exec probes go through podman exec, slow on a loaded machine.
    '          readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 1}',
    '',
  ].join('\n')
}

/** A pod on a given node that only waits: the client of the tests. */
function client(name: string, node: string, labels = ''): string {
  return [
    'apiVersion: v1',
    'kind: Pod',
    `metadata: {name: ${name}${labels ? `, labels: {${labels}}` : ''}}`,
    'spec:',
    `  nodeName: ${node}`,
    '  terminationGracePeriodSeconds: 1',
    `  containers: [{name: main, image: ${IMAGE}, command: [sleep, "3600"]}]`,
    '',
  ].join('\n')
}

/** Runs a shell line on a lab node (the node's own network namespace). */
async function onNode(node: string, line: string): Promise<{stdout: string; stderr: string; exitCode: number}> {
  return labTransport(state, node).exec([['bash', '-c', line]])
}

/**
 * An HTTP GET from inside a pod's container: busybox's static wget crashes in this image,
 * so the request is written with nc; the answer's body (the server pod's name) is returned.
 */
async function httpFrom(node: string, pod: string, target: string, port = 8080): Promise<string | undefined> {
  const r = await onNode(node, `podman exec default_${pod}_main sh -c 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 ${target} ${port}'`)
  if (r.exitCode !== 0) return undefined
  const body = r.stdout.split('\r\n\r\n')[1]
  return body?.trim() || undefined
}

/** Polls a condition every second until it holds or the time is up; says whether it held. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  for (;;) {
    if (await check()) return true
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 1000))
  }
}

async function webPods(app: string): Promise<{node: string; name: string; ip: string}[]> {
  const out: {node: string; name: string; ip: string}[] = []
  for (const n of state.nodes) {
    for (const p of await podsOn(state, n.name)) {
      if (p.labels['kgit.dev/owner'] === `Deployment/${app}`) out.push({node: n.name, name: p.labels['kgit.dev/name']!, ip: p.labels['kgit.dev/ip']!})
    }
  }
  return out
}

beforeAll(async () => {
  state = await lab(inject('labName'))
})

function service(name: string, extra: string[] = []): string {
  return ['apiVersion: v1', 'kind: Service', `metadata: {name: ${name}}`, 'spec:', `  selector: {app: ${name}}`, '  ports: [{name: http, port: 80, targetPort: http}]', ...extra, ''].join('\n')
}

/** `n` requests through `target` from a pod: the names of the pods that answered, and how many failed. */
async function spread(node: string, pod: string, target: string, n: number, port = 80): Promise<{names: Map<string, number>; failed: number}> {
  const loop = `for i in $(seq ${n}); do printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 ${target} ${port} | tail -1 || echo FAIL; done`
  const r = await onNode(node, `podman exec default_${pod}_main sh -c '${loop}'`)
  const names = new Map<string, number>()
  let failed = 0
  for (const line of r.stdout.split('\n').map((l) => l.trim())) {
    if (!line || line === 'FAIL') failed += line === 'FAIL' ? 1 : 0
    else names.set(line, (names.get(line) ?? 0) + 1)
  }
  failed += n - [...names.values()].reduce((a, b) => a + b, 0) - failed
  return {names, failed}
}

afterAll(async () => {
  await commit(repo, {'manifests/web.yaml': null, 'manifests/client.yaml': null, 'manifests/policy.yaml': null, 'manifests/svc.yaml': null, 'manifests/near.yaml': null}, 'network tests: clean up')
  await kgit(repo, 'apply')
})

describe('the pod network on a real lab', () => {
  it('gives each node a slice, routes between them, and pods reach pods on other nodes by address', async () => {
    await commit(repo, {'manifests/web.yaml': web('web', 3), 'manifests/client.yaml': client('client', 'n1', 'role: client') + '---\n' + client('other', 'n1')}, 'web and clients')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    const pods = await webPods('web')
    expect(pods).toHaveLength(3)
    const remote = pods.filter((p) => p.node !== 'n1')
    expect(remote.length).toBeGreaterThan(0)
    for (const p of remote) expect(await httpFrom('n1', 'client', p.ip)).toBe(p.name)
    // host-gw routes, marked with kgit's protocol number, and pod-to-pod traffic keeps its source address.
    const routes = (await onNode('n1', 'ip -4 route show proto 215')).stdout.trim().split('\n')
    expect(routes.filter((l) => l.includes(' via '))).toHaveLength(state.nodes.length - 1)
    // podCIDR addresses no node takes are refused, never sent out by the default route; cluster IPs no rule takes are REJECTed.
    expect(routes.filter((l) => l.startsWith('unreachable '))).toHaveLength(1)
    expect((await onNode('n1', 'iptables-save -t filter')).stdout).toMatch(/^-A KGIT-NOSVC -d 198\.19\.[0-9.]+\/\d+ -m conntrack ! --ctstate DNAT .* -j REJECT/m)
    const nat = await onNode('n1', 'iptables-save -t nat')
    expect(nat.stdout).toMatch(/^-A POSTROUTING -m comment --comment kgit-pod-network -j KGIT-PODNET$/m)
    // Every pod's address is in its node's slice; the plan after is empty.
    expect((await kgit(repo, 'plan')).stdout).toMatch(/^No changes/m)
  })

  it('restores kgit chains and routes removed by hand (drift), and touches no other rule', async () => {
    await onNode('n2', 'iptables -t nat -N KEEP-ME && iptables -t nat -A KEEP-ME -j RETURN && iptables -t nat -F KGIT-STATE && ip route del $(ip -4 route show proto 215 | grep " via " | head -1 | cut -d" " -f1)')
    const p = await kgit(repo, 'plan')
    expect(p.stdout).toMatch(/node n2:\n\s+~ network .*drift: kgit's nat chains, routes to [0-9./]+ changed on the node/)
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    const after = await onNode('n2', 'iptables-save -t nat; ip -4 route show proto 215')
    expect(after.stdout).toContain('-A KEEP-ME -j RETURN')
    expect(after.stdout).toMatch(/-A KGIT-STATE -m comment --comment "kgit-state [0-9a-f]+" -j RETURN/)
    expect(after.stdout.match(/ via /g)).toHaveLength(state.nodes.length - 1)
    await onNode('n2', 'iptables -t nat -F KEEP-ME && iptables -t nat -X KEEP-ME')
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('NetworkPolicy: a default deny blocks what was open, an allow by label opens exactly that path', async () => {
    const target = (await webPods('web')).find((p) => p.node !== 'n1')!
    expect(await httpFrom('n1', 'other', target.ip)).toBe(target.name)
    // A server on the clients' own node: traffic between two pods of one node must meet the policies too.
    const near = ['apiVersion: v1', 'kind: Pod', 'metadata: {name: near, labels: {app: near}}', 'spec:', '  nodeName: n1', '  terminationGracePeriodSeconds: 1', '  containers:', '    - name: web', `      image: ${IMAGE}`, `      command: [sh, -c, 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www']`, ''].join('\n')
    await commit(repo, {'manifests/near.yaml': near}, 'a server next to the clients')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    const nearIP = (await podsOn(state, 'n1')).find((p) => p.labels['kgit.dev/name'] === 'near')!.labels['kgit.dev/ip']!
    let answer: string | undefined
    for (let i = 0; i < 20 && answer === undefined; i++) answer = (await httpFrom('n1', 'other', nearIP)) ?? (await new Promise((r) => setTimeout(r, 250)))
    expect(answer).toBe('near')
    // kgit's jumps lead filter FORWARD, before netavark's (which ACCEPTs whatever leaves a pod).
    expect((await onNode('n1', 'iptables -S FORWARD')).stdout.split('\n')[1]).toMatch(/-j KGIT-FORWARD$/)
    const deny = ['apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata: {name: default-deny}', 'spec:', '  podSelector: {}', '  policyTypes: [Ingress]', ''].join('\n')
    await commit(repo, {'manifests/policy.yaml': deny}, 'default deny')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    expect(await httpFrom('n1', 'client', target.ip)).toBeUndefined()
    expect(await httpFrom('n1', 'other', target.ip)).toBeUndefined()
    const allow = ['apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata: {name: web-from-clients}', 'spec:', '  podSelector: {matchLabels: {app: web}}', '  ingress:', '    - from: [{podSelector: {matchLabels: {role: client}}}]', '      ports: [{port: http}]', ''].join('\n')
    await commit(repo, {'manifests/policy.yaml': deny + '---\n' + allow}, 'allow clients to web')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    expect(await httpFrom('n1', 'client', target.ip)).toBe(target.name)
    expect(await httpFrom('n1', 'other', target.ip)).toBeUndefined()
    // Only the port the policy names: the same pod on another port stays closed.
    const other = await onNode(target.node, `podman exec default_${target.name}_web sh -c 'httpd -p 9090 -h /www'`)
    expect(other.exitCode, other.stderr).toBe(0)
    expect(await httpFrom('n1', 'client', target.ip, 9090)).toBeUndefined()
    // On one node: the default deny holds, and the allow opens the web pods only.
    expect(await httpFrom('n1', 'other', nearIP)).toBeUndefined()
    expect(await httpFrom('n1', 'client', nearIP)).toBeUndefined()
    // Egress: the client may send nothing, so the path its ingress rule opened closes.
    const egress = ['apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy', 'metadata: {name: clients-send-nothing}', 'spec:', '  podSelector: {matchLabels: {role: client}}', '  policyTypes: [Egress]', ''].join('\n')
    await commit(repo, {'manifests/policy.yaml': deny + '---\n' + allow + '---\n' + egress}, 'clients send nothing')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    expect(await httpFrom('n1', 'client', target.ip)).toBeUndefined()
    await commit(repo, {'manifests/policy.yaml': null}, 'policies leave')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    expect(await httpFrom('n1', 'other', target.ip)).toBe(target.name)
    expect(await httpFrom('n1', 'client', nearIP)).toBe('near')
    const filter = await onNode(target.node, 'iptables-save -t filter')
    expect(filter.stdout).not.toMatch(/KGIT-ING-/)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })
})

describe('Services on a real lab', () => {
  it('balances over the ready pods of every node, by name from any pod, and kgit get shows it', async () => {
    await commit(repo, {'manifests/svc.yaml': service('web')}, 'web service')
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    const pods = await webPods('web')
    const {names, failed} = await spread('n1', 'client', 'web', 40)
    expect(failed).toBe(0)
    expect([...names.keys()].sort()).toEqual(pods.map((p) => p.name).sort())
    for (const name of ['web.default', 'web.default.svc', 'web.default.svc.cluster.local']) expect(await httpFrom('n1', 'client', name, 80)).toMatch(/^web-/)
    const svc = await kgit(repo, 'get', 'svc')
    expect(svc.stdout).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)/)
    const ip = /^web\s+ClusterIP\s+(198\.19\.[0-9.]+)\s+<none>\s+80\/TCP/m.exec(svc.stdout)?.[1]
    expect(ip, svc.stdout).toBeDefined()
    const eps = await kgit(repo, 'get', 'endpoints')
    expect(eps.stdout).toMatch(/^web\s+\S+:8080,\S+:8080,\S+:8080/m)
    const both = await kgit(repo, 'get', 'svc,endpoints')
    expect(both.stdout).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP[^]*\n\nNAME\s+ENDPOINTS\n/)
    // A pod started after the Service gets its variables, as the kubelet sets them.
    await commit(repo, {'manifests/client.yaml': client('client', 'n1', 'role: client') + '---\n' + client('other', 'n1') + '---\n' + client('late', 'n2')}, 'a late client')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    const env = await onNode('n2', 'podman exec default_late_main env')
    expect(env.stdout).toContain(`WEB_SERVICE_HOST=${ip}`)
    expect(env.stdout).toContain('WEB_SERVICE_PORT=80')
    expect(env.stdout).toContain('WEB_SERVICE_PORT_HTTP=80')
    expect(env.stdout).toContain(`WEB_PORT=tcp://${ip}:80`)
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })

  it('a pod that is not ready gets no traffic', async () => {
    const pods = await webPods('web')
    const sick = pods[0]!
    await onNode(sick.node, `podman exec default_${sick.name}_web rm /www/ready`)
    await new Promise((r) => setTimeout(r, 3000))
    // The Deployment now waits for that pod (or reports its deadline passed): apply writes the rules without it first.
    const applying = kgit(repo, 'apply')
    // Wait (bounded) for the rules on n1 to drop the pod's endpoint: a fixed pause ran out on a loaded machine.
    const gone = await until(async () => !(await onNode('n1', 'iptables-save -t nat')).stdout.includes(`--to-destination ${sick.ip}:`), 90_000)
    expect(gone, `the endpoint ${sick.ip} stayed in n1's rules`).toBe(true)
    const {names, failed} = await spread('n1', 'client', 'web', 30)
    expect(failed).toBe(0)
    expect(names.has(sick.name)).toBe(false)
    expect(names.size).toBe(pods.length - 1)
    await onNode(sick.node, `podman exec default_${sick.name}_web touch /www/ready`)
    const waited = await applying
    expect(waited.stdout + waited.stderr).not.toMatch(/failed to write the pod network/)
    await new Promise((r) => setTimeout(r, 3000))
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    expect((await spread('n1', 'client', 'web', 30)).names.has(sick.name)).toBe(true)
  })

  it('a rolling update behind the Service fails no request', async () => {
    const before = new Set((await webPods('web')).map((p) => p.name))
    await commit(repo, {'manifests/web.yaml': web('web', 3, {version: 'v2'})}, 'web v2')
    const requests = spread('n1', 'client', 'web', 150)
    const r = await kgit(repo, 'apply')
    expect(r.exitCode, r.stderr).toBe(0)
    const {names, failed} = await requests
    expect(failed).toBe(0)
    const after = (await webPods('web')).map((p) => p.name)
    expect(after.some((n) => before.has(n))).toBe(false)
    expect([...names.keys()].some((n) => before.has(n))).toBe(true)
  })

  it('ClientIP affinity keeps a client on one pod; a headless Service resolves to the ready pods', async () => {
    const headless = ['apiVersion: v1', 'kind: Service', 'metadata: {name: web-pods}', 'spec:', '  clusterIP: None', '  selector: {app: web}', '  ports: [{name: http, port: 8080}]', ''].join('\n')
    await commit(repo, {'manifests/svc.yaml': service('web', ['  sessionAffinity: ClientIP']) + '---\n' + headless}, 'affinity, headless')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    const {names, failed} = await spread('n1', 'client', 'web', 20)
    expect(failed).toBe(0)
    expect(names.size).toBe(1)
    const pods = await webPods('web')
    const hosts = (await onNode('n1', 'podman exec default_client_main cat /etc/hosts')).stdout
    for (const p of pods) expect(hosts).toContain(`${p.ip}\tweb-pods web-pods.default web-pods.default.svc web-pods.default.svc.cluster.local`)
    // Every address the headless name lists answers, from the node and by name from a pod
    // (after the rollout above reused addresses: a pod's MAC follows its address).
    expect(pods.map((p) => p.name), hosts).toContain(await httpFrom('n1', 'client', 'web-pods', 8080))
    for (const p of pods) {
      const r = await onNode('n1', `exec 3<>/dev/tcp/${p.ip}/8080; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`)
      expect(r.stdout, hosts).toMatch(new RegExp(`\\r\\n\\r\\n${p.name}`))
    }
  })

  it('a NodePort answers on every node; removing the Service removes its rules everywhere and nothing else', async () => {
    await commit(repo, {'manifests/svc.yaml': service('web', ['  type: NodePort'])}, 'web as NodePort')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    const port = /80:(\d+)\/TCP/.exec((await kgit(repo, 'get', 'svc')).stdout)?.[1]
    expect(port).toBeDefined()
    const n2 = state.nodes.find((n) => n.name === 'n2')!
    const fromN3 = await onNode('n3', `exec 3<>/dev/tcp/${n2.address}/${port}; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`)
    expect(fromN3.stdout).toMatch(/\r\n\r\nweb-/)
    await onNode('n2', 'iptables -t nat -N KEEP-ME && iptables -t nat -A KEEP-ME -j RETURN')
    await commit(repo, {'manifests/svc.yaml': null}, 'web service leaves')
    expect((await kgit(repo, 'apply')).exitCode).toBe(0)
    for (const n of state.nodes) {
      const saved = (await onNode(n.name, 'iptables-save -t nat')).stdout
      expect(saved).not.toContain('default/web')
      expect(saved).toMatch(/^:KGIT-SERVICES /m)
    }
    const n2saved = (await onNode('n2', 'iptables-save -t nat')).stdout
    expect(n2saved).toContain('-A KEEP-ME -j RETURN')
    expect(n2saved).toMatch(/^-A POSTROUTING .*NETAVARK/m)
    await onNode('n2', 'iptables -t nat -F KEEP-ME && iptables -t nat -X KEEP-ME')
    expect(await httpFrom('n1', 'client', 'web', 80)).toBeUndefined()
    expect((await kgit(repo, 'apply')).stdout).toMatch(/^No changes/m)
  })
})
