/**
 * The hot commands (add, del, list, show, set, apply, down and aliases) start without oclif's Config.load.
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
