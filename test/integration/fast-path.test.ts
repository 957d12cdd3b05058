/**
 * The hot commands (add, del, list, show, set, apply, down and aliases, and doctor) start without oclif.
 * Whatever they are asked, the answer must be byte for byte the one the full oclif path gives
 * (TUNADM_FULL_OCLIF=1): stdout, stderr and exit code, for successes, errors and --json.
 */
import {Netns, describeKernel} from '../helpers/kernel'

describeKernel('the fast path', () => {
  let ns: Netns
  beforeAll(() => {
    ns = new Netns('fast')
  })
  afterAll(() => ns?.remove())

  /** Run both ways; each starts from the same kernel state (the fast run's changes are undone first). */
  function both(args: string[], undo?: string[]): void {
    const full = ns.tunadm(args, {env: {TUNADM_FULL_OCLIF: '1'}})
    if (undo) ns.tunadm(undo)
    const fast = ns.tunadm(args)
    // A new device's MAC and ifindex differ from run to run; nothing else may.
    const norm = (t: string) => t.replace(/pid \d+/g, 'pid N').replace(/\(node:\d+\)/g, '(node:N)').replace(/([0-9a-f]{2}:){5}[0-9a-f]{2}/g, 'MAC').replace(/"index": \d+/g, '"index": N')
    const view = (r: typeof fast) => ({args, status: r.status, stdout: norm(r.stdout), stderr: norm(r.stderr)})
    expect(view(fast)).toEqual(view(full))
  }

  test('successes, errors and --json are identical both ways', () => {
    both(['add', 'tap0', '--user', 'nobody', '--address', '10.1.0.1/24', '--up'], ['del', 'tap0'])
    ns.tunadm(['add', 'tap0', '--user', 'nobody', '--address', '10.1.0.1/24', '--up'])
    both(['add', 'tun1', '--json'], ['del', 'tun1'])
    for (const args of [
      ['list'], ['ls', '--json'], ['list', '-a'], ['show', 'tap0'], ['show', 'tap0', '--json'], ['show', 'nosuch'], ['show', 'nosuch', '--json'],
      ['set', 'tap0', '--mtu', '1400', '--dry-run'], ['set', 'tap0', '--mtu', 'big'], ['set', 'tap0', '--bogus'], ['set', 'tap0', '--route', '10.9.0.0/16 via 10.99.0.1', '--json'],
      ['set', 'tap0', '--del-address', '10.200.0.1/24'], ['add', 'tap0'], ['add', 'x/y', '--mode', 'tun'], ['add', 'tun2', '--user', '4294967296'],
      ['del'], ['rm', 'nosuch'], ['del', 'nosuch', '--json'], ['del', 'tap0', 'bad/x'], ['delete', '--if-exists', 'gone'],
      ['doctor'], ['doctor', 'tap0', '--json'], ['doctor', '--list-checks'], ['doctor', '--check', 'device.up', 'tap0'],
      ['doctor', '--explain', 'ioctl(TUNSETIFF): Device or resource busy'], ['doctor', '--bogus'], ['doctor', '-u', 'nobody', 'tap0'],
    ]) both(args)
    both(['set', 'tap0', '--mtu', '1300'], ['set', 'tap0', '--mtu', '1500'])
    both(['del', 'tap0'], ['add', 'tap0', '--user', 'nobody'])
    const fs = require('node:fs') as typeof import('node:fs')
    const cfg = `${require('node:os').tmpdir()}/tunadm-fast-${process.pid}.yaml`
    fs.writeFileSync(cfg, 'version: 1\ndevices:\n  - {name: tun5, mode: tun, user: nobody, up: true}\n  - {name: tap0, mode: tap, user: nobody}\n')
    try {
      const lock = {TUNADM_LOCK: `${cfg}.lock`}
      const withLock = (args: string[]) => [...args, '--config', cfg]
      for (const args of [['apply', '--dry-run'], ['apply', '--dry-run', '--json'], ['down', '--dry-run'], ['apply', '--bogus']]) both(withLock(args))
      expect(ns.tunadm(withLock(['apply', '--adopt']), {env: lock}).status).toBe(0)
      both(withLock(['apply']))
      both(withLock(['down', '--json']), withLock(['apply', '--adopt']))
    } finally {
      fs.rmSync(cfg, {force: true})
      fs.rmSync(`${cfg}.lock`, {force: true})
    }
  })
})

describe('prebuilt output: help pages and completion scripts', () => {
  const {spawnSync} = require('node:child_process') as typeof import('node:child_process')
  const {BIN} = require('../helpers/kernel') as typeof import('../helpers/kernel')
  // What a pipe gets outside CI: the page prebuilt at build time, with no oclif loaded.
  const env: NodeJS.ProcessEnv = {...process.env}
  const {CHANGES_HELP} = require('../../src/cli/prebuilt') as typeof import('../../src/cli/prebuilt')
  for (const k of Object.keys(env)) if (CHANGES_HELP.test(k) || k === 'TUNADM_FULL_OCLIF' || k === 'NO_COLOR') delete env[k]
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [BIN, ...args], {encoding: 'utf8', env: {...env, ...extra}})

  test('are oclif\'s own pages, byte for byte, for every command and alias and every way of asking', () => {
    const asks = [[], ['--help'], ['help'], ...['add', 'del', 'delete', 'rm', 'list', 'ls', 'show', 'set', 'apply', 'down', 'doctor', 'init', 'completion'].flatMap((w) => [[w, '--help'], ['help', w]])]
    for (const args of asks) {
      const fast = run(args)
      const full = run(args, {TUNADM_FULL_OCLIF: '1'})
      expect({args, status: fast.status, stdout: fast.stdout, stderr: fast.stderr}).toEqual({args, status: full.status, stdout: full.stdout, stderr: full.stderr})
      expect(fast.stdout).toMatch(/USAGE/)
    }
  })

  test('the completion scripts and the version line are the full path\'s, byte for byte; --json and errors still go to it', () => {
    for (const args of [['completion', 'bash'], ['completion', 'zsh'], ['completion', 'fish'], ['completion', 'bash', '--json'], ['--version'], ['-v'], ['version'], ['--version', '--json']]) {
      const fast = run(args)
      const full = run(args, {TUNADM_FULL_OCLIF: '1'})
      expect({args, status: fast.status, stdout: fast.stdout, stderr: fast.stderr}).toEqual({args, status: full.status, stdout: full.stdout, stderr: full.stderr})
    }
    expect(run(['completion', 'bash']).stdout).toContain('complete -F _tunadm tunadm')
  })

  test('output that cannot be written (a full disk) is said on stderr and exits 1, both ways', () => {
    const fs = require('node:fs') as typeof import('node:fs')
    for (const extra of [{}, {TUNADM_FULL_OCLIF: '1'}]) {
      const full = fs.openSync('/dev/full', 'w')
      try {
        const r = spawnSync(process.execPath, [BIN, 'completion', 'bash'], {encoding: 'utf8', env: {...env, ...extra}, stdio: ['ignore', full, 'pipe']})
        expect({extra, status: r.status}).toEqual({extra, status: 1})
        expect(r.stderr).toMatch(/ENOSPC/)
      } finally {
        fs.closeSync(full)
      }
    }
  })

  test('help is not served when oclif would print something else: colour asked for, another width', () => {
    const plain = run(['add', '--help']).stdout
    expect(run(['add', '--help'], {FORCE_COLOR: '1'}).stdout).toContain('\x1b[')
    const narrow = run(['add', '--help'], {OCLIF_COLUMNS: '50'}).stdout
    expect(narrow).not.toEqual(plain)
    expect(Math.max(...narrow.split('\n').map((l) => l.length))).toBeLessThanOrEqual(50)
  })
})
