/**
 * The planner against fake kernel snapshots: no root, no kernel. Each case is one of the wrong
 * results the first round shipped, or a rule every way of asking must share.
 */
import * as C from '../../src/kernel/constants'
import {Address, Link, Route} from '../../src/kernel/netlink-codec'
import {refusal} from '../helpers/refusal'
import {DesiredDevice} from '../../src/model/desired'
import {desiredFromConfig, desiredFromFlags, FlagInput} from '../../src/services/desired'
import {DevicePlan, PlanOptions, Step, plan, planDelete} from '../../src/services/plan'
import {staticSnapshot} from '../../src/services/snapshot'

function tunLink(name: string, index: number, more: Partial<Link> = {}, tun: Partial<NonNullable<Link['tun']>> = {}): Link {
  return {
    index, name, flags: C.IFF_MULTICAST | C.IFF_NOARP | C.IFF_POINTOPOINT, hwType: 65534, mtu: 1500, minMtu: 68, maxMtu: 65535, txqlen: 500,
    kind: 'tun', group: 0, ...more,
    tun: {type: 'tun', pi: false, vnetHdr: false, persist: true, multiQueue: false, owner: 1000, ...tun},
  }
}

const tap0 = (more: Partial<Link> = {}) => tunLink('tap0', 3, {flags: C.IFF_BROADCAST | C.IFF_MULTICAST, mac: '02:00:00:00:00:01', ...more}, {type: 'tap'})
const addr = (index: number, address: string, prefixLen: number, extra: Partial<Address> = {}): Address =>
  ({family: address.includes(':') ? 6 : 4, index, address, prefixLen, scope: C.RT_SCOPE_UNIVERSE, flags: 0, ...extra})
const route = (oif: number, dst: string, dstLen: number, extra: Partial<Route> = {}): Route =>
  ({family: dst.includes(':') ? 6 : 4, dst, dstLen, oif, table: C.RT_TABLE_MAIN, protocol: C.RTPROT_BOOT, scope: 0, type: C.RTN_UNICAST, flags: 0, ...extra})

function planSet(snapshot: Parameters<typeof staticSnapshot>[0], name: string, input: FlagInput): DevicePlan {
  return plan(staticSnapshot(snapshot), desiredFromFlags(name, input), {intent: 'set'})
}

const kinds = (p: DevicePlan) => p.steps.map((s) => stepText(s.step))
function stepText(s: Step): string {
  switch (s.kind) {
    case 'address': return `${s.add ? '+' : '-'}addr ${s.local.address}/${s.local.prefixLen}${s.peer ? ` peer ${s.peer.address}` : ''}`
    case 'route': return `${s.add ? '+' : '-'}route ${s.dst.address}/${s.dst.prefixLen}${s.via ? ` via ${s.via.address}` : ''}${s.metric !== undefined ? ` metric ${s.metric}` : ''}`
    case 'flags': return `flags ${s.phase}`
    default: return s.kind
  }
}


describe('addresses are identified as the kernel identifies them', () => {
  const tun0 = tunLink('tun0', 2, {flags: C.IFF_UP | C.IFF_POINTOPOINT})

  test('a point-to-point IPv4 address is removed by its local address and length, whatever its peer', () => {
    const p = planSet({links: [tun0], addresses: [addr(2, '10.77.0.1', 32, {peer: '10.77.0.2'})]}, 'tun0', {delAddresses: ['10.77.0.1/32']})
    expect(kinds(p)).toEqual(['-addr 10.77.0.1/32 peer 10.77.0.2'])
    expect(p.action).toBe('change')
  })

  test('a bare address removes it with any prefix length', () => {
    const p = planSet({links: [tun0], addresses: [addr(2, '10.1.0.1', 24), addr(2, '10.1.0.1', 16), addr(2, '10.2.0.1', 24)]}, 'tun0', {delAddresses: ['10.1.0.1']})
    expect(kinds(p)).toEqual(['-addr 10.1.0.1/24', '-addr 10.1.0.1/16'])
  })

  test('IPv6: another prefix length is the same address, replaced; removal uses the kernel\'s length', () => {
    const snap = {links: [tap0()], addresses: [addr(3, 'fd00::1', 64)]}
    expect(kinds(planSet(snap, 'tap0', {addresses: ['fd00::1/48']}))).toEqual(['-addr fd00::1/64', '+addr fd00::1/48'])
    expect(kinds(planSet(snap, 'tap0', {delAddresses: ['fd00::1/48']}))).toEqual(['-addr fd00::1/64'])
    expect(planSet(snap, 'tap0', {addresses: ['fd00::1/64']}).action).toBe('unchanged')
  })

  test('IPv4: the same local address with another length is another address', () => {
    const p = planSet({links: [tap0()], addresses: [addr(3, '10.0.0.1', 24)]}, 'tap0', {addresses: ['10.0.0.1/16']})
    expect(kinds(p)).toEqual(['+addr 10.0.0.1/16'])
  })

  test('removing what is not there changes nothing and warns', () => {
    const p = planSet({links: [tap0()], addresses: []}, 'tap0', {delAddresses: ['10.0.0.1/24'], delRoutes: ['10.8.0.0/16']})
    expect(p.action).toBe('unchanged')
    expect(p.warnings).toEqual([expect.stringContaining('no address 10.0.0.1/24'), expect.stringContaining('no route to 10.8.0.0/16')])
  })

  test('apply: a changed peer replaces the address instead of adding a second one', () => {
    const link = tunLink('tun5', 5, {flags: C.IFF_UP, alias: 'tunadm:/c.yaml'})
    const d = desiredFromConfig({name: 'tun5', mode: 'tun', user: 1000, up: true, addresses: ['10.8.0.1/32'], peer: '10.8.0.3/32'}, 'tunadm:/c.yaml', 0)
    const p = plan(staticSnapshot({links: [link], addresses: [addr(5, '10.8.0.1', 32, {peer: '10.8.0.2'})]}), d, {intent: 'apply'})
    expect(kinds(p)).toEqual(['-addr 10.8.0.1/32 peer 10.8.0.2', '+addr 10.8.0.1/32 peer 10.8.0.3'])
    const again = plan(staticSnapshot({links: [link], addresses: [addr(5, '10.8.0.1', 32, {peer: '10.8.0.3'})]}), d, {intent: 'apply'})
    expect(again.action).toBe('unchanged')
  })

  test('apply leaves the kernel\'s own link-local address alone', () => {
    const link = tap0({flags: C.IFF_UP, alias: 'tunadm:/c.yaml'})
    const d = desiredFromConfig({name: 'tap0', mode: 'tap', user: 1000, addresses: ['10.0.0.1/24']}, 'tunadm:/c.yaml', 0)
    const p = plan(staticSnapshot({links: [link], addresses: [addr(3, 'fe80::1', 64, {scope: C.RT_SCOPE_LINK}), addr(3, '10.0.0.1', 24), addr(3, '10.0.0.9', 24)]}), d, {intent: 'apply'})
    expect(kinds(p)).toEqual(['-addr 10.0.0.9/24'])
  })
})

describe('routes are identified by destination and metric', () => {
  const up = tap0({flags: C.IFF_UP | C.IFF_BROADCAST})
  const addresses = [addr(3, '10.9.0.1', 24)]

  test('--del-route without a gateway removes every matching route of the device and names each', () => {
    const routes = [route(3, '10.50.0.0', 16, {gateway: '10.9.0.254'}), route(3, '10.50.0.0', 16, {gateway: '10.9.0.253', priority: 5}), route(3, '10.60.0.0', 16)]
    const p = planSet({links: [up], addresses, routes}, 'tap0', {delRoutes: ['10.50.0.0/16']})
    expect(kinds(p)).toEqual(['-route 10.50.0.0/16 via 10.9.0.254 metric 0', '-route 10.50.0.0/16 via 10.9.0.253 metric 5'])
    expect(p.changes.map((c) => c.from)).toEqual(['10.50.0.0/16 via 10.9.0.254', '10.50.0.0/16 via 10.9.0.253 metric 5'])
  })

  test('the same destination and metric with another gateway is replaced', () => {
    const p = planSet({links: [up], addresses, routes: [route(3, '10.50.0.0', 16, {gateway: '10.9.0.254'})]}, 'tap0', {routes: ['10.50.0.0/16 via 10.9.0.253']})
    expect(kinds(p)).toEqual(['-route 10.50.0.0/16 via 10.9.0.254 metric 0', '+route 10.50.0.0/16 via 10.9.0.253'])
  })

  test('IPv6 routes default to metric 1024, as the kernel does', () => {
    const p = planSet({links: [up], addresses: [addr(3, 'fd00::1', 64)], routes: [route(3, 'fd01::', 64, {priority: 1024})]}, 'tap0', {routes: ['fd01::/64']})
    expect(p.action).toBe('unchanged')
  })

  test('a route the kernel has through another device is refused before any change (exit 2)', () => {
    const other = tunLink('tun9', 9)
    const e = refusal(() => planSet({links: [up, other], addresses, routes: [route(9, '10.50.0.0', 16)]}, 'tap0', {routes: ['10.50.0.0/16'], mtu: 1400}))
    expect(e.code).toBe('ROUTE_EXISTS')
    expect(e.exitCode).toBe(2)
    expect(e.message).toContain('through tun9')
  })
})

describe('every rule is checked before the first change', () => {
  test('an IPv6 address with an MTU under 1280 (even link-local) is refused, MTU included', () => {
    const e = refusal(() => planSet({links: [tap0()]}, 'tap0', {addresses: ['fe80::1/64'], mtu: 1000}))
    expect([e.code, e.exitCode]).toEqual(['MTU_TOO_SMALL_FOR_IPV6', 2])
  })

  test('a lower MTU alone on a device with only the kernel\'s link-local address is fine', () => {
    const p = planSet({links: [tap0()], addresses: [addr(3, 'fe80::1', 64, {scope: C.RT_SCOPE_LINK})]}, 'tap0', {mtu: 1000})
    expect(kinds(p)).toEqual(['link'])
  })

  test('the same address twice is refused with exit 2, not half-applied', () => {
    const e = refusal(() => planSet({links: [tap0()]}, 'tap0', {addresses: ['10.9.0.1/24', '10.9.0.1/24']}))
    expect([e.code, e.exitCode]).toEqual(['DUPLICATE_ADDRESS', 2])
  })

  test('a route whose gateway no address covers is refused, --up and all', () => {
    const e = refusal(() => planSet({links: [tap0()]}, 'tap0', {up: true, routes: ['10.50.0.0/16 via 10.99.0.1']}))
    expect([e.code, e.exitCode]).toEqual(['GATEWAY_UNREACHABLE', 2])
  })

  test('a gateway that is the device\'s own address is refused (IPv6 too)', () => {
    const e = refusal(() => planSet({links: [tap0({flags: C.IFF_UP})], addresses: [addr(3, 'fd00::1', 64)]}, 'tap0', {routes: ['fd01::/64 via fd00::1']}))
    expect(e.code).toBe('GATEWAY_IS_LOCAL')
  })

  test('routes on a device that stays down are refused', () => {
    const e = refusal(() => planSet({links: [tap0()], addresses: [addr(3, '10.9.0.1', 24)]}, 'tap0', {routes: ['10.50.0.0/16']}))
    expect(e.code).toBe('ROUTE_NEEDS_UP')
  })

  test('existing addresses count for a gateway; addresses being removed do not', () => {
    const snap = {links: [tap0({flags: C.IFF_UP})], addresses: [addr(3, '10.9.0.1', 24)]}
    expect(kinds(planSet(snap, 'tap0', {routes: ['10.50.0.0/16 via 10.9.0.254']}))).toEqual(['+route 10.50.0.0/16 via 10.9.0.254'])
    expect(refusal(() => planSet(snap, 'tap0', {delAddresses: ['10.9.0.1/24'], routes: ['10.50.0.0/16 via 10.9.0.254']})).code).toBe('GATEWAY_UNREACHABLE')
  })

  test('apply: the addresses a device keeps count for its gateways and its MTU, as those it gains do', () => {
    const link = tap0({flags: C.IFF_UP | C.IFF_BROADCAST, alias: 'tunadm:/c.yaml'})
    const entry = (more: object) => desiredFromConfig({name: 'tap0', mode: 'tap', user: 1000, up: true, addresses: ['10.9.0.1/24', 'fd00::1/64'], ...more}, 'tunadm:/c.yaml', 0)
    const snap = staticSnapshot({links: [link], addresses: [addr(3, '10.9.0.1', 24), addr(3, 'fd00::1', 64)], routes: [route(3, '10.50.0.0', 16, {gateway: '10.9.0.254'})]})
    const opts: PlanOptions = {intent: 'apply'}
    expect(plan(snap, entry({routes: [{to: '10.50.0.0/16', via: '10.9.0.254'}]}), opts).action).toBe('unchanged')
    expect(refusal(() => plan(snap, entry({routes: [{to: '10.50.0.0/16', via: '10.8.0.254'}]}), opts)).code).toBe('GATEWAY_UNREACHABLE')
    expect(refusal(() => plan(snap, entry({routes: [{to: '10.50.0.0/16', via: '10.9.0.1'}]}), opts)).code).toBe('GATEWAY_IS_LOCAL')
    expect(refusal(() => plan(snap, entry({mtu: 1200}), opts)).code).toBe('MTU_TOO_SMALL_FOR_IPV6')
    // Another length is another address: the gateway is judged by the one the device will have.
    expect(refusal(() => plan(snap, entry({addresses: ['10.9.0.1/30'], routes: [{to: '10.50.0.0/16', via: '10.9.0.254'}]}), opts)).code).toBe('GATEWAY_UNREACHABLE')
  })

  test('a MAC on a TUN device, and a peer with a subnet local address, are refused', () => {
    expect(refusal(() => planSet({links: [tunLink('tun0', 2)]}, 'tun0', {mac: '02:00:00:00:00:02'})).code).toBe('MAC_ON_TUN')
    expect(refusal(() => desiredFromFlags('tun0', {addresses: ['10.0.0.1/24'], peer: '10.0.0.2'})).code).toBe('INVALID_PEER')
  })

  test('renaming onto an existing name is refused; an up device is renamed as it is (the kernel allows it)', () => {
    expect(refusal(() => planSet({links: [tap0(), tunLink('tun1', 4)]}, 'tap0', {rename: 'tun1'})).code).toBe('EEXIST')
    expect(kinds(planSet({links: [tap0({flags: C.IFF_UP})]}, 'tap0', {rename: 'vm1'}))).toEqual(['rename'])
    expect(kinds(planSet({links: [tap0({flags: C.IFF_UP})]}, 'tap0', {rename: 'vm1', up: true, downFirst: true}))).toEqual(['flags down', 'rename', 'flags up'])
  })

  test('an owner change on a held single-queue device is refused; multi-queue is fine', () => {
    const holders = new Map([['tap0', [{pid: 42, command: 'qemu', fd: 9, device: 'tap0'}]]])
    expect(refusal(() => planSet({links: [tap0()], holders}, 'tap0', {user: '0'})).code).toBe('EBUSY')
    const mq = tunLink('tap0', 3, {}, {type: 'tap', multiQueue: true})
    expect(kinds(planSet({links: [mq], holders, tunFlags: new Map([['tap0', 0x1102]])}, 'tap0', {user: '0'}))).toEqual(['owner'])
  })

  test('clearing an owner the kernel cannot unset is refused', () => {
    expect(refusal(() => planSet({links: [tap0()]}, 'tap0', {anyUser: true})).code).toBe('CANNOT_UNSET')
  })
})

describe('apply and adoption', () => {
  const marker = 'tunadm:/etc/tunadm/a.yaml'
  const entry = {name: 'tap0', mode: 'tap' as const, user: 1000}
  const opts: PlanOptions = {intent: 'apply'}

  test('a hand-made device is foreign unless --adopt; adopting marks it and puts it in the group', () => {
    const snap = staticSnapshot({links: [tap0()]})
    const e = refusal(() => plan(snap, desiredFromConfig(entry, marker, 7), opts))
    expect([e.code, e.exitCode]).toEqual(['FOREIGN', 1])
    const p = plan(snap, desiredFromConfig(entry, marker, 7), {...opts, adopt: true})
    expect(p.changes).toEqual([{what: 'managed', from: null, to: marker}, {what: 'link group', from: 0, to: 7}])
  })

  test('a device managed by another config is foreign too, and says whose it is', () => {
    const e = refusal(() => plan(staticSnapshot({links: [tap0({alias: 'tunadm:/etc/other.yaml'})]}), desiredFromConfig(entry, marker, 7), opts))
    expect(e.message).toContain('tunadm:/etc/other.yaml')
  })

  test('a new device: the plan lists what would be set, and persist comes last', () => {
    const d: DesiredDevice = desiredFromConfig({...entry, name: 'tap1', mtu: 9000, up: true, addresses: ['10.0.0.1/24']}, marker, 7)
    const p = plan(staticSnapshot({links: []}), d, opts)
    expect(p.action).toBe('create')
    expect(kinds(p)).toEqual(['create', 'link', 'flags up', '+addr 10.0.0.1/24', 'persist'])
    expect(p.changes.map((c) => c.what)).toEqual(['device', 'owner', 'mtu', 'up', 'address'])
  })

  test('a fixed difference needs --recreate, which deletes first', () => {
    const d = desiredFromConfig({...entry, multi_queue: true}, marker, 7)
    const snap = staticSnapshot({links: [tap0({alias: marker})]})
    expect(refusal(() => plan(snap, d, opts)).code).toBe('NEEDS_RECREATE')
    expect(kinds(plan(snap, d, {...opts, recreate: true})).slice(0, 2)).toEqual(['delete', 'create'])
  })

  test('a device of another kind is never touched', () => {
    const veth: Link = {index: 8, name: 'tap0', flags: 0, hwType: 1, kind: 'veth'}
    expect(refusal(() => plan(staticSnapshot({links: [veth]}), desiredFromConfig(entry, marker, 7), opts)).code).toBe('NOT_TUN')
  })
})

describe('TUN flags that only sysfs reports (napi): never changed unread', () => {
  // tap0 made elsewhere with IFF_TAP | IFF_NAPI | IFF_NO_PI (+ IFF_PERSIST): sysfs tun_flags 0x1812.
  const napiTap = () => tap0()
  const owner = (p: DevicePlan) => p.steps.find((s) => s.step.kind === 'owner')?.step as Extract<Step, {kind: 'owner'}>

  test('set --user attaches with every flag the device has, napi included (it was cleared: 0x1812 -> 0x1802)', () => {
    const p = planSet({links: [napiTap()], tunFlags: new Map([['tap0', 0x1812]])}, 'tap0', {user: '0'})
    expect(owner(p).attach).toBe(0x1012)
  })

  test('when tun_flags cannot be read, the owner change is refused, not made with napi guessed off', () => {
    const e = refusal(() => planSet({links: [napiTap()]}, 'tap0', {user: '0'}))
    expect([e.code, e.exitCode]).toEqual(['TUN_FLAGS_UNKNOWN', 1])
  })

  test('tun_flags that disagree with netlink (another namespace\'s device of that name) count as unreadable', () => {
    // 0x5812: vnet_hdr set, which netlink says this tap0 does not have.
    const e = refusal(() => planSet({links: [napiTap()], tunFlags: new Map([['tap0', 0x5812]])}, 'tap0', {user: '0'}))
    expect(e.code).toBe('TUN_FLAGS_UNKNOWN')
  })

  test('apply: napi is a creation flag, created with IFF_NAPI; a device without it needs --recreate', () => {
    const marker = 'tunadm:/c.yaml'
    const created = plan(staticSnapshot({links: []}), desiredFromConfig({name: 'tap1', mode: 'tap', user: 0, napi: true, napi_frags: true}, marker, 7), {intent: 'apply'})
    expect((created.steps[0].step as Extract<Step, {kind: 'create'}>).flags).toBe(0x1032)
    expect(created.changes[0]).toEqual({what: 'device', from: null, to: 'tap napi_frags napi tap1'})
    const d = desiredFromConfig({name: 'tap0', mode: 'tap', user: 1000, napi: true}, marker, 7)
    const e = refusal(() => plan(staticSnapshot({links: [tap0({alias: marker})], tunFlags: new Map([['tap0', 0x1802]])}), d, {intent: 'apply'}))
    expect([e.code, e.message]).toEqual(['NEEDS_RECREATE', 'tap0 differs in what cannot change in place: napi is false, the file says true'])
    expect(plan(staticSnapshot({links: [tap0({alias: marker, group: 7})], tunFlags: new Map([['tap0', 0x1812]])}), d, {intent: 'apply'}).action).toBe('unchanged')
  })
})

describe('deletion is a plan action with one busy rule (del, down, prune, recreate)', () => {
  const attached = () => tap0({carrier: true})
  const asks = ['del', 'remove'] as const

  test.each(asks)('%s: a device the kernel counts as attached, with no process here to name, is refused unless forced', (asker) => {
    const e = refusal(() => planDelete(staticSnapshot({links: [attached()]}), attached(), {asker}))
    expect([e.code, e.message]).toEqual(['EBUSY', 'tap0 has a program attached that tunadm cannot name'])
    expect(kinds(planDelete(staticSnapshot({links: [attached()]}), attached(), {asker, force: true}))).toEqual(['delete'])
  })

  test('a named holder is refused with its name; a multi-queue device counts its queues', () => {
    const holders = new Map([['tap0', [{pid: 42, command: 'qemu', fd: 9, device: 'tap0'}]]])
    expect(refusal(() => planDelete(staticSnapshot({links: [tap0()], holders}), tap0(), {asker: 'remove'})).message).toBe('tap0 is in use by qemu (pid 42)')
    const mq = tunLink('tap0', 3, {}, {type: 'tap', multiQueue: true, numQueues: 2})
    expect(refusal(() => planDelete(staticSnapshot({links: [mq]}), mq, {asker: 'del'})).why).toContain('2 queue(s) attached')
  })

  test('recreate uses the same rule', () => {
    const marker = 'tunadm:/c.yaml'
    const d = desiredFromConfig({name: 'tap0', mode: 'tap', user: 1000, multi_queue: true}, marker, 7)
    const e = refusal(() => plan(staticSnapshot({links: [tap0({alias: marker, carrier: true})]}), d, {intent: 'apply', recreate: true}))
    expect([e.code, e.message]).toEqual(['EBUSY', 'tap0 must be recreated (multi_queue is false, the file says true) but is in use by a program tunadm cannot name'])
  })
})
