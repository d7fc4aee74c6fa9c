import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {removeNode, setNodeSchedule} from '../../src/engine/manifest/set-node.js'
import {parseCluster} from '../../src/engine/manifest/cluster.js'

const KGIT = readFileSync(new URL('../fixtures/cordon/kgit.yaml', import.meta.url), 'utf8')
const cordon = {unschedulable: true, drain: false}
const drain = {unschedulable: true, drain: true}
const open = {unschedulable: false, drain: false}

function lines(text: string): string[] {
  return text.split('\n')
}

function node(text: string, name: string) {
  const {cluster, errors} = parseCluster('kgit.yaml', text)
  if (!cluster) throw new Error(errors.map((e) => e.message).join('; '))
  return cluster.nodes.find((n) => n.name === name)!
}

describe('setNodeSchedule (kgit cordon, uncordon, drain)', () => {
  it('cordon adds one line after the node\'s last field, comments and other nodes untouched', () => {
    const out = setNodeSchedule('kgit.yaml', KGIT, 'n1', cordon)
    const want = lines(KGIT)
    want.splice(15, 0, '      unschedulable: true')
    expect(lines(out)).toEqual(want)
    expect(node(out, 'n1')).toMatchObject({unschedulable: true, drain: false, capacity: {cpu: 4000}})
  })

  it('an existing field gets its value replaced, its comment kept', () => {
    const out = setNodeSchedule('kgit.yaml', KGIT, 'n2', cordon)
    expect(out).toBe(KGIT.replace('unschedulable: false  # keep it open', 'unschedulable: true  # keep it open'))
  })

  it('drain writes both fields; a flow map gets them inside its braces', () => {
    const out = setNodeSchedule('kgit.yaml', KGIT, 'n3', drain)
    expect(out).toBe(KGIT.replace('- {name: n3, address: 192.0.2.3}', '- {name: n3, address: 192.0.2.3, unschedulable: true, drain: true}'))
    expect(setNodeSchedule('kgit.yaml', out, 'n3', open)).toBe(KGIT)
    const spaced = KGIT.replace('- {name: n3, address: 192.0.2.3}', '- { name: n3, address: 192.0.2.3 }')
    expect(setNodeSchedule('kgit.yaml', spaced, 'n3', cordon)).toContain('- { name: n3, address: 192.0.2.3, unschedulable: true }')
  })

  it('uncordon removes the lines, so cordon then uncordon gives the file back', () => {
    expect(setNodeSchedule('kgit.yaml', KGIT, 'n4', open)).toBe(KGIT.replace('      unschedulable: true\n      drain: true\n', ''))
    expect(setNodeSchedule('kgit.yaml', setNodeSchedule('kgit.yaml', KGIT, 'n1', drain), 'n1', open)).toBe(KGIT)
  })

  it('a field sharing its line with another is set to false rather than removed', () => {
    const text = KGIT.replace('    - name: n4\n      address: 192.0.2.4\n      unschedulable: true\n      drain: true\n', '    - unschedulable: true\n      name: n4\n      address: 192.0.2.4\n')
    const out = setNodeSchedule('kgit.yaml', text, 'n4', open)
    expect(out).toContain('    - unschedulable: false\n      name: n4\n')
  })

  it('a node last in a file without a final newline, after a block list', () => {
    const text = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: lab}\nspec:\n  nodes:\n  - name: n1\n    address: 192.0.2.1\n    taints:\n    - {key: gpu, effect: NoSchedule}'
    const out = setNodeSchedule('kgit.yaml', text, 'n1', drain)
    expect(out).toBe(`${text}\n    unschedulable: true\n    drain: true\n`)
    expect(node(out, 'n1')).toMatchObject({unschedulable: true, drain: true, taints: [{key: 'gpu', effect: 'NoSchedule'}]})
  })

  it('nothing to do gives the same text', () => {
    expect(setNodeSchedule('kgit.yaml', KGIT, 'n4', drain)).toBe(KGIT)
    expect(setNodeSchedule('kgit.yaml', KGIT, 'n3', open)).toBe(KGIT)
  })

  it('names the node it cannot find', () => {
    expect(() => setNodeSchedule('kgit.yaml', KGIT, 'n9', cordon)).toThrow('kgit.yaml: no node n9 under spec.nodes')
  })
})

describe('removeNode (kgit node forget)', () => {
  const head = 'apiVersion: kgit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: t}\nspec:\n  nodes:\n'
  it('removes a block entry and nothing else, comments and other nodes kept byte for byte', () => {
    const out = removeNode('kgit.yaml', KGIT, 'n2')
    expect(parseCluster('kgit.yaml', out).cluster!.nodes.map((n) => n.name)).toEqual(parseCluster('kgit.yaml', KGIT).cluster!.nodes.map((n) => n.name).filter((n) => n !== 'n2'))
    const removed = lines(KGIT).filter((l) => !lines(out).includes(l))
    expect(removed.length).toBeGreaterThan(0)
    expect(removed.every((l) => !l.includes('n1') && !l.includes('n3'))).toBe(true)
  })

  it('handles flow entries, a `-` on its own line, and flow lists', () => {
    expect(removeNode('kgit.yaml', head + '    - {name: n1, address: 10.0.0.1}\n    - {name: n2, address: 10.0.0.2} # second\n    - {name: n3, address: 10.0.0.3}\n', 'n2')).toBe(head + '    - {name: n1, address: 10.0.0.1}\n    - {name: n3, address: 10.0.0.3}\n')
    expect(removeNode('kgit.yaml', head + '    -\n      name: n1\n      address: 10.0.0.1\n    -\n      name: n2\n      address: 10.0.0.2\n', 'n1')).toBe(head + '    -\n      name: n2\n      address: 10.0.0.2\n')
    expect(removeNode('kgit.yaml', head.replace('  nodes:\n', '  nodes: [{name: a, address: 10.0.0.1}, {name: b, address: 10.0.0.2}, {name: c, address: 10.0.0.3}]\n'), 'a')).toContain('nodes: [{name: b, address: 10.0.0.2}, {name: c, address: 10.0.0.3}]')
    expect(removeNode('kgit.yaml', head.replace('  nodes:\n', '  nodes: [{name: a, address: 10.0.0.1}, {name: b, address: 10.0.0.2}, {name: c, address: 10.0.0.3}]\n'), 'c')).toContain('nodes: [{name: a, address: 10.0.0.1}, {name: b, address: 10.0.0.2}]\n')
  })

  it('refuses an unknown node and the last node', () => {
    expect(() => removeNode('kgit.yaml', KGIT, 'n9')).toThrow('kgit.yaml: no node n9 under spec.nodes')
    expect(() => removeNode('kgit.yaml', head + '    - {name: n1, address: 10.0.0.1}\n', 'n1')).toThrow('n1 is the only node')
  })
})
