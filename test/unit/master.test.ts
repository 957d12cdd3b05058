/**
 * The master setting (IFLA_MASTER) without the kernel: its registry entry and parser, the plan of add, set
 * and apply against fake snapshots (refusals before any change), and how each boot format writes it.
 */
import * as C from '../../src/kernel/constants'
import {Link} from '../../src/kernel/netlink-codec'
import {refusal} from '../helpers/refusal'
import {MASTER, SETTINGS} from '../../src/model/settings'
import {desiredForAdd, desiredFromConfig, desiredFromFlags} from '../../src/services/desired'
import {plan} from '../../src/services/plan'
import {describeWouldChange} from '../../src/render/changes'
import {staticSnapshot} from '../../src/services/snapshot'
import {settingsInputFromFlags} from '../../src/flags'
import {generate} from '../../src/init'
import type {TunadmConfig} from '../../src/config/types'

const link = (name: string, index: number, kind: string, more: Partial<Link> = {}): Link =>
  ({index, name, flags: C.IFF_BROADCAST | C.IFF_MULTICAST, hwType: 1, mtu: 1500, kind, group: 0, ...more})
const tap = (name: string, index: number, more: Partial<Link> = {}): Link => ({
  ...link(name, index, 'tun', {minMtu: 68, maxMtu: 65521, txqlen: 1000, ...more}),
  tun: {type: 'tap', pi: false, vnetHdr: false, persist: true, multiQueue: false},
})
const br0 = link('br0', 2, 'bridge')
const veth = link('v0', 8, 'veth')


describe('the master entry of the settings registry', () => {
  test('a link setting, shared (defaults may set it), with one parser for the CLI and YAML', () => {
    expect(SETTINGS.find((s) => s.key === 'master')).toBe(MASTER)
    expect(MASTER).toMatchObject({phase: 'link', shared: true, source: 'netlink'})
    expect(MASTER.parse('br0')).toEqual({value: 'br0'})
    expect(MASTER.parse('')).toHaveProperty('problem')
    expect(MASTER.parse(12)).toHaveProperty('problem')
    expect(MASTER.parse('a-very-long-bridge')).toMatchObject({problem: expect.stringContaining('1 to 15 bytes')})
    expect(MASTER.read({master: {name: 'br0'}})).toBe('br0')
    expect(MASTER.read({master: null})).toBeNull()
  })

  test('--master and --no-master: the flag values, and the contradiction refused', () => {
    expect(settingsInputFromFlags({master: 'br0'}).master).toBe('br0')
    expect(settingsInputFromFlags({'no-master': true}).master).toBeNull()
    expect(settingsInputFromFlags({}).master).toBeUndefined()
    expect(() => settingsInputFromFlags({master: 'br0', 'no-master': true})).toThrow('--master and --no-master contradict each other')
    expect(() => settingsInputFromFlags({master: 'a/b'})).toThrow('--master "a/b" is not a valid device name')
  })
})

describe('planning a master', () => {
  test('add --master br0: the link step carries br0\'s index and the report names it', () => {
    const p = plan(staticSnapshot({links: [br0]}), desiredForAdd('tap0', {mode: 'tap', tunFlags: {}, owner: {id: 0}}, {master: 'br0'}), {intent: 'add'})
    const step = p.steps.find((s) => s.step.kind === 'link')!.step
    expect(step).toMatchObject({kind: 'link', master: 2})
    expect(p.changes).toContainEqual({what: 'master', from: null, to: 'br0'})
    expect(p.steps.map((s) => s.step.kind).indexOf('link')).toBeLessThan(p.steps.map((s) => s.step.kind).indexOf('persist'))
  })

  test('a missing master, or one that is not a bridge, bond or vrf, is refused before any step, with the fix', () => {
    const missing = refusal(() => plan(staticSnapshot({links: []}), desiredForAdd('tap0', {mode: 'tap', tunFlags: {}, owner: {id: 0}}, {master: 'br9'}), {intent: 'add'}))
    expect(missing).toMatchObject({code: 'NO_MASTER', exitCode: 1, message: 'cannot make tap0 a port of br9: there is no device named br9'})
    expect(missing.fix).toContain('ip link add br9 type bridge && ip link set br9 up')
    const wrong = refusal(() => plan(staticSnapshot({links: [tap('tap0', 3), veth]}), desiredFromFlags('tap0', {master: 'v0'}), {intent: 'set'}))
    expect(wrong).toMatchObject({code: 'NOT_A_MASTER', message: 'cannot make tap0 a port of v0: v0 is a veth, not a bridge, bond or vrf'})
    // A bridge forwards Ethernet frames: a TUN device cannot be its port (the kernel says EINVAL; tunadm says why, exit 2).
    const tun = refusal(() => plan(staticSnapshot({links: [br0]}), desiredForAdd('tun0', {mode: 'tun', tunFlags: {}, owner: {id: 0}}, {master: 'br0'}), {intent: 'add'}))
    expect(tun).toMatchObject({code: 'TUN_IN_BRIDGE', exitCode: 2})
    // Another TUN/TAP device is no master either.
    expect(refusal(() => plan(staticSnapshot({links: [tap('tap0', 3), tap('tap1', 4)]}), desiredFromFlags('tap0', {master: 'tap1'}), {intent: 'set'})).code).toBe('NOT_A_MASTER')
  })

  test('set --master, --no-master, and asking for what is already true', () => {
    const inBridge = tap('tap0', 3, {master: 2})
    const out = plan(staticSnapshot({links: [br0, inBridge]}), desiredFromFlags('tap0', {master: null}), {intent: 'set'})
    expect(out.steps.map((s) => [s.step, s.label])).toEqual([[{kind: 'link', master: 0}, 'take it out of br0']])
    expect(out.changes.map(describeWouldChange)).toEqual(['would change master br0 -> none'])
    const same = plan(staticSnapshot({links: [br0, inBridge]}), desiredFromFlags('tap0', {master: 'br0'}), {intent: 'set'})
    expect(same.steps).toEqual([])
    const alone = plan(staticSnapshot({links: [br0, tap('tap0', 3)]}), desiredFromFlags('tap0', {master: null}), {intent: 'set'})
    expect(alone.steps).toEqual([])
    const br1 = link('br1', 5, 'bridge')
    const move = plan(staticSnapshot({links: [br0, br1, inBridge]}), desiredFromFlags('tap0', {master: 'br1'}), {intent: 'set'})
    expect(move.changes).toEqual([{what: 'master', from: 'br0', to: 'br1'}])
  })

  test('apply: a port taken out of its bridge is drift, put back; a device the entry does not give a master is left in its bridge', () => {
    const marker = 'tunadm:/etc/tunadm/t.yaml'
    const managed = (more: Partial<Link>) => tap('tap0', 3, {alias: marker, group: 7, ...more})
    const want = (master?: string) => desiredFromConfig({name: 'tap0', mode: 'tap', any_user: true, ...(master ? {master} : {})}, marker, 7)
    expect(plan(staticSnapshot({links: [br0, managed({})]}), want('br0'), {intent: 'apply'}).changes).toEqual([{what: 'master', from: null, to: 'br0'}])
    expect(plan(staticSnapshot({links: [br0, managed({master: 2})]}), want('br0'), {intent: 'apply'}).changes).toEqual([])
    expect(plan(staticSnapshot({links: [br0, managed({master: 2})]}), want(), {intent: 'apply'}).changes).toEqual([])
  })
})

describe('boot formats', () => {
  const config = (master: string): TunadmConfig => ({version: 1, source: '/etc/tunadm/t.yaml', devices: [{name: 'tap0', mode: 'tap', group: 0, master}]})
  const opts = (kinds: Record<string, 'bridge' | 'bond' | 'vrf'>) => ({configPath: '/etc/tunadm/t.yaml', tunadmPath: '/usr/bin/tunadm', standalone: false, resolveId: () => 0, masterKind: (n: string) => kinds[n]})
  const file = (target: string, master: string, kinds: Record<string, 'bridge' | 'bond' | 'vrf'>, ext: string) =>
    generate(target, config(master), opts(kinds)).files.find((f) => f.path.endsWith(ext))!.content

  test('networkd names the master by its kind: Bridge=, Bond=, VRF=', () => {
    expect(file('networkd', 'br0', {br0: 'bridge'}, '.network')).toContain('\nBridge=br0\n')
    expect(file('networkd', 'bond0', {bond0: 'bond'}, '.network')).toContain('\nBond=bond0\n')
    expect(file('networkd', 'blue', {blue: 'vrf'}, '.network')).toContain('\nVRF=blue\n')
  })

  test('NetworkManager: master= and slave-type=, and no IP settings for a port', () => {
    const k = file('nm', 'bond0', {bond0: 'bond'}, '.nmconnection')
    expect(k).toContain('\nmaster=bond0\nslave-type=bond\n')
    expect(k).not.toContain('[ipv4]')
  })

  test('a master that does not exist when the files are made is written as a bridge, and a note says so', () => {
    const g = generate('networkd', config('br7'), opts({}))
    expect(g.files.find((f) => f.path.endsWith('.network'))!.content).toContain('Bridge=br7')
    expect(g.notes).toContainEqual(expect.stringMatching(/^br7 does not exist on this machine now: written as a bridge/))
  })

  test('the ip commands of the standalone scripts and ifupdown: ip link set dev NAME master MASTER', () => {
    expect(generate('sysv', config('br0'), {...opts({}), standalone: true}).files[0].content).toContain('ip link set dev tap0 master br0')
    expect(generate('ifupdown', config('br0'), opts({})).files[0].content).toContain('pre-up ip link set dev tap0 master br0')
  })
})
