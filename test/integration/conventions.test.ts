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
