import {describe, expect, it} from 'vitest'
import {chooseAddressing, parseCidr, parseRoutes, slicePrefix, type HostRoute} from '../../src/engine/exec/lab/lab-subnet.js'

const HOST: HostRoute[] = [{dst: '192.0.2.0/24', dev: 'eth0'}]
const within = '198.51.100.0/24'

describe('slicePrefix', () => {
  it.each([
    [1, 29],
    [3, 29],
    [5, 29],
    [6, 28],
    [13, 28],
    [14, 27],
    [253, 24],
  ])('%i nodes -> /%i', (nodes, prefix) => {
    expect(slicePrefix(nodes)).toBe(prefix)
  })
})

describe('parseCidr', () => {
  it('rejects host bits with a suggestion', () => {
    expect(() => parseCidr('198.51.100.5/24')).toThrow('198.51.100.5/24 has host bits set; did you mean 198.51.100.0/24?')
  })
  it('rejects garbage', () => {
    expect(() => parseCidr('198.51.100.0/33')).toThrow('not an IPv4 CIDR: 198.51.100.0/33')
    expect(() => parseCidr('198.51.300.0/24')).toThrow('not an IPv4 address: 198.51.300.0')
  })
})

describe('parseRoutes', () => {
  it('drops the default route and keeps device and table', () => {
    const json = JSON.stringify([
      {dst: 'default', gateway: '192.0.2.1', dev: 'eth0'},
      {dst: '192.0.2.0/24', dev: 'eth0', protocol: 'kernel'},
      {type: 'local', dst: '198.51.100.1', dev: 'kb-t1', table: 'local'},
    ])
    expect(parseRoutes(json)).toEqual([
      {dst: '192.0.2.0/24', dev: 'eth0', table: undefined},
      {dst: '198.51.100.1', dev: 'kb-t1', table: 'local'},
    ])
  })
  it('reads empty output as no routes', () => {
    expect(parseRoutes('')).toEqual([])
  })
})

describe('chooseAddressing', () => {
  it('takes the first /29 for 3 nodes: gateway .1, nodes .2-.4', () => {
    expect(chooseAddressing({within, nodes: 3, routes: HOST, taken: []})).toEqual({
      subnet: '198.51.100.0/29',
      prefix: 29,
      gateway: '198.51.100.1',
      addresses: ['198.51.100.2', '198.51.100.3', '198.51.100.4'],
    })
  })

  it('skips slices held by other labs, by route or by state file', () => {
    const routes = [...HOST, {dst: '198.51.100.0/29', dev: 'kb-t1'}, {dst: '198.51.100.1', dev: 'kb-t1', table: 'local'}]
    expect(chooseAddressing({within, nodes: 3, routes, taken: ['198.51.100.8/29']}).subnet).toBe('198.51.100.16/29')
  })

  it('aligns larger slices', () => {
    const routes = [{dst: '198.51.100.0/29', dev: 'kb-t1'}]
    const a = chooseAddressing({within, nodes: 10, routes, taken: []})
    expect(a.subnet).toBe('198.51.100.16/28')
    expect(a.addresses.at(-1)).toBe('198.51.100.27')
  })

  it('uses what a partly overlapping foreign route leaves free', () => {
    const routes = [{dst: '198.51.100.0/25', dev: 'wg0'}]
    expect(chooseAddressing({within, nodes: 3, routes, taken: []}).subnet).toBe('198.51.100.128/29')
  })

  it('refuses a range inside a route of a non-kgit device, naming it', () => {
    expect(() => chooseAddressing({within: '192.0.2.0/25', nodes: 3, routes: HOST, taken: []})).toThrow(
      '--subnet 192.0.2.0/25 is inside the host route 192.0.2.0/24 on device eth0; pick another range with --subnet',
    )
  })

  it('says what is taken when nothing is left', () => {
    const routes = [{dst: '198.51.100.0/29', dev: 'kb-a'}]
    expect(() => chooseAddressing({within: '198.51.100.0/28', nodes: 3, routes, taken: ['198.51.100.8/29']})).toThrow(
      'no free /29 left in 198.51.100.0/28 (taken: 198.51.100.0/29 dev kb-a, 198.51.100.8/29 (lab state)); pick another range with --subnet',
    )
  })

  it('refuses a range too small for the nodes', () => {
    expect(() => chooseAddressing({within: '198.51.100.0/29', nodes: 6, routes: [], taken: []})).toThrow('6 nodes need a /28 but --subnet 198.51.100.0/29 is a /29')
  })
})
