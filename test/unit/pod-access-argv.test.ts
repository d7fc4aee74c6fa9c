import {describe, expect, it} from 'vitest'
import {containerExec, containerLogs} from '../../src/engine/argv/podman-access.js'
import {shellCommand} from '../../src/engine/argv/shell.js'

describe('podman logs argv', () => {
  it.each([
    [{}, ['podman', 'logs', 'shop_web-1_app']],
    [{follow: true}, ['podman', 'logs', '--follow', 'shop_web-1_app']],
    [{tail: 0}, ['podman', 'logs', '--tail', '0', 'shop_web-1_app']],
    [{tail: -1}, ['podman', 'logs', 'shop_web-1_app']],
    [{sinceSeconds: 300, timestamps: true}, ['podman', 'logs', '--since', '300s', '--timestamps', 'shop_web-1_app']],
    [{follow: true, tail: 10, sinceSeconds: 5, timestamps: true}, ['podman', 'logs', '--follow', '--tail', '10', '--since', '5s', '--timestamps', 'shop_web-1_app']],
  ])('%j', (opts, argv) => {
    expect(containerLogs('shop_web-1_app', opts)).toEqual(argv)
  })
})

describe('podman exec argv', () => {
  it('puts the flags before the container and the command words after it, untouched', () => {
    expect(containerExec('default_p_c', ['sh', '-c', 'exit 3'])).toEqual(['podman', 'exec', 'default_p_c', 'sh', '-c', 'exit 3'])
    expect(containerExec('default_p_c', ['cat'], {stdin: true})).toEqual(['podman', 'exec', '--interactive', 'default_p_c', 'cat'])
    expect(containerExec('default_p_c', ['sh'], {stdin: true, tty: true})).toEqual(['podman', 'exec', '--interactive', '--tty', 'default_p_c', 'sh'])
  })

  it('keeps hostile words one word each through the shell quoting', () => {
    const hostile = ['$(id)', '`id`', "it's", 'a b', 'x\ny', '--tty']
    expect(shellCommand(containerExec('default_p_c', ['printf', '%s|', ...hostile]))).toBe(
      "podman exec default_p_c printf '%s|' '$(id)' '`id`' 'it'\\''s' 'a b' 'x\ny' --tty",
    )
  })

  it('refuses an empty command', () => {
    expect(() => containerExec('default_p_c', [])).toThrow('exec needs a command')
  })
})
