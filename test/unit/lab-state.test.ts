import {describe, expect, it} from 'vitest'
import {checkLabName, labNodeCommand, newLabState, parseLabState} from '../../src/engine/exec/lab/lab-state.js'

const state = newLabState({
  name: 't1',
  stateDir: '/var/lib/kgit/labs/t1',
  repoDir: '/tmp/repo',
  subnet: '198.51.100.8/29',
  prefix: 29,
  gateway: '198.51.100.9',
  addresses: ['198.51.100.10', '198.51.100.11'],
})

describe('newLabState', () => {
  it('names every resource after the lab and derives pod subnets from the last octet', () => {
    expect(state.bridge).toBe('kb-t1')
    expect(state.keyFile).toBe('/var/lib/kgit/labs/t1/id_ed25519')
    expect(state.phase).toBe('creating')
    expect(state.nodes[1]).toEqual({
      name: 'n2',
      netns: 'kgit-t1-n2',
      address: '198.51.100.11',
      dir: '/var/lib/kgit/labs/t1/nodes/n2',
      podSubnet: '198.18.11.0/24',
    })
  })
})

describe('labNodeCommand', () => {
  it('enters the node netns with its podman environment', () => {
    expect(labNodeCommand(state, 'n1', ['podman', 'ps', '-a'])).toEqual({
      file: 'nsenter',
      args: ['--net=/run/netns/kgit-t1-n1', '--', 'podman', 'ps', '-a'],
      env: {
        CONTAINERS_CONF: '/var/lib/kgit/labs/t1/nodes/n1/containers.conf',
        CONTAINERS_STORAGE_CONF: '/var/lib/kgit/labs/t1/nodes/n1/storage.conf',
        TMPDIR: '/var/lib/kgit/labs/t1/nodes/n1/tmp',
        HOME: '/var/lib/kgit/labs/t1/nodes/n1/home',
      },
    })
  })
  it('names the nodes it has when asked for another', () => {
    expect(() => labNodeCommand(state, 'n9', ['true'])).toThrow('lab t1 has no node n9 (nodes: n1, n2)')
  })
})

describe('parseLabState', () => {
  it('round-trips what up writes', () => {
    expect(parseLabState(JSON.stringify(state), 'state.json')).toEqual(state)
  })
  it('names the file and the bad fields', () => {
    const broken = {...state, gateway: 7, nodes: [{name: 'n1'}]}
    expect(() => parseLabState(JSON.stringify(broken), '/x/state.json')).toThrow('/x/state.json: missing or invalid gateway, nodes')
    expect(() => parseLabState('{', '/x/state.json')).toThrow('/x/state.json: not valid JSON')
  })
})

describe('checkLabName', () => {
  it.each(['lab', 'e2e', 'abcdefgh'])('accepts %s', (n) => expect(() => checkLabName(n)).not.toThrow())
  it.each(['', 'abcdefghi', 'Lab', 'a-b', '../x'])('refuses %j', (n) => expect(() => checkLabName(n)).toThrow('invalid lab name'))
})
