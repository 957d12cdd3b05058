/** The command line as people type it: versions, help, mistakes (the built bundle; no root needed). */
import {BIN, sh} from '../helpers/kernel'

const tunadm = (...args: string[]) => sh(process.execPath, [BIN, ...args], {env: {...process.env, NO_COLOR: '1'}, input: ''})

describe('the command line', () => {
  test('-v, --version and version all print the version', () => {
    const outs = ['-v', '--version', 'version'].map((a) => tunadm(a))
    for (const r of outs) expect([r.status, r.stdout]).toEqual([0, expect.stringMatching(/^tunadm\/\d+\.\d+\.\d+ linux-\S+ node-v\d+/)])
    expect(new Set(outs.map((r) => r.stdout)).size).toBe(1)
  })

  test('help CMD is CMD --help, aliases included', () => {
    expect(tunadm('help', 'add').stdout).toBe(tunadm('add', '--help').stdout)
    expect(tunadm('help', 'rm').stdout).toBe(tunadm('rm', '--help').stdout)
    expect(tunadm('help', 'add').stdout).toContain('Create a persistent TUN or TAP device.')
  })

  test('a mistyped command names the nearest one, exit 2', () => {
    const r = tunadm('ad', 'x')
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('there is no command "ad"; did you mean "add"?')
    expect(tunadm('lst').stderr).toContain('did you mean "list"?')
    expect(tunadm('frobnicate').stderr).not.toContain('did you mean')
  })

  test('under --json even an unknown command answers in JSON', () => {
    const r = tunadm('bogus', '--json')
    expect(r.status).toBe(2)
    expect(JSON.parse(r.stdout)).toMatchObject({status: 'error', error: {code: 'UNKNOWN_COMMAND', exitCode: 2}, warnings: []})
    expect(r.stderr).toBe('')
  })

  test('--json: one envelope on stdout, warnings in it, nothing on stderr', () => {
    const r = tunadm('list', '--json')
    expect(JSON.parse(r.stdout)).toEqual({status: 'ok', result: expect.any(Array), warnings: []})
  })

  test('help: paragraphs wrapped once, lists kept, each default said once, aliases not listed as commands', () => {
    const init = tunadm('init', '--help').stdout
    expect(init).toMatch(/^ +systemd +a oneshot unit: apply before network-pre\.target, down on stop$/m)
    expect(init).toMatch(/^ +nm +NetworkManager keyfiles \(mode 0600\)$/m)
    expect(init.match(/\/etc\/tunadm\/tunadm\.yaml/g)).toHaveLength(1)
    const lines = tunadm('add', '--help').stdout.split('\n')
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80)
    // A sentence that spans a source line break is one paragraph, not a line that stops half way.
    expect(lines.find((l) => /^ +Without --user/.test(l))).toBeUndefined()
    const top = tunadm('--help').stdout
    expect(top).toMatch(/^ +del +Delete TUN\/TAP devices\.$/m)
    expect(top).not.toMatch(/^ +(rm|delete|ls) +/m)
    expect(tunadm('rm', '--help').status).toBe(0)
  })

  test('a number too long to hold exactly is refused as written, not as a nearby number', () => {
    for (const cmd of [['set', 'tap0'], ['add', 'tap0']]) {
      const r = tunadm(...cmd, '--mtu', '12345678901234567890')
      expect([r.status, r.stderr.split('\n')[0]]).toEqual([2, 'error: Parsing --mtu; --mtu 12345678901234567890 is out of range: it has more digits than any value tunadm accepts'])
    }
  })

  test('a word taken by a repeatable flag: the message says which flag took it', () => {
    const r = tunadm('set', '--address', '10.0.0.1/24', 'tap0')
    expect(r.status).toBe(2)
    expect(r.stderr.split('\n')).toEqual([
      'error: missing NAME (device name): --address took "tap0" as one more of its values',
      '  why: --address is repeatable, and a repeatable flag takes every word after it up to the next flag',
      '  fix: write NAME before the flags, or give each value as --address=VALUE',
      '',
    ])
    const routes = tunadm('set', '--route', '10.1.0.0/16', '--route', '10.2.0.0/16', 'tun0', '--json')
    expect(JSON.parse(routes.stdout).error.message).toBe('missing NAME (device name): --route took "tun0" as one more of its values')
  })

  test('a missing argument is said plainly', () => {
    const r = tunadm('del')
    expect([r.status, r.stderr.split('\n')[0]]).toEqual([2, 'error: missing NAME (device names)'])
  })
})
