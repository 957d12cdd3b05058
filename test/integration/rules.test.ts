/**
 * The rules every command shares, against the kernel: one busy rule for del, down and prune (deletion is
 * a plan action), and one route identity for both families. Each case was a wrong result: a command
 * did what another one refused.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {Netns, describeKernel, json, must} from '../helpers/kernel'
import {Held, hold} from '../helpers/holder'

describeKernel('shared rules against the kernel', () => {
  let ns: Netns
  let other: Netns
  let dir: string
  let env: NodeJS.ProcessEnv

  beforeAll(() => {
    ns = new Netns('rules')
    other = new Netns('rules-b')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-rules-'))
    env = {TUNADM_LOCK: path.join(dir, 'lock')}
  })
  afterAll(() => {
    ns?.remove()
    other?.remove()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  test('a device held from another namespace is refused by del, down and prune alike, until forced', async () => {
    const file = path.join(dir, 'busy.yaml')
    fs.writeFileSync(file, 'version: 1\ndevices: []\n')
    must('ip', ['-n', other.name, 'tuntap', 'add', 'tap0', 'mode', 'tap'])
    let held: Held | undefined
    try {
      held = await hold(other.name, 'tap0', 'tap')
      expect(held.outcome).toBe('attached tap0')
      // Moved here, it is held by a process in the other namespace: the kernel (TUNGETDEVNETNS) names it.
      must('ip', ['-n', other.name, 'link', 'set', 'tap0', 'netns', ns.name])
      must('ip', ['-n', ns.name, 'link', 'set', 'tap0', 'alias', `tunadm:${file}`])
      const del = json(ns.tunadm(['del', 'tap0', '--json']))
      expect(del.error).toMatchObject({code: 'EBUSY', message: expect.stringMatching(/^tap0 is in use by python3 \(pid \d+, in another network namespace\)$/)})
      const down = ns.tunadm(['down', '--config', file, '--json'], {env})
      expect(down.status).toBe(1)
      expect(json(down).devices).toEqual([expect.objectContaining({name: 'tap0', action: 'failed', error: expect.objectContaining({code: 'EBUSY', message: expect.stringMatching(/^tap0 is in use by python3 \(pid \d+, in another network namespace\)$/)})})])
      const prune = ns.tunadm(['apply', '--config', file, '--prune', '--json'], {env})
      expect([prune.status, json(prune).devices[0].action]).toEqual([1, 'failed'])
      expect(ns.link('tap0')).toBeDefined()
      const forced = ns.tunadm(['down', '--config', file, '--force', '--json'], {env})
      expect([forced.status, json(forced).devices[0].action]).toEqual([0, 'removed'])
      expect(ns.link('tap0')).toBeUndefined()
    } finally {
      await held?.release()
    }
  })

  test('an IPv6 route without a metric and with metric 1024 on two devices: refused up front, nothing made', () => {
    const file = path.join(dir, 'routes.yaml')
    fs.writeFileSync(file, `version: 1
defaults: {mode: tap, user: 0, up: true}
devices:
  - {name: r0, addresses: ["fd00::1/64"], routes: [{to: "fd09::/64"}]}
  - {name: r1, addresses: ["fd01::1/64"], routes: [{to: "fd09::/64", metric: 1024}]}
`)
    const r = ns.tunadm(['apply', '--config', file], {env})
    expect([r.status, r.stderr]).toEqual([2, expect.stringContaining('the route to fd09::/64 (metric 1024) is on both r0 and r1')])
    expect(ns.link('r0')).toBeUndefined()
  })

  test('down reads link_group as apply does ("link\\x5fgroup": 42): one request for the group apply made', () => {
    const file = path.join(dir, 'group.yaml')
    fs.writeFileSync(file, 'version: 1\n"link\\x5fgroup": 42\ndevices:\n  - {name: "g{0..1}", mode: tap, user: 0}\n')
    expect(ns.tunadm(['apply', '--config', file], {env}).status).toBe(0)
    expect(ns.link('g0')?.group).toBe('42')
    const down = json(ns.tunadm(['down', '--config', file, '--json'], {env}))
    expect([down.linkGroup, down.removedByGroup, down.devices.length]).toEqual([42, true, 2])
    expect(ns.link('g0')).toBeUndefined()
  })
})
