import {describe, expect, it} from 'vitest'
import {mountsUnder, parseMountPoints} from '../../src/engine/exec/lab/lab-procs.js'

describe('mounts', () => {
  const info = [
    '22 1 0:21 / / rw - ext4 /dev/vda rw',
    '40 22 0:40 / /var/lib/kgit/labs/t1/nodes/n1/storage/overlay rw - overlay overlay rw',
    '41 40 0:41 / /var/lib/kgit/labs/t1/nodes/n1/storage/overlay/abc/merged rw - overlay overlay rw',
    '42 22 0:42 / /var/lib/kgit/labs/t10/x rw - tmpfs tmpfs rw',
    '43 22 0:43 / /var/lib/kgit/labs/t1/with\\040space rw - tmpfs tmpfs rw',
  ].join('\n')

  it('undoes octal escapes', () => {
    expect(parseMountPoints(info)).toContain('/var/lib/kgit/labs/t1/with space')
  })
  it('lists what is under the dir, deepest first, not a sibling with a longer name', () => {
    expect(mountsUnder(parseMountPoints(info), '/var/lib/kgit/labs/t1')).toEqual([
      '/var/lib/kgit/labs/t1/nodes/n1/storage/overlay/abc/merged',
      '/var/lib/kgit/labs/t1/nodes/n1/storage/overlay',
      '/var/lib/kgit/labs/t1/with space',
    ])
  })
})
