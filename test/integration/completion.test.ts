/** Shell completion: the generated scripts pass shellcheck and complete commands, flags, devices, targets. */
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {BIN, Netns, describeKernel, sh} from '../helpers/kernel'

describeKernel('shell completion', () => {
  let ns: Netns
  let dir: string
  beforeAll(() => {
    ns = new Netns('compl')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-compl-'))
    for (const shell of ['bash', 'zsh']) fs.writeFileSync(path.join(dir, shell), sh(process.execPath, [BIN, 'completion', shell]).stdout)
    expect(ns.tunadm(['add', 'tun5']).status).toBe(0)
    expect(ns.tunadm(['add', 'tap6']).status).toBe(0)
    ns.ip(['link', 'add', 'br0', 'type', 'bridge'])
  })
  afterAll(() => {
    ns?.remove()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  /** COMPREPLY for the words typed so far (the last one being completed), inside the namespace. */
  function complete(shell: 'bash' | 'zsh', words: string[]): string[] {
    const setup = `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _tunadm`
    const script = shell === 'bash'
      ? `source '${dir}/bash'; ${setup}; printf '%s\\n' "\${COMPREPLY[@]}"`
      : `source '${dir}/zsh'; setopt ksharrays; ${setup}; print -l -- "\${COMPREPLY[@]}"`
    const r = spawnSync('ip', ['netns', 'exec', ns.name, shell, ...(shell === 'zsh' ? ['-f'] : []), '-c', script], {encoding: 'utf8'})
    expect(r.stderr).toBe('')
    return r.stdout.split('\n').filter(Boolean).sort()
  }

  test('the bash script passes shellcheck; the zsh one parses', () => {
    expect(sh('shellcheck', ['--shell=bash', '--severity=style', path.join(dir, 'bash')]).stdout).toBe('')
    const hasZsh = spawnSync('sh', ['-c', 'command -v zsh']).status === 0
    if (!hasZsh && process.env.CI) throw new Error('zsh is not installed; .ci/run installs it')
    if (hasZsh) expect(sh('zsh', ['-n', path.join(dir, 'zsh')]).status).toBe(0)
  })

  test('bash: commands, flags, TUN/TAP device names (not the bridge), init targets', () => {
    expect(complete('bash', ['tunadm', 'ap'])).toEqual(['apply'])
    expect(complete('bash', ['tunadm', 'del', ''])).toEqual(['tap6', 'tun5'])
    expect(complete('bash', ['tunadm', 'show', 't'])).toEqual(['tap6', 'tun5'])
    expect(complete('bash', ['tunadm', 'set', 'tun5', '--mt'])).toEqual(['--mtu'])
    expect(complete('bash', ['tunadm', 'init', '--target', 's'])).toEqual(['systemd', 'sysv'])
    expect(complete('bash', ['tunadm', 'add', ''])).toEqual([])
  })

  test('bash: the value of a flag is completed as what it is: files only for files, never device names', () => {
    // doctor -c is a check, apply -c a file.
    expect(complete('bash', ['tunadm', 'doctor', '-c', 'device.u'])).toEqual(['device.up'])
    expect(complete('bash', ['tunadm', 'doctor', '--check', 'sys'])).toEqual(expect.arrayContaining(['system', 'system.tun-node']))
    expect(complete('bash', ['tunadm', 'apply', '-c', '/etc/host'])).toEqual(expect.arrayContaining(['/etc/hostname']))
    expect(complete('bash', ['tunadm', 'doctor', '-c', '/etc/host'])).toEqual([])
    // A flag that takes a value nothing can guess: no device names, no files.
    for (const words of [['set', 'tun5', '--user', ''], ['doctor', '--user', ''], ['del', '--netns', ''], ['show', '-n', ''], ['set', 'tun5', '--mtu', '']]) {
      expect([words, complete('bash', ['tunadm', ...words])]).toEqual([words, []])
    }
    expect(complete('bash', ['tunadm', 'set', 'tun5', '--carrier', ''])).toEqual(['off', 'on'])
    expect(complete('bash', ['tunadm', 'list', '-'])).toEqual(expect.arrayContaining(['-j', '--json', '-n', '--netns']))
  })

  test('zsh (bashcompinit): the same candidates; zsh itself filters them by what is typed', () => {
    if (spawnSync('sh', ['-c', 'command -v zsh']).status !== 0) {
      if (process.env.CI) throw new Error('zsh is not installed; .ci/run installs it')
      return
    }
    expect(complete('zsh', ['tunadm', ''])).toEqual(expect.arrayContaining(['add', 'apply', 'del', 'init']))
    expect(complete('zsh', ['tunadm', 'del', ''])).toEqual(['tap6', 'tun5'])
    expect(complete('zsh', ['tunadm', 'init', '--target', ''])).toEqual(['ifupdown', 'networkd', 'nm', 'openrc', 'systemd', 'sysv'])
  })
})
