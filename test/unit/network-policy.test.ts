import {describe, expect, it} from 'vitest'
import {loadDesired, type SourceFile} from '../../src/engine/manifest/load.js'
import {namespaceLabels} from '../../src/engine/manifest/network-policy.js'
import * as schema from '../../src/engine/manifest/schema.js'
import type {NetworkPolicyObject} from '../../src/engine/types.js'

const CLUSTER = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: lab}\nspec:\n  nodes:\n    - {name: n1, address: 198.51.100.2}\n'
const NS = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: a}}\n---\n'

const file = (text: string): SourceFile => ({path: 'manifests/np.yaml', content: new TextEncoder().encode(NS + text)})
const load = (text: string) => loadDesired({revision: 'abc', clusterFile: {path: 'kgit.yaml', content: new TextEncoder().encode(CLUSTER)}, files: [file(text)], schema})
const policy = (spec: string, apiVersion = 'networking.k8s.io/v1'): string => `apiVersion: ${apiVersion}\nkind: NetworkPolicy\nmetadata: {name: np, namespace: shop}\nspec:\n${spec}`
const read = (spec: string, apiVersion?: string): NetworkPolicyObject => {
  const res = load(policy(spec, apiVersion))
  expect(res.errors.map((e) => e.message)).toEqual([])
  return res.desired!.objects.find((o): o is NetworkPolicyObject => o.kind === 'NetworkPolicy')!
}
/** Errors of a policy; its spec starts on line 8 of the file (the Namespace takes 4). */
const errors = (spec: string): string[] => load(policy(spec)).errors.map((e) => e.message)

describe('NetworkPolicy manifests', () => {
  it('reads a default-deny policy: {} selects every pod of the namespace, Ingress by default', () => {
    expect(read('  podSelector: {}\n').spec).toEqual({podSelector: {}, policyTypes: ['Ingress'], ingress: [], egress: []})
  })

  it('reads the old extensions/v1beta1 form as networking.k8s.io/v1', () => {
    const np = read('  podSelector: {matchLabels: {app: web}}\n', 'extensions/v1beta1')
    expect(np.apiVersion).toBe('networking.k8s.io/v1')
    expect(np.spec.podSelector).toEqual({matchLabels: {app: 'web'}})
  })

  const defaults: [string, string, string[]][] = [
    ['no egress rules', '  podSelector: {}\n  ingress: [{}]\n', ['Ingress']],
    ['egress rules', '  podSelector: {}\n  egress: [{}]\n', ['Ingress', 'Egress']],
    ['an empty egress list (Kubernetes: no rules)', '  podSelector: {}\n  egress: []\n', ['Ingress']],
    ['explicit Egress only', '  podSelector: {}\n  policyTypes: [Egress]\n', ['Egress']],
    ['explicit types in any order', '  podSelector: {}\n  policyTypes: [Egress, Ingress]\n', ['Ingress', 'Egress']],
  ]
  it.each(defaults)('defaults policyTypes as Kubernetes does: %s', (_, spec, types) => {
    expect(read(spec).spec.policyTypes).toEqual(types)
  })

  it('reads peers, ports and selectors', () => {
    const np = read(`  podSelector: {matchExpressions: [{key: app, operator: In, values: [web, api]}]}
  ingress:
    - from:
        - podSelector: {matchLabels: {role: client}}
          namespaceSelector: {matchLabels: {team: a}}
        - ipBlock: {cidr: 10.1.0.0/16, except: [10.1.2.0/24]}
      ports:
        - {port: 80}
        - {protocol: UDP, port: dns}
        - {port: 8000, endPort: 8100}
        - {protocol: SCTP}
  egress:
    - to: [{namespaceSelector: {}}]
`)
    expect(np.spec.podSelector).toEqual({matchExpressions: [{key: 'app', operator: 'In', values: ['web', 'api']}]})
    expect(np.spec.ingress).toEqual([
      {
        from: [{podSelector: {matchLabels: {role: 'client'}}, namespaceSelector: {matchLabels: {team: 'a'}}}, {ipBlock: {cidr: '10.1.0.0/16', except: ['10.1.2.0/24']}}],
        ports: [{protocol: 'TCP', port: 80}, {protocol: 'UDP', port: 'dns'}, {protocol: 'TCP', port: 8000, endPort: 8100}, {protocol: 'SCTP'}],
      },
    ])
    expect(np.spec.egress).toEqual([{to: [{namespaceSelector: {}}], ports: []}])
  })

  it('clears host bits of an ipBlock CIDR with a warning, as the API server accepts them', () => {
    const res = load(policy('  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.1.2.3/16}}]}]\n'))
    expect(res.errors).toEqual([])
    expect(res.warnings).toContain('manifests/np.yaml:10 spec.ingress[0].from[0].ipBlock.cidr: "10.1.2.3/16" has host bits set: read as 10.1.0.0/16')
  })

  const bad: [string, string, string[]][] = [
    ['a missing podSelector', '  policyTypes: [Ingress]\n', ['manifests/np.yaml:8 spec.podSelector: required field is missing']],
    [
      'an IPv6 CIDR',
      '  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock: {cidr: 10.0.0.0/8}\n        - ipBlock: {cidr: "fd00::/8"}\n',
      ['manifests/np.yaml:13 spec.ingress[0].from[1].ipBlock.cidr: must be an IPv4 CIDR: kgit\'s pod network is IPv4 only, got IPv6 "fd00::/8"'],
    ],
    ['a CIDR that is not one', '  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/33}}]}]\n', ['manifests/np.yaml:10 spec.egress[0].to[0].ipBlock.cidr: must be an IPv4 CIDR such as 10.0.0.0/8, got "10.0.0.0/33"']],
    [
      'an except outside the cidr, or equal to it',
      '  podSelector: {}\n  ingress:\n    - from:\n        - ipBlock:\n            cidr: 10.1.0.0/16\n            except: [10.2.0.0/24, 10.1.0.0/16]\n',
      [
        'manifests/np.yaml:14 spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.2.0.0/24": must be a strict subset of `cidr` (10.1.0.0/16)',
        'manifests/np.yaml:14 spec.ingress[0].from[0].ipBlock.except[1]: Invalid value: "10.1.0.0/16": must be a strict subset of `cidr` (10.1.0.0/16)',
      ],
    ],
    [
      'ipBlock with a selector',
      '  podSelector: {}\n  ingress:\n    - from:\n        - podSelector: {}\n          ipBlock: {cidr: 10.0.0.0/8}\n',
      ['manifests/np.yaml:13 spec.ingress[0].from[0].ipBlock: Forbidden: may not specify both ipBlock and another peer'],
    ],
    ['an empty peer', '  podSelector: {}\n  ingress:\n    - from:\n        - {}\n', ['manifests/np.yaml:12 spec.ingress[0].from[0]: Required value: must specify a peer (podSelector, namespaceSelector or ipBlock)']],
    [
      'endPort below port, with a named port, and with no port',
      '  podSelector: {}\n  ingress:\n    - ports:\n        - {port: 90, endPort: 80}\n        - {port: http, endPort: 80}\n        - {endPort: 80}\n',
      [
        'manifests/np.yaml:12 spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port` (90)',
        'manifests/np.yaml:13 spec.ingress[0].ports[1].endPort: Invalid value: 80: may not be specified when `port` is non-numeric',
        'manifests/np.yaml:14 spec.ingress[0].ports[2].endPort: Invalid value: 80: may not be specified when `port` is not specified',
      ],
    ],
    [
      'bad port numbers and names',
      '  podSelector: {}\n  ingress:\n    - ports:\n        - {port: 0}\n        - {port: "8080"}\n        - {port: my--port}\n',
      [
        'manifests/np.yaml:12 spec.ingress[0].ports[0].port: must be at least 1, got 0',
        'manifests/np.yaml:13 spec.ingress[0].ports[1].port: Invalid value: "8080": a port name must contain at least one letter (a-z)',
        'manifests/np.yaml:14 spec.ingress[0].ports[2].port: Invalid value: "my--port": a port name must not contain consecutive hyphens',
      ],
    ],
    ['a duplicate policy type', '  podSelector: {}\n  policyTypes: [Ingress, Ingress]\n', ['manifests/np.yaml:10 spec.policyTypes[1]: Duplicate value: "Ingress"']],
    [
      'a bad selector',
      '  podSelector: {matchExpressions: [{key: app, operator: In}]}\n',
      ["manifests/np.yaml:9 spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"],
    ],
  ]
  it.each(bad)('refuses %s, naming file, line and field', (_, spec, messages) => {
    expect(errors(spec)).toEqual(messages)
  })

  it('lists namespace labels with kubernetes.io/metadata.name, built-in namespaces included', () => {
    const objects = load(policy('  podSelector: {}\n')).desired!.objects
    expect(namespaceLabels(objects)).toEqual({
      default: {'kubernetes.io/metadata.name': 'default'},
      'kube-system': {'kubernetes.io/metadata.name': 'kube-system'},
      'kube-public': {'kubernetes.io/metadata.name': 'kube-public'},
      shop: {team: 'a', 'kubernetes.io/metadata.name': 'shop'},
    })
  })
})
