import {describe, expect, it} from 'vitest'
import {clusterYaml, containersConf, knownHostsLine, sshdConfig, storageConf} from '../../src/engine/exec/lab/lab-config.js'
import {newLabState} from '../../src/engine/exec/lab/lab-state.js'

const D = '/var/lib/kgit/labs/t1/nodes/n1'

describe('podman config', () => {
  it('keeps everything of a node under its dir', () => {
    const conf = containersConf(D, '198.18.2.0/24')
    expect(conf).toContain(`tmp_dir = "${D}/run/libpod"`)
    expect(conf).toContain(`network_config_dir = "${D}/net"`)
    expect(conf).toContain('default_subnet = "198.18.2.0/24"')
    expect(conf).toContain('runtime = "runc"\ncgroup_manager = "cgroupfs"')
    expect(conf).toContain('default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]')
    expect(storageConf(D)).toBe(`[storage]\ndriver = "overlay"\ngraphroot = "${D}/storage"\nrunroot = "${D}/run/storage"\n`)
  })
})

describe('sshdConfig', () => {
  const text = sshdConfig({node: 'n1', address: '198.51.100.2', nodeDir: D, authorizedKeys: '/var/lib/kgit/labs/t1/authorized_keys'})
  it.each([
    'ListenAddress 198.51.100.2:22',
    `HostKey ${D}/ssh_host_ed25519_key`,
    `PidFile ${D}/sshd.pid`,
    'AuthorizedKeysFile /var/lib/kgit/labs/t1/authorized_keys',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'MaxSessions 10',
    `SetEnv CONTAINERS_CONF=${D}/containers.conf CONTAINERS_STORAGE_CONF=${D}/storage.conf TMPDIR=${D}/tmp HOME=${D}/home`,
  ])('has %s', (line) => {
    expect(text.split('\n')).toContain(line)
  })
})

describe('repository files', () => {
  it('known_hosts lines drop the key comment', () => {
    expect(knownHostsLine('198.51.100.2', 'ssh-ed25519 AAAAC3Nza root@n1.t1\n')).toBe('198.51.100.2 ssh-ed25519 AAAAC3Nza')
    expect(() => knownHostsLine('198.51.100.2', '')).toThrow('not an OpenSSH public key')
  })

  it('kgit.yaml lists the nodes and the lab key', () => {
    const state = newLabState({
      name: 'e2e',
      stateDir: '/var/lib/kgit/labs/e2e',
      repoDir: '/tmp/r',
      subnet: '198.51.100.0/29',
      prefix: 29,
      gateway: '198.51.100.1',
      addresses: ['198.51.100.2', '198.51.100.3'],
    })
    const yaml = clusterYaml(state)
    expect(yaml).toContain('identityFile: /var/lib/kgit/labs/e2e/id_ed25519\n    knownHostsFile: known_hosts')
    expect(yaml).toContain('metadata:\n  name: e2e\n')
    expect(yaml.endsWith('  nodes:\n    - name: n1\n      address: 198.51.100.2\n      dataDir: /var/lib/kgit/labs/e2e/nodes/n1/data\n    - name: n2\n      address: 198.51.100.3\n      dataDir: /var/lib/kgit/labs/e2e/nodes/n2/data\n')).toBe(true)
  })
})
