/**
 * The conventions an iproute2 user relies on: global flags before or after the command (and their short
 * forms), usage errors that are errors (exit 2, JSON under --json wherever it stands), switches that take
 * no value, and a JSON status that tells the truth. Both paths: the fast one and the full oclif one.
 */
import {BIN, Netns, describeKernel, sh} from '../helpers/kernel'

const env = {...process.env, NO_COLOR: '1'}
const tunadm = (args: string[], extra: NodeJS.ProcessEnv = {}) => sh(process.execPath, [BIN, ...args], {env: {...env, ...extra}, input: ''})
const bothPaths = (args: string[]) => [tunadm(args), tunadm(args, {TUNADM_FULL_OCLIF: '1'})]

describe('usage errors', () => {
  test.each([
    [['list', 'tun77'], 'unexpected argument "tun77": tunadm list takes no arguments'],
    [['show', 'a', 'b'], 'unexpected argument "b": tunadm show takes one (NAME)'],
    [['list', '--', 'x'], 'unexpected argument "x"'],
    [['del', 'tun0', '--force=yes'], '--force takes no value ("--force=yes")'],
    [['del', 'tun0', '--force=false'], '--force takes no value'],
    [['add', 'tun0', '--promisc=false'], '--promisc takes no value'],
    [['doctor', '--list-checks=x'], '--list-checks takes no value'],
    [['list', '--json=1'], '--json takes no value'],
    [['help', 'bogus'], 'there is no command "bogus"'],
    [['help', 'add', 'extra'], 'help takes one command'],
    [['--version', 'extra'], '--version takes nothing else'],
    [['--netns'], '--netns needs a value'],
    [['--bogus', 'list'], '"--bogus" is not a flag tunadm takes before a command'],
  ])('%j: exit 2, said plainly, on both paths', (args, message) => {
    for (const r of bothPaths(args)) {
      expect({status: r.status, stdout: r.stdout, stderr: r.stderr.split('\n')[0].startsWith(`error: ${message}`) || r.stderr}).toEqual({status: 2, stdout: '', stderr: true})
    }
  })

  test.each([
    [['list', 'tun77', '--json']], [['-j', 'list', 'tun77']], [['list', 'tun77', '-j']], [['bogus', '-j']], [['-j', 'bogus']],
    [['del', 'x', '--force=yes', '--json']], [['--json', 'help', 'bogus']], [['-j', '--version', 'x']], [['--json']],
  ])('%j: the usage error is JSON when --json is anywhere on the line', (args) => {
    for (const r of bothPaths(args)) {
      expect(r.status).toBe(2)
      expect(r.stderr).toBe('')
      expect(JSON.parse(r.stdout)).toMatchObject({status: 'error', error: {code: expect.stringMatching(/^(USAGE|UNKNOWN_COMMAND)$/), exitCode: 2}, warnings: []})
    }
  })

  test('list tun77 suggests show', () => {
    expect(tunadm(['list', 'tun77']).stderr).toContain('fix: to see one device: tunadm show tun77')
  })
})

describe('global flags before or after the command', () => {
  test('-h is --help, before or after the command, on both paths', () => {
    const page = tunadm(['list', '--help']).stdout
    expect(page).toContain('List TUN/TAP devices.')
    for (const args of [['list', '-h'], ['-h', 'list'], ['--help', 'list'], ['help', 'list']]) {
      for (const r of bothPaths(args)) expect([args, r.status, r.stdout]).toEqual([args, 0, page])
    }
    const top = tunadm(['--help']).stdout
    for (const r of bothPaths(['-h'])) expect([r.status, r.stdout]).toEqual([0, top])
  })

  test('--json and -j, before or after the command, give the same envelope', () => {
    const want = tunadm(['list', '--json'])
    expect(JSON.parse(want.stdout)).toMatchObject({status: 'ok'})
    for (const args of [['--json', 'list'], ['-j', 'list'], ['list', '-j'], ['-j', 'ls']]) {
      for (const r of bothPaths(args)) expect([args, r.status, r.stdout]).toEqual([args, 0, want.stdout])
    }
  })

  test('help shows -j and -n (where -n is free)', () => {
    expect(tunadm(['list', '--help']).stdout).toMatch(/-j, --json/)
    expect(tunadm(['list', '--help']).stdout).toMatch(/-n, --netns=NAME/)
    expect(tunadm(['apply', '--help']).stdout).toMatch(/-n, --dry-run/)
    expect(tunadm(['apply', '--help']).stdout).toMatch(/ --netns=NAME/)
  })
})

describeKernel('global flags and JSON status in a namespace', () => {
  let ns: Netns
  beforeAll(() => {
    ns = new Netns('conv')
  })
  afterAll(() => ns?.remove())

  test('--netns and -n before or after the command, on both paths; -n after apply is still --dry-run', () => {
    expect(ns.tunadm(['add', 'tun5']).status).toBe(0)
    for (const args of [['--netns', ns.name, 'list'], ['-n', ns.name, 'list'], ['list', '-n', ns.name], [`--netns=${ns.name}`, 'ls'], ['-n', ns.name, '-j', 'show', 'tun5'], ['-n', ns.name, 'doctor', 'tun5', '-c', 'device.processes']]) {
      for (const r of bothPaths(args)) {
        expect([args, r.status, r.stderr]).toEqual([args, 0, ''])
        expect(r.stdout).toContain('tun5')
      }
    }
    const cfg = '/nonexistent/tunadm.yaml'
    const r = tunadm(['-n', ns.name, 'down', '-n', '--config', cfg])
    expect([r.status, r.stdout]).toEqual([0, expect.stringContaining('dry run')])
  })

  test('doctor --explain with --netns: its fixes act in that namespace', () => {
    const r = ns.tunadm(['doctor', '--explain', 'Cannot ioctl TUNSETIFF tun5: Operation not permitted', '--json'])
    const commands = JSON.parse(r.stdout).result.patterns.flatMap((p: {causes: Array<{fix: {commands: string[]}}>}) => p.causes.flatMap((c) => c.fix.commands))
    const tunadmCommands = commands.filter((c: string) => /^(sudo )?tunadm /.test(c))
    expect(tunadmCommands.length).toBeGreaterThan(0)
    for (const c of tunadmCommands) expect(c).toContain(`--netns ${ns.name}`)
  })

  test('status "partial" (exit 1) when part of the work failed, "ok" when none did', () => {
    expect(ns.tunadm(['add', 'tun6']).status).toBe(0)
    const r = ns.tunadm(['del', 'tun6', 'nosuch', '--json'])
    expect(r.status).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({status: 'partial', result: [{name: 'tun6'}, {name: 'nosuch', error: {code: 'ENODEV'}}]})
    expect(ns.link('tun6')).toBeUndefined()
    const down = ns.tunadm(['doctor', 'tun5', '--check', 'device.up', '--json'])
    expect([down.status, JSON.parse(down.stdout).status]).toEqual([1, 'partial'])
    expect(ns.tunadm(['set', 'tun5', '--up']).status).toBe(0)
    const up = ns.tunadm(['doctor', 'tun5', '--check', 'device.up', '--json'])
    expect([up.status, JSON.parse(up.stdout).status]).toEqual([0, 'ok'])
  })
})

describe('output that cannot be written', () => {
  const {spawnSync} = require('node:child_process') as typeof import('node:child_process')
  /** tunadm with stdout redirected by a shell (to /dev/full, or closed). */
  const redirected = (args: string[], redirect: string, extra: NodeJS.ProcessEnv = {}) =>
    spawnSync('sh', ['-c', `"$0" "$@" ${redirect}`, process.execPath, BIN, ...args], {encoding: 'utf8', env: {...env, ...extra}, input: ''})

  test.each([
    [['--help']], [['list', '--help']], [['--version']], [['completion', 'bash']], [['list', '--json']], [['doctor', '--list-checks']],
  ])('%j to a full disk: one line, exit 1, on both paths', (args) => {
    for (const extra of [{}, {TUNADM_FULL_OCLIF: '1'}]) {
      const r = redirected(args, '>/dev/full', extra)
      expect({args, extra, status: r.status, stderr: r.stderr}).toEqual({args, extra, status: 1, stderr: 'tunadm: cannot write to standard output: ENOSPC (no space left on device)\n'})
    }
  })

  test('a stdout open only for reading: one line, exit 1; a reader that leaves: quiet', () => {
    // (A closed stdout cannot be had: Node opens /dev/null in its place at start.)
    for (const extra of [{}, {TUNADM_FULL_OCLIF: '1'}]) {
      const r = redirected(['--help'], '1</dev/null', extra)
      expect([r.status, r.stderr]).toEqual([1, 'tunadm: cannot write to standard output: EBADF (bad file descriptor)\n'])
      const p = redirected(['doctor', '--list-checks'], '| head -c 1 >/dev/null', extra)
      expect([p.status, p.stderr]).toEqual([0, ''])
    }
  })

  test('init to a full disk says so, not "unexpected error"', () => {
    const fs = require('node:fs') as typeof import('node:fs')
    const file = `${require('node:os').tmpdir()}/tunadm-conv-${process.pid}.yaml`
    fs.writeFileSync(file, 'version: 1\ndevices:\n  - {name: tun5, mode: tun, user: root}\n')
    try {
      const r = redirected(['init', '--target', 'systemd', '--config', file, '--tunadm-path', process.execPath], '>/dev/full')
      expect([r.status, r.stderr.split('\n')[0]]).toEqual([1, 'tunadm: cannot write to standard output: ENOSPC (no space left on device)'])
      expect(r.stderr).not.toMatch(/unexpected error|at writeSync/)
    } finally {
      fs.rmSync(file, {force: true})
    }
  })
})

describe('init and namespaces, init and the tunadm it runs', () => {
  const fs = require('node:fs') as typeof import('node:fs')
  const file = `${require('node:os').tmpdir()}/tunadm-conv-init-${process.pid}.yaml`
  beforeAll(() => fs.writeFileSync(file, 'version: 1\ndevices:\n  - {name: tun5, mode: tun, user: root}\n'))
  afterAll(() => fs.rmSync(file, {force: true}))

  test('init --netns enters the namespace (it reads the masters\' kinds there): one that does not exist is an error', () => {
    for (const args of [['init', '--netns', 'nosuch-ns'], ['-n', 'nosuch-ns', 'init']]) {
      // The namespace is entered (init reads the masters' kinds there): one that does not exist is an error.
      expect(tunadm([...args, '--target', 'systemd', '--config', file]).stderr).toContain('there is no network namespace named nosuch-ns')
    }
  })

  test('a unit that runs a tunadm that does not exist is written with a warning naming --tunadm-path', () => {
    const r = tunadm(['init', '--target', 'systemd', '--config', file, '--tunadm-path', '/nonexistent/tunadm'])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('ExecStart=/nonexistent/tunadm apply')
    expect(r.stderr).toContain('warning: /nonexistent/tunadm does not exist, and the boot files run it: give the tunadm to run with --tunadm-path PATH')
    const none = tunadm(['init', '--target', 'systemd', '--config', file], {PATH: '/nonexistent'})
    expect(none.stderr).toContain('(there is no tunadm on PATH)')
    const found = tunadm(['init', '--target', 'systemd', '--config', file, '--tunadm-path', process.execPath])
    expect(found.stderr).not.toContain('warning:')
    // A target whose files run no tunadm needs none.
    expect(tunadm(['init', '--target', 'networkd', '--config', file, '--tunadm-path', '/nonexistent/tunadm']).stderr).not.toContain('warning:')
  })
})

test('add without a name or a mode says that no name was given, not that the name is wrong', () => {
  const r = tunadm(['add'])
  expect([r.status, r.stderr]).toEqual([2, expect.stringContaining('why: no name was given to tell it from, and there is no terminal to ask on')])
})

describeKernel('names and owners as people read them', () => {
  let ns: Netns
  beforeAll(() => {
    ns = new Netns('names')
  })
  afterAll(() => ns?.remove())

  test('a name with a zero-width or bidi character is shown escaped, never passing for another', () => {
    ns.ip(['tuntap', 'add', 'ta\u200bp0', 'mode', 'tap'])
    ns.ip(['tuntap', 'add', 'tap0', 'mode', 'tap'])
    ns.ip(['tuntap', 'add', 'x\u202e0pat', 'mode', 'tap'])
    const list = ns.tunadm(['list'])
    expect(list.stdout).toContain('ta\\u200bp0 ')
    expect(list.stdout).toContain('x\\u202e0pat ')
    expect(list.stdout).not.toMatch(/[\u200b\u202e]/)
    expect(ns.tunadm(['show', 'ta\u200bp0']).stdout).toContain('ta\\u200bp0')
    // JSON keeps the real name, for scripts.
    expect(JSON.parse(ns.tunadm(['list', '--json']).stdout).result.map((d: {name: string}) => d.name)).toContain('ta\u200bp0')
  })

  test('init --netns says that the boot files it writes carry no --netns', () => {
    const fs = require('node:fs') as typeof import('node:fs')
    const file = `${require('node:os').tmpdir()}/tunadm-conv-initns-${process.pid}.yaml`
    fs.writeFileSync(file, 'version: 1\ndevices:\n  - {name: tun5, mode: tun, user: root}\n')
    try {
      const r = ns.tunadm(['init', '--target', 'systemd', '--config', file, '--tunadm-path', process.execPath])
      expect([r.status, r.stdout]).toEqual([0, expect.not.stringContaining('--netns')])
      expect(r.stderr).toContain(`warning: the boot files carry no --netns: they make the devices in the namespace the init system runs in, not in ${ns.name}`)
    } finally {
      fs.rmSync(file, {force: true})
    }
  })

  test('an owner change is said with names', () => {
    ns.tunadm(['add', 'tun7', '--user', 'root'])
    const r = ns.tunadm(['set', 'tun7', '--user', 'nobody'])
    expect([r.status, r.stdout]).toEqual([0, 'tun7: owner root (0) -> nobody (65534)\n'])
  })
})
