/**
 * tunadm export without a kernel: what capture writes for a device the kernel reports, what it leaves to
 * the kernel's defaults, and what it says in comments instead of dropping it. The kernel round trip is in
 * test/integration/migrate.test.ts.
 */
import {parseConfig} from '../../src/config/load'
import {CapturedLink, NET_ADDR_RANDOM, NET_ADDR_SET, capture} from '../../src/migrate/capture'
import {hasKey} from '../../src/migrate/emit'
import {exportLinks} from '../../src/migrate/export'

const names = {userName: (u: number) => ({0: 'root', 65534: 'nobody'} as Record<number, string>)[u], groupName: (g: number) => ({0: 'root', 110: 'kvm'} as Record<number, string>)[g]}
const opts = {...names, hasKey}

const IFF_UP = 0x1
const tap = (name: string, more: Partial<CapturedLink> = {}): CapturedLink => ({
  name, mode: 'tap', persist: true, state: {mode: 'tap', pi: false, vnetHdr: false, multiQueue: false, tunFlags: 0x1002},
  flags: 0x1002, mtu: 1500, txqlen: 1000, mac: '02:00:00:00:00:01', macAssign: NET_ADDR_RANDOM, addresses: [], routes: [], ...more,
})
const tun = (name: string, more: Partial<CapturedLink> = {}): CapturedLink => ({
  name, mode: 'tun', persist: true, state: {mode: 'tun', pi: false, vnetHdr: false, multiQueue: false, tunFlags: 0x1001},
  flags: 0x1090, mtu: 1500, txqlen: 500, addresses: [], routes: [], ...more,
})

describe('capture', () => {
  test('kernel defaults are left out; what was set is written, owners by name where they resolve', () => {
    const {entries, notes} = capture([
      tap('tap0', {owner: 65534, group: 4242}),
      tun('tun0', {flags: 0x1090 | IFF_UP, mtu: 1400, txqlen: 600}),
    ], opts)
    expect(notes).toEqual([])
    expect(entries).toEqual([
      {name: 'tap0', mode: 'tap', user: 'nobody', group: 4242, up: false},
      {name: 'tun0', mode: 'tun', any_user: true, mtu: 1400, txqueuelen: 600, up: true},
    ])
  })

  test('a MAC only where it was set by hand (addr_assign_type NET_ADDR_SET); unknown: said, not guessed', () => {
    const {entries, notes} = capture([
      tap('tap0', {owner: 0}), tap('tap1', {owner: 0, macAssign: NET_ADDR_SET, mac: '02:aa:00:00:00:01'}), tap('tap2', {owner: 0, macAssign: undefined}),
    ], opts)
    expect(entries.map((e) => e.mac)).toEqual([undefined, '02:aa:00:00:00:01', undefined])
    expect(notes).toEqual([{device: 'tap2', message: expect.stringMatching(/^MAC 02:00:00:00:00:01 left out: whether it was set by hand/)}])
  })

  test('creation flags through the settings registry: napi from sysfs tun_flags; unreadable or disagreeing sysfs is unknown', () => {
    const {entries, notes} = capture([
      tap('tap0', {owner: 0, state: {mode: 'tap', pi: true, vnetHdr: true, multiQueue: true, tunFlags: 0x2 | 0x10 | 0x20 | 0x4000 | 0x100}}),
      tap('tap1', {owner: 0, state: {mode: 'tap', pi: false, vnetHdr: false, multiQueue: false, tunFlags: undefined}}),
      tap('tap2', {owner: 0, state: {mode: 'tap', pi: false, vnetHdr: false, multiQueue: false, tunFlags: 0x1 | 0x1000}}), // another device's flags
    ], opts)
    expect(entries[0]).toMatchObject({pi: true, vnet_hdr: true, multi_queue: true, napi: true, napi_frags: true})
    expect(notes).toEqual([{message: expect.stringMatching(/napi, napi_frags\) could not be read for tap1, tap2/)}])
  })

  test('link flags that differ from the kernel default of the mode', () => {
    const {entries} = capture([
      tap('tap0', {owner: 0, flags: 0x2 | 0x80 | 0x100 | 0x200}), // noarp, promisc, allmulti; multicast off
      tun('tun0', {owner: 0, flags: 0x10 | 0x1000}), // ARP on a TUN device
    ], opts)
    expect(entries[0]).toMatchObject({promisc: true, allmulti: true, arp: false, multicast: false})
    expect(entries[1]).toMatchObject({arp: true})
    expect(entries[1].multicast).toBeUndefined()
  })

  test('addresses with a peer, routes through the device; the kernel\'s own are left out, what tunadm cannot say is noted', () => {
    const {entries, notes} = capture([tun('tun0', {
      owner: 0, flags: 0x1090 | IFF_UP,
      addresses: [
        {family: 4, address: '10.8.0.1', prefixLen: 32, peer: '10.8.0.2', scope: 0},
        {family: 4, address: '10.8.0.3', prefixLen: 24, peer: '10.9.0.0', scope: 0},
        {family: 6, address: 'fd00::1', prefixLen: 64, scope: 0},
        {family: 6, address: 'fe80::1', prefixLen: 64, scope: 253},
      ],
      routes: [
        {family: 4, dst: '10.20.0.0', dstLen: 16, gateway: '10.8.0.2', priority: 50, protocol: 3, scope: 0},
        {family: 4, dst: '10.8.0.2', dstLen: 32, protocol: 2, scope: 253},
        {family: 6, dst: 'fd00:20::', dstLen: 48, priority: 1024, protocol: 3, scope: 0},
        {family: 6, dst: 'fd00:30::', dstLen: 48, priority: 100, protocol: 4, scope: 0},
        {family: 4, dst: '10.30.0.0', dstLen: 16, protocol: 3, scope: 0, prefsrc: '10.8.0.1'},
      ],
    })], opts)
    expect(entries[0]).toMatchObject({
      addresses: ['10.8.0.1/32', 'fd00::1/64'], peer: '10.8.0.2',
      routes: [{to: '10.20.0.0/16', via: '10.8.0.2', metric: 50}, {to: 'fd00:20::/48'}, {to: 'fd00:30::/48', metric: 100}],
    })
    expect(notes.map((n) => n.message)).toEqual([
      expect.stringMatching(/^10.8.0.3 peer 10.9.0.0\/24 on tun0: a tunadm device has one peer/),
      expect.stringMatching(/^the route to 10.30.0.0\/16 has src 10.8.0.1, which a tunadm route cannot say/),
    ])
  })

  test('a bridge port has master; a device a program made and holds is left out, with why', () => {
    const {entries, notes} = capture([
      tap('tap0', {owner: 0, master: 'br0', masterKind: 'bridge'}),
      tap('tap1', {owner: 0, master: 'team0', masterKind: 'team'}),
      tap('vnet3', {persist: false, holders: ['qemu-system-x86 (pid 4242)']}),
    ], opts)
    expect(entries.map((e) => [e.name, e.master])).toEqual([['tap0', 'br0'], ['tap1', undefined]])
    expect(notes).toEqual([
      {device: 'tap1', message: expect.stringMatching(/^tap1 is a port of team0 \(team\): tunadm makes ports of a bridge, bond, vrf only/)},
      {device: 'vnet3', message: expect.stringMatching(/^vnet3 is not persistent: .*\(qemu-system-x86 \(pid 4242\)\); left out/)},
    ])
  })
})

describe('exportLinks', () => {
  test('runs become ranges; notes go above their device or range; the YAML loads', () => {
    const links = [...[0, 1, 2, 3, 10].map((i) => tap(`vm${i}`, {group: 110})), tun('tun0', {owner: 65534}), tap('vnet0', {persist: false})]
    const r = exportLinks(links, {}, names)
    expect(r.devices.map((d) => d.name)).toEqual(['tun0', 'vm{0..3}', 'vm10'])
    expect(r.yaml).toMatch(/# Not written:\n#   vnet0 is not persistent/)
    const loaded = parseConfig(r.yaml, 'capture.yaml')
    expect(loaded.devices.map((d) => d.name)).toEqual(['tun0', 'vm0', 'vm1', 'vm2', 'vm3', 'vm10'])
    expect(exportLinks(links, {noRanges: true}, names).devices).toHaveLength(6)
  })

  test('named devices, in the order given; an unknown name is an error', () => {
    const links = [tap('tap0', {owner: 0}), tap('tap1', {owner: 65534})]
    expect(exportLinks(links, {names: ['tap1', 'tap0']}, names).devices.map((d) => d.name)).toEqual(['tap1', 'tap0'])
    expect(() => exportLinks(links, {names: ['tap9'], netns: 'vpn'}, names)).toThrow(expect.objectContaining({code: 'ENODEV', message: 'there is no TUN/TAP device named tap9 in network namespace vpn'}))
  })

  test('a device the loader would refuse (an MTU too small for its IPv6 address) is left out with the reason', () => {
    const r = exportLinks([tap('tap0', {owner: 0, mtu: 1000, addresses: [{family: 6, address: 'fd00::1', prefixLen: 64, scope: 0}]})], {}, names)
    expect(r.devices).toEqual([])
    expect(r.notes).toEqual([{device: 'tap0', message: expect.stringMatching(/^tap0 is left out: .*MTU 1000 is below 1280/)}])
  })
})
