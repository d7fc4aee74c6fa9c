import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {restoreText, restoreWord} from '../../src/engine/argv/iptables.js'
import {chainDigests, restoreDelta, rulesByChain, savedRuleCounts} from '../../src/engine/argv/rule-delta.js'
import {MASQ_MARK} from '../../src/engine/argv/network.js'
import {MASQ_BIT, allocationsFromRules, endpointChain, probability, serviceChain, serviceRules, type ProxyService} from '../../src/engine/argv/service-rules.js'

const web: ProxyService = {
  namespace: 'shop', name: 'web', clusterIP: '10.96.0.10', sessionAffinity: 'None', affinityTimeoutSeconds: 10800,
  ports: [{name: 'http', protocol: 'TCP', port: 80, endpoints: [{ip: '10.244.0.5', port: 8080}]}],
}

const three = (extra: Partial<ProxyService> = {}): ProxyService => ({
  ...web, ...extra,
  ports: [{name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, endpoints: [{ip: '10.244.2.9', port: 8080}, {ip: '10.244.0.5', port: 8080}, {ip: '10.244.1.3', port: 8080}]}],
})

const SVC = serviceChain('shop/web:http', 'TCP')
const sep = (ip: string): string => endpointChain('shop/web:http', 'TCP', `${ip}:8080`)

describe('serviceRules', () => {
  it('renders one Service with one endpoint exactly, kube-proxy style', () => {
    const set = serviceRules({podCIDR: '10.244.0.0/16', services: [web]})
    const SEP = sep('10.244.0.5')
    expect(SVC).toBe('KGIT-SVC-VE5NURAB4SBTPEW4')
    expect(set.table).toBe('nat')
    expect(set.chains).toEqual(['KGIT-SERVICES', 'KGIT-NODEPORTS', 'KGIT-POSTROUTING', 'KGIT-MARK-MASQ', SEP, SVC])
    expect(set.rules).toEqual([
      `-A KGIT-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j ${SVC}`,
      '-A KGIT-SERVICES -m comment --comment "kgit service nodeports; must be the last rule of this chain" -m addrtype --dst-type LOCAL -j KGIT-NODEPORTS',
      '-A KGIT-POSTROUTING -m mark ! --mark 0x4000/0x4000 -m comment --comment "kgit: not marked for masquerade" -j RETURN',
      '-A KGIT-POSTROUTING -m comment --comment "kgit: service traffic requiring SNAT" -j MARK --xor-mark 0x4000',
      '-A KGIT-POSTROUTING -m comment --comment "kgit: service traffic requiring SNAT" -j MASQUERADE --random-fully',
      '-A KGIT-MARK-MASQ -m comment --comment "kgit: mark for masquerade" -j MARK --or-mark 0x4000',
      `-A ${SEP} -s 10.244.0.5/32 -m comment --comment shop/web:http -j KGIT-MARK-MASQ`,
      `-A ${SEP} -p tcp -m comment --comment shop/web:http -m tcp -j DNAT --to-destination 10.244.0.5:8080`,
      `-A ${SVC} ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KGIT-MARK-MASQ`,
      `-A ${SVC} -m comment --comment "shop/web:http -> 10.244.0.5:8080" -j ${SEP}`,
    ])
    expect(set.hooks.map((h) => `${h.chain}: ${h.rule.join(' ')}`)).toEqual([
      'PREROUTING: -m comment --comment kgit service portals -j KGIT-SERVICES',
      'OUTPUT: -m comment --comment kgit service portals -j KGIT-SERVICES',
      'POSTROUTING: -m comment --comment kgit postrouting rules -j KGIT-POSTROUTING',
    ])
  })

  it('marks with the bit the pod network leaves to the Service rules', () => {
    expect(MASQ_MARK).toBe(`${MASQ_BIT}/${MASQ_BIT}`)
  })

  it.each([
    [0, 3, '0.3333333333'],
    [1, 3, '0.5000000000'],
    [0, 2, '0.5000000000'],
    [0, 7, '0.1428571429'],
    [98, 100, '0.5000000000'],
  ])('probability(%i, %i) = %s (1/(n-i), ten decimals)', (i, n, p) => {
    expect(probability(i, n)).toBe(p)
  })

  it('balances at random over endpoints sorted by address, the last rule a sure match', () => {
    const rules = serviceRules({podCIDR: '10.244.0.0/16', services: [three()]}).rules.filter((r) => r.startsWith(`-A ${SVC} -m comment`))
    expect(rules).toEqual([
      `-A ${SVC} -m comment --comment "shop/web:http -> 10.244.0.5:8080" -m statistic --mode random --probability 0.3333333333 -j ${sep('10.244.0.5')}`,
      `-A ${SVC} -m comment --comment "shop/web:http -> 10.244.1.3:8080" -m statistic --mode random --probability 0.5000000000 -j ${sep('10.244.1.3')}`,
      `-A ${SVC} -m comment --comment "shop/web:http -> 10.244.2.9:8080" -j ${sep('10.244.2.9')}`,
    ])
  })

  it('sends a NodePort through KGIT-NODEPORTS, masqueraded', () => {
    const rules = serviceRules({podCIDR: '10.244.0.0/16', services: [three()]}).rules.filter((r) => r.startsWith('-A KGIT-NODEPORTS'))
    expect(rules).toEqual([
      '-A KGIT-NODEPORTS -p tcp -m comment --comment "shop/web:http node port" -m tcp --dport 30080 -j KGIT-MARK-MASQ',
      `-A KGIT-NODEPORTS -p tcp -m comment --comment "shop/web:http node port" -m tcp --dport 30080 -j ${SVC}`,
    ])
  })

  it('keeps ClientIP affinity with -m recent, checked before the random pick and set on DNAT', () => {
    const rules = serviceRules({podCIDR: '10.244.0.0/16', services: [three({sessionAffinity: 'ClientIP', affinityTimeoutSeconds: 600})]}).rules
    const a = sep('10.244.0.5')
    expect(rules).toContain(`-A ${SVC} -m comment --comment "shop/web:http -> 10.244.0.5:8080" -m recent --name ${a} --mask 255.255.255.255 --rsource --rcheck --seconds 600 --reap -j ${a}`)
    expect(rules).toContain(`-A ${a} -p tcp -m comment --comment shop/web:http -m recent --name ${a} --mask 255.255.255.255 --rsource --set -m tcp -j DNAT --to-destination 10.244.0.5:8080`)
    const svcRules = rules.filter((r) => r.startsWith(`-A ${SVC} -m comment`))
    expect(svcRules.findIndex((r) => r.includes('--rcheck'))).toBe(0)
    expect(svcRules.findLastIndex((r) => r.includes('--rcheck'))).toBeLessThan(svcRules.findIndex((r) => r.includes('statistic')))
  })

  it('masquerades hairpin traffic (an endpoint reaching itself) and traffic to the cluster IP from outside the pod network', () => {
    const rules = serviceRules({podCIDR: '10.244.0.0/16', services: [three()]}).rules
    for (const ip of ['10.244.0.5', '10.244.1.3', '10.244.2.9']) expect(rules).toContain(`-A ${sep(ip)} -s ${ip}/32 -m comment --comment shop/web:http -j KGIT-MARK-MASQ`)
    expect(rules.filter((r) => r.includes('! -s 10.244.0.0/16'))).toHaveLength(1)
  })

  it('writes only counting rules (no target) for a port without ready endpoints: traffic goes on untouched, the allocation stays on the node', () => {
    const set = serviceRules({podCIDR: '10.244.0.0/16', services: [{...three(), ports: [{name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, endpoints: []}]}]})
    expect(set.chains).toEqual(['KGIT-SERVICES', 'KGIT-NODEPORTS', 'KGIT-POSTROUTING', 'KGIT-MARK-MASQ'])
    expect(set.rules.filter((r) => r.includes('shop/web'))).toEqual([
      '-A KGIT-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "shop/web:http cluster IP, no endpoints" -m tcp --dport 80',
      '-A KGIT-NODEPORTS -p tcp -m comment --comment "shop/web:http node port, no endpoints" -m tcp --dport 30080',
    ])
  })

  it('reads the cluster IPs and nodePorts back from the rules, with or without endpoints', () => {
    const idle: ProxyService = {...web, name: 'idle', clusterIP: '10.96.0.12', ports: [{name: '', protocol: 'UDP', port: 53, nodePort: 30053, endpoints: []}]}
    const set = serviceRules({podCIDR: '10.244.0.0/16', services: [three(), idle, {...web, name: 'api', clusterIP: '10.96.0.11'}]})
    expect(allocationsFromRules(set.rules)).toEqual({
      ips: new Map([['shop/api', '10.96.0.11'], ['shop/idle', '10.96.0.12'], ['shop/web', '10.96.0.10']]),
      nodePorts: new Map([['shop/idle', 30053], ['shop/web:http', 30080]]),
    })
  })

  it('is deterministic whatever the input order, and its chain names fit iptables (at most 28 characters)', () => {
    const many = (reverse: boolean): ProxyService[] => {
      const list = Array.from({length: 30}, (_, i) => ({...three(), name: `svc-${i}`, clusterIP: `10.96.1.${i + 2}`, ports: [{name: 'b', protocol: 'UDP' as const, port: 53, endpoints: [{ip: '10.244.0.9', port: 53}, {ip: '10.244.0.3', port: 53}]}, {name: 'a', protocol: 'TCP' as const, port: 80, endpoints: [{ip: '10.244.3.1', port: 80}]}]}))
      return reverse ? list.reverse().map((s) => ({...s, ports: [...s.ports].reverse().map((p) => ({...p, endpoints: [...p.endpoints].reverse()}))})) : list
    }
    const a = restoreText(serviceRules({podCIDR: '10.244.0.0/16', services: many(false)}))
    expect(restoreText(serviceRules({podCIDR: '10.244.0.0/16', services: many(true)}))).toBe(a)
    const set = serviceRules({podCIDR: '10.244.0.0/16', services: many(false)})
    expect(new Set(set.chains).size).toBe(set.chains.length)
    for (const c of set.chains) expect(c.length).toBeLessThanOrEqual(28)
    for (const r of set.rules) expect(set.chains).toContain(r.split(' ')[1])
  })
})

/** Why the real-iptables check cannot run here, or undefined when it can. */
function noIptables(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root'
  for (const tool of ['unshare', 'iptables-restore']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`
  if (spawnSync('unshare', ['-n', 'true']).status !== 0) return 'unshare -n is not permitted here'
  return undefined
}

const why = noIptables()

describe.skipIf(why !== undefined)(`serviceRules in the real iptables-restore${why ? ` (skipped: ${why})` : ''}`, () => {
  it('accepts the restore text, with the hooks, in a throwaway network namespace', () => {
    const services = [three({sessionAffinity: 'ClientIP', affinityTimeoutSeconds: 600}), {...web, name: 'dns', clusterIP: '10.96.0.53', ports: [{name: 'dns', protocol: 'UDP' as const, port: 53, endpoints: [{ip: '10.244.0.7', port: 53}]}, {name: 'sctp', protocol: 'SCTP' as const, port: 9, nodePort: 30009, endpoints: [{ip: '10.244.0.7', port: 9}]}]}, {...web, name: 'idle', clusterIP: '10.96.0.12', ports: [{name: '', protocol: 'UDP' as const, port: 53, nodePort: 30053, endpoints: []}]}]
    const set = serviceRules({podCIDR: '10.244.0.0/16', services})
    const hooks = set.hooks.map((h) => `-I ${h.chain} 1 ${h.rule.map(restoreWord).join(' ')}`)
    const text = restoreText(set).replace(/COMMIT\n$/, [...hooks, 'COMMIT', ''].join('\n'))
    const test = spawnSync('unshare', ['-n', 'iptables-restore', '--test', '--noflush'], {input: text, encoding: 'utf8'})
    expect(test.stderr).toBe('')
    expect(test.status).toBe(0)
    // And for real (the namespace dies with the process): the kernel takes it, iptables-save shows it.
    const r = spawnSync('unshare', ['-n', 'sh', '-c', 'iptables-restore --noflush && iptables-save -t nat'], {input: text, encoding: 'utf8'})
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(`-A KGIT-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j ${SVC}`)
    expect(r.stdout.split('\n').filter((l) => l.startsWith('-A KGIT-')).length).toBe(set.rules.length)
    expect(allocationsFromRules(r.stdout.split('\n'))).toEqual(allocationsFromRules(set.rules))
  })
})

describe.skipIf(why !== undefined)(`restoreDelta in the real iptables-restore${why ? ` (skipped: ${why})` : ''}`, () => {
  it('brings a node from one set to the next: what iptables-save shows equals a fresh apply of the next set', () => {
    const before = serviceRules({podCIDR: '10.244.0.0/16', services: [three({sessionAffinity: 'ClientIP'})]})
    const moved = three({sessionAffinity: 'ClientIP'})
    moved.ports[0]!.endpoints[0] = {ip: '10.244.2.10', port: 8080}
    const after = serviceRules({podCIDR: '10.244.0.0/16', services: [moved]})
    const counts = new Map([...rulesByChain(before)].map(([c, r]) => [c, r.length]))
    const delta = restoreDelta(after, chainDigests(before), counts).text
    const dir = mkdtempSync(join(tmpdir(), 'kgit-rules-'))
    try {
      writeFileSync(join(dir, 'before'), restoreText(before))
      writeFileSync(join(dir, 'delta'), delta)
      writeFileSync(join(dir, 'after'), restoreText(after))
      const save = (files: string[]): string => {
        const r = spawnSync('unshare', ['-n', 'sh', '-c', `${files.map((f) => `iptables-restore --noflush < ${join(dir, f)}`).join(' && ')} && iptables-save -t nat`], {encoding: 'utf8'})
        expect(r.stderr).toBe('')
        return r.stdout.split('\n').filter((l) => l.startsWith('-A KGIT-') || l.startsWith(':KGIT-')).sort().join('\n')
      }
      const fresh = save(['after'])
      expect(fresh).toContain(`--to-destination 10.244.2.10:8080`)
      expect(save(['before', 'delta'])).toBe(fresh)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('restoreDelta', () => {
  const before = serviceRules({podCIDR: '10.244.0.0/16', services: [three(), {...web, name: 'api', clusterIP: '10.96.0.11'}]})
  const onNode = (set: ReturnType<typeof serviceRules>): Map<string, number> => new Map([...rulesByChain(set)].map(([c, r]) => [c, r.length]))

  it('has nothing to do when the node holds what was recorded', () => {
    expect(restoreDelta(before, chainDigests(before), onNode(before))).toEqual({text: '', rewritten: [], deleted: []})
  })

  it('rewrites only the chains an endpoint change touches, and deletes the stale endpoint chain', () => {
    const moved = three()
    moved.ports[0]!.endpoints[0] = {ip: '10.244.2.10', port: 8080}
    const after = serviceRules({podCIDR: '10.244.0.0/16', services: [moved, {...web, name: 'api', clusterIP: '10.96.0.11'}]})
    const d = restoreDelta(after, chainDigests(before), onNode(before))
    expect(d.rewritten).toEqual([sep('10.244.2.10'), SVC])
    expect(d.deleted).toEqual([sep('10.244.2.9')])
    expect(d.text.split('\n').filter((l) => !l.startsWith('-A '))).toEqual(['*nat', `:${sep('10.244.2.10')} - [0:0]`, `:${SVC} - [0:0]`, `:${sep('10.244.2.9')} - [0:0]`, `-X ${sep('10.244.2.9')}`, 'COMMIT', ''])
  })

  it('trusts the record when the node is not read', () => {
    const after = serviceRules({podCIDR: '10.244.0.0/16', services: [three()]})
    expect(restoreDelta(after, chainDigests(before))).toMatchObject({rewritten: ['KGIT-SERVICES'], deleted: [serviceChain('shop/api:http', 'TCP'), endpointChain('shop/api:http', 'TCP', '10.244.0.5:8080')].sort()})
  })

  it('repairs a chain edited by hand (its rule count differs) and recreates one deleted by hand', () => {
    const node = onNode(before)
    node.set('KGIT-SERVICES', 1)
    node.delete('KGIT-MARK-MASQ')
    node.set('KGIT-SVC-OLDOLDOLDOLDOLDO', 0)
    expect(restoreDelta(before, chainDigests(before), node)).toMatchObject({rewritten: ['KGIT-SERVICES', 'KGIT-MARK-MASQ'], deleted: ['KGIT-SVC-OLDOLDOLDOLDOLDO']})
  })

  it('reads kgit chains and rule counts from iptables-save', () => {
    const save = '*nat\n:PREROUTING ACCEPT [0:0]\n:KGIT-SERVICES - [0:0]\n:KGIT-NODEPORTS - [0:0]\n-A PREROUTING -j KGIT-SERVICES\n-A KGIT-SERVICES -d 10.96.0.10/32 -j KGIT-SVC-X\n-A KGIT-SERVICES -j KGIT-NODEPORTS\nCOMMIT\n'
    expect(savedRuleCounts(save)).toEqual(new Map([['KGIT-SERVICES', 2], ['KGIT-NODEPORTS', 0]]))
  })
})
