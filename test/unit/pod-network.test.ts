import {describe, expect, it} from 'vitest'
import {allocateSlices, ipAllocator, podRoutes, sliceGateway} from '../../src/engine/controllers/pod-network.js'
import {hostsFiles} from '../../src/engine/controllers/service-names.js'
import {parseNet} from '../../src/engine/facts/node-state.js'
import {networkSync, podNetworkRules, serviceRangeRules} from '../../src/engine/argv/network.js'
import {plan, planActions} from '../../src/engine/plan/plan.js'
import {serviceEnv} from '../../src/engine/plan/services.js'
import type {NodeNet, Observed} from '../../src/engine/types.js'
import {deployment, desired} from './plan-helpers.js'

const NET = {podCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/16', clusterDomain: 'cluster.local', nodeCIDRMaskSize: 24}

describe('pod network slices', () => {
  it('gives new nodes the lowest free slice in kgit.yaml order and keeps known ones', () => {
    const known = new Map([['n2', '10.244.0.0/24']])
    const {slices, errors} = allocateSlices(NET, ['n1', 'n2', 'n3'], known)
    expect(errors).toEqual([])
    expect(Object.fromEntries(slices)).toEqual({n1: '10.244.1.0/24', n2: '10.244.0.0/24', n3: '10.244.2.0/24'})
  })

  it('drops a known slice that is outside podCIDR, of another size, or held by an earlier node', () => {
    const known = new Map([['n1', '10.244.5.0/24'], ['n2', '10.244.5.0/24'], ['n3', '192.168.0.0/24'], ['n4', '10.244.6.0/25']])
    const {slices} = allocateSlices(NET, ['n1', 'n2', 'n3', 'n4'], known)
    expect(Object.fromEntries(slices)).toEqual({n1: '10.244.5.0/24', n2: '10.244.0.0/24', n3: '10.244.1.0/24', n4: '10.244.2.0/24'})
  })

  it('says which node got none when podCIDR is full', () => {
    const {slices, errors} = allocateSlices({...NET, podCIDR: '10.244.0.0/23'}, ['a', 'b', 'c'], new Map())
    expect(slices.size).toBe(2)
    expect(errors).toEqual(['node c: spec.network.podCIDR 10.244.0.0/23 has no free /24 slice left (2 in all); widen podCIDR or raise nodeCIDRMaskSize'])
  })

  it('hands out pod addresses after the gateway, skipping used ones, never the broadcast address', () => {
    expect(sliceGateway('10.244.3.0/24')).toBe('10.244.3.1')
    const next = ipAllocator('10.244.3.0/30', [])
    expect([next(), next()]).toEqual(['10.244.3.2', undefined])
    const skip = ipAllocator('10.244.3.0/24', ['10.244.3.2', '10.244.3.4'])
    expect([skip(), skip(), skip()]).toEqual(['10.244.3.3', '10.244.3.5', '10.244.3.6'])
  })

  it('routes to every other node through its address, in slice order', () => {
    const slices = new Map([['n1', '10.244.1.0/24'], ['n2', '10.244.0.0/24'], ['n3', '10.244.2.0/24']])
    const addresses = new Map([['n1', '10.0.0.1'], ['n2', '10.0.0.2'], ['n3', 'n3.example']])
    expect(podRoutes('n1', slices, addresses)).toEqual([
      {dest: '10.244.0.0/24', via: '10.0.0.2'},
      {dest: '10.244.2.0/24', via: 'n3.example'},
    ])
  })
})

describe('service names', () => {
  it('own namespace first by short name, every service by its qualified names; headless lists pods', () => {
    const files = hostsFiles(
      ['a', 'b'],
      [
        {namespace: 'a', name: 'web', ips: ['10.96.0.10']},
        {namespace: 'b', name: 'web', ips: ['10.96.0.20']},
        {namespace: 'b', name: 'db', ips: ['10.244.1.5', '10.244.2.7'], pods: [{hostname: 'db-0', ip: '10.244.1.5'}]},
      ],
      'cluster.local',
    )
    expect(files.a).toContain('10.96.0.10\tweb web.a web.a.svc web.a.svc.cluster.local\n')
    expect(files.a).toContain('10.96.0.20\tweb.b web.b.svc web.b.svc.cluster.local\n')
    expect(files.a).not.toMatch(/10\.96\.0\.20\tweb /)
    expect(files.b).toContain('10.96.0.20\tweb web.b web.b.svc web.b.svc.cluster.local\n')
    expect(files.b).toContain('10.244.1.5\tdb db.b db.b.svc db.b.svc.cluster.local\n')
    expect(files.b).toContain('10.244.2.7\tdb db.b db.b.svc db.b.svc.cluster.local\n')
    expect(files.b).toContain('10.244.1.5\tdb-0.db db-0.db.b db-0.db.b.svc db-0.db.b.svc.cluster.local\n')
    expect(files.a).toMatch(/^# kgit: .*\n127\.0\.0\.1\tlocalhost\n/)
  })
})

describe('the network part of the node state', () => {
  it('reads the state chains and gateway routes (/proc/net/route is little-endian hex)', () => {
    const net = parseNet({slice: '10.244.1.0/24', state: 'abc123'}, ['checked', 'nat -A KGIT-STATE -m comment --comment "kgit-state abc123" -j RETURN', 'route 0000F40A 00FFFFFF 0200000A', 'route 00000000 00000000 0100000A'])
    expect(net).toEqual({slice: '10.244.1.0/24', state: 'abc123', tables: {nat: 'abc123', filter: ''}, routes: [{dest: '10.244.0.0/24', via: '10.0.0.2'}, {dest: '0.0.0.0/0', via: '10.0.0.1'}]})
    expect(parseNet({}, [])).toBeUndefined()
    expect(parseNet({state: 'x'}, ['checked', 'forward NETAVARK_FORWARD KGIT-FORWARD KGIT-NOSVC ', 'route 00000000 00000000 0100000A'])?.forward).toEqual(['NETAVARK_FORWARD', 'KGIT-FORWARD', 'KGIT-NOSVC'])
    expect(parseNet({state: 'x'}, ['checked', 'forward '])?.forward).toEqual([])
  })
})

describe('network sync', () => {
  it('sends routes, both tables with their state chain and digests, hooks and hosts files on stdin, nothing secret in argv', () => {
    const state = {slice: '10.244.1.0/24', gateway: '10.244.1.1', routes: [{dest: '10.244.0.0/24', via: '10.0.0.2'}], nat: podNetworkRules('10.244.0.0/16'), filter: serviceRangeRules('10.96.0.0/16'), hosts: {default: '127.0.0.1\tlocalhost\n'}}
    const {argv, stdin} = networkSync('SCRIPT', '/var/lib/kgit', state, 'feedbeef')
    expect(argv).toEqual(['bash', '-c', 'SCRIPT', 'kgit-net', '/var/lib/kgit', '10.244.1.0/24', '10.244.1.1', 'feedbeef', 'kgit', '215'])
    expect(stdin).toContain('@@kgit-file routes\n10.244.0.0/24 10.0.0.2\n')
    expect(stdin).toContain(':KGIT-PODNET - [0:0]\n:KGIT-STATE - [0:0]\n')
    expect(stdin).toContain('-A KGIT-STATE -m comment --comment "kgit-state feedbeef" -j RETURN\nCOMMIT\n')
    expect(stdin).toMatch(/@@kgit-file nat\.digests\nKGIT-PODNET [0-9a-f]{16}\nKGIT-STATE [0-9a-f]{16}\n/)
    expect(stdin).toContain('@@kgit-file hooks\nnat\tPOSTROUTING\t-m\tcomment\t--comment\tkgit-pod-network\t-j\tKGIT-PODNET\nfilter\tFORWARD\t')
    expect(stdin).toContain('@@kgit-file hosts.default\n127.0.0.1\tlocalhost\n')
  })
})

describe('the plan and the network', () => {
  const up = (net?: NodeNet): Observed => ({nodes: ['n1', 'n2'].map((node) => ({node, reachable: true as const, pods: [], ...(net ? {net} : {})}))})

  it('syncs every node that has no pod network yet, and gives new pods addresses of their node', () => {
    const d = desired(2, deployment('web', 2))
    const p = plan(d, up())
    expect(p.network.syncs.map((s) => [s.node, s.state.slice, s.reason])).toEqual([
      ['n1', '10.244.0.0/24', 'pod network 10.244.0.0/24'],
      ['n2', '10.244.1.0/24', 'pod network 10.244.1.0/24'],
    ])
    const ips = p.actions.flatMap((a) => (a.type === 'create' ? [[a.node, a.pod.ip]] : []))
    expect(ips).toEqual([['n1', '10.244.0.2'], ['n2', '10.244.1.2']])
    expect(planActions(p)[0]!.type).toBe('sync-network')
  })

  it('is quiet when the nodes hold the state, and calls a flushed table drift', () => {
    const d = desired(2)
    const first = plan(d, up())
    const held = (node: string, lose = false): NodeNet => {
      const s = first.network.syncs.find((x) => x.node === node)!
      return {slice: s.state.slice, state: s.hash, tables: {nat: lose ? '' : s.hash, filter: s.hash}}
    }
    const obs: Observed = {nodes: ['n1', 'n2'].map((node) => ({node, reachable: true as const, pods: [], net: held(node, node === 'n2')}))}
    const again = plan(d, obs)
    expect(again.network.syncs.map((s) => [s.node, s.reason, s.drift])).toEqual([['n2', "drift: kgit's nat chains changed on the node", true]])
  })

  it("calls a rule inserted above kgit's FORWARD jumps drift (netavark's ACCEPTs would pass traffic before NetworkPolicy)", () => {
    const d = desired(2)
    const first = plan(d, up())
    const held = (node: string, forward: string[]): NodeNet => {
      const s = first.network.syncs.find((x) => x.node === node)!
      return {slice: s.state.slice, state: s.hash, tables: {nat: s.hash, filter: s.hash}, forward}
    }
    const obs: Observed = {nodes: [{node: 'n1', reachable: true, pods: [], net: held('n1', ['KGIT-FORWARD', 'KGIT-NOSVC', 'NETAVARK_FORWARD'])}, {node: 'n2', reachable: true, pods: [], net: held('n2', ['NETAVARK_FORWARD', 'KGIT-FORWARD', 'KGIT-NOSVC'])}]}
    const again = plan(d, obs)
    expect(again.network.syncs.map((s) => [s.node, s.reason, s.drift])).toEqual([['n2', "drift: the order of filter FORWARD (NETAVARK_FORWARD KGIT-FORWARD KGIT-NOSVC; kgit's KGIT-FORWARD, KGIT-NOSVC must come first) changed on the node", true]])
  })
})

describe('service environment variables', () => {
  it('sets Kubernetes variables for the Services of the namespace with a cluster IP', () => {
    const svc = 'apiVersion: v1\nkind: Service\nmetadata: {name: my-web}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80}, {name: dns, port: 53, protocol: UDP}]\n'
    const d = desired(1, svc)
    const p = plan(d, {nodes: [{node: 'n1', reachable: true, pods: []}]})
    const ip = p.network.services.clusterIPs.get('default/my-web')!
    const env = Object.fromEntries(serviceEnv(d, p.network.services, 'default').map((e) => [e.name, e.value]))
    expect(env).toMatchObject({MY_WEB_SERVICE_HOST: ip, MY_WEB_SERVICE_PORT: '80', MY_WEB_SERVICE_PORT_HTTP: '80', MY_WEB_SERVICE_PORT_DNS: '53', MY_WEB_PORT: `tcp://${ip}:80`, MY_WEB_PORT_53_UDP: `udp://${ip}:53`, MY_WEB_PORT_53_UDP_PROTO: 'udp', MY_WEB_PORT_80_TCP_ADDR: ip})
    expect(serviceEnv(d, p.network.services, 'other')).toEqual([])
  })
})

describe('StatefulSet pod names', () => {
  it('a ready StatefulSet pod is POD.SVC when its serviceName is a headless Service', () => {
    const sts = 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  serviceName: db\n  replicas: 1\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n      containers: [{name: main, image: busybox, ports: [{containerPort: 5432}]}]\n'
    const svc = 'apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  clusterIP: None\n  selector: {app: db}\n  ports: [{port: 5432}]\n'
    const d = desired(1, sts, svc)
    const first = plan(d, {nodes: [{node: 'n1', reachable: true, pods: []}]})
    const start = first.actions.find((a) => a.type === 'create')!
    if (start.type !== 'create') throw new Error('no create')
    const p = start.pod
    const running = {node: 'n1', podmanName: `default_${p.name}`, namespace: 'default', name: p.name, owner: p.owner, specHash: p.specHash, labels: p.labels, status: 'Running', created: '', containers: [{name: 'main', container: 'c', state: 'running'}], ready: true, readySince: 0, spec: p.spec, ip: p.ip}
    const again = plan(d, {nodes: [{node: 'n1', reachable: true, pods: [running]}]})
    const hosts = again.network.syncs[0]!.state.hosts.default!
    expect(hosts).toContain(`${p.ip}\tdb db.default db.default.svc db.default.svc.cluster.local\n`)
    expect(hosts).toContain(`${p.ip}\tdb-0.db db-0.db.default db-0.db.default.svc db-0.db.default.svc.cluster.local\n`)
  })
})

describe('the network in the records', () => {
  it('record.json keeps slices, cluster IPs and nodePorts, so a no-op apply finds its record current', async () => {
    const {parseRecord, recordKey} = await import('../../src/engine/facts/node-record.js')
    const rec = {commit: 'c', writtenAt: 'w', appliedAt: 'a', appliedBy: 'b', author: 'x', subject: 's', pods: {}, unreachableSince: {}, nodes: ['n1'], podCIDRs: {n1: '10.244.0.0/24'}, clusterIPs: {'default/web': '10.96.0.10'}, nodePorts: {'default/web:http': 30080}}
    const back = parseRecord(JSON.stringify(rec))!
    expect(recordKey(back)).toBe(recordKey(rec))
    expect(parseRecord(JSON.stringify({...rec, podCIDRs: 'x', nodePorts: {a: 'b'}}))).toMatchObject({nodePorts: {}})
  })
})
