import {describe, expect, it} from 'vitest'
import {isStaticElf, missingMessage, PREREQS} from '../../src/engine/exec/lab/prereqs.js'
import {appletNames} from '../../src/engine/exec/lab/lab-image.js'

/** A minimal 64-bit little-endian ELF header followed by program headers of the given types. */
function elf64(types: number[]): Buffer {
  const b = Buffer.alloc(64 + 56 * types.length)
  b.writeUInt32BE(0x7f454c46, 0)
  b[4] = 2
  b[5] = 1
  b.writeBigUInt64LE(64n, 0x20)
  b.writeUInt16LE(56, 0x36)
  b.writeUInt16LE(types.length, 0x38)
  types.forEach((t, i) => b.writeUInt32LE(t, 64 + 56 * i))
  return b
}

describe('missingMessage', () => {
  it('is one line with the Debian packages to install', () => {
    const pick = (...names: string[]) => PREREQS.filter((p) => names.includes(p.name))
    expect(missingMessage(pick('sshd', 'podman'))).toBe('missing: sshd, podman — install with: apt-get install -y openssh-server podman')
    expect(missingMessage([...pick('ip'), {name: 'busybox', pkg: 'busybox-static'}])).toBe(
      'missing: ip, busybox — install with: apt-get install -y iproute2 busybox-static',
    )
  })
})

describe('isStaticElf', () => {
  it('is true without PT_INTERP, false with it', () => {
    expect(isStaticElf(elf64([1, 1, 4]))).toBe(true)
    expect(isStaticElf(elf64([6, 3, 1]))).toBe(false)
  })
  it('is false for something that is not ELF', () => {
    expect(isStaticElf(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(100)))).toBe(false)
  })
})

describe('appletNames', () => {
  it('keeps plain names only', () => {
    expect(appletNames('[\n[[\nash\nbusybox\nsh\n../etc\n\n')).toEqual(['[', '[[', 'ash', 'sh'])
  })
})
