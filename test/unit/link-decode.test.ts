/**
 * The link decoder on the messages a dump of TUN/TAP devices is made of (every attribute the kernel sends
 * a tun link, in its order, among others it sends that tunadm does not read), against the values the
 * message was written from: decodeLink takes such a device's Link in one literal and every other link
 * field by field, and both must give exactly the fields (present or absent) the values call for. The
 * MAC's six-byte text is held to the formula for any length.
 */
import fc from 'fast-check'
import * as C from '../../src/kernel/constants'
import {Link, attr, attrNested, decodeLink, encodeIfinfomsg} from '../../src/kernel/netlink-codec'

const params = {seed: 20261203, numRuns: 600}

const u8 = (type: number, v: number) => attr(type, Buffer.from([v]))
const u32 = (type: number, v: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(v >>> 0)
  return attr(type, b)
}
const text = (type: number, s: string) => attr(type, Buffer.concat([Buffer.from(s), Buffer.alloc(1)]))
const hexOf = (bytes: Uint8Array) => [...bytes].map((x) => x.toString(16).padStart(2, '0')).join(':')

/** A tun link as the kernel describes it, with what may vary (and the attributes tunadm skips). */
const device = fc.record({
  index: fc.integer({min: 1, max: 0x7fffffff}),
  flags: fc.integer({min: 0, max: 0xffffffff}),
  name: fc.string({minLength: 1, maxLength: 15}).filter((s) => !s.includes('\0')),
  mtu: fc.integer({min: 68, max: 65535}),
  txqlen: fc.nat(),
  group: fc.nat(),
  tap: fc.boolean(),
  mac: fc.uint8Array({minLength: 6, maxLength: 6}),
  oper: fc.option(fc.integer({min: 0, max: 9}), {nil: undefined}),
  carrier: fc.option(fc.integer({min: 0, max: 1}), {nil: undefined}),
  alias: fc.option(fc.string({maxLength: 8}).filter((s) => !s.includes('\0')), {nil: undefined}),
  master: fc.option(fc.integer({min: 1, max: 99}), {nil: undefined}),
  port: fc.option(fc.record({kind: fc.constantFrom('bridge', 'bond'), state: fc.option(fc.integer({min: 0, max: 6}), {nil: undefined})}), {nil: undefined}),
  owner: fc.option(fc.oneof(fc.nat(), fc.constant(C.ID_UNSET)), {nil: undefined}),
  tunGroup: fc.option(fc.oneof(fc.nat(), fc.constant(C.ID_UNSET)), {nil: undefined}),
  pi: fc.integer({min: 0, max: 1}),
  vnetHdr: fc.integer({min: 0, max: 1}),
  multiQueue: fc.integer({min: 0, max: 1}),
  queues: fc.option(fc.nat(16), {nil: undefined}),
  dataFirst: fc.boolean(),
})

type Device = typeof device extends fc.Arbitrary<infer T> ? T : never

function message(d: Device): Buffer {
  const tunData = attrNested(C.IFLA_INFO_DATA, [
    ...(d.owner !== undefined ? [u32(C.IFLA_TUN_OWNER, d.owner)] : []),
    ...(d.tunGroup !== undefined ? [u32(C.IFLA_TUN_GROUP, d.tunGroup)] : []),
    u8(C.IFLA_TUN_TYPE, d.tap ? C.IFF_TAP : C.IFF_TUN), u8(C.IFLA_TUN_PI, d.pi), u8(C.IFLA_TUN_VNET_HDR, d.vnetHdr),
    u8(C.IFLA_TUN_PERSIST, 1), u8(C.IFLA_TUN_MULTI_QUEUE, d.multiQueue),
    ...(d.queues !== undefined ? [u32(C.IFLA_TUN_NUM_QUEUES, d.queues), u32(C.IFLA_TUN_NUM_DISABLED_QUEUES, 0)] : []),
  ])
  const kind = text(C.IFLA_INFO_KIND, 'tun')
  const port = d.port
    ? [text(C.IFLA_INFO_SLAVE_KIND, d.port.kind), attrNested(C.IFLA_INFO_SLAVE_DATA, d.port.state !== undefined ? [u8(C.IFLA_BRPORT_STATE, d.port.state)] : [])]
    : []
  const info = attrNested(C.IFLA_LINKINFO, d.dataFirst ? [tunData, kind, ...port] : [kind, tunData, ...port])
  const header = encodeIfinfomsg(d.index, C.AF_UNSPEC, d.flags)
  header.writeUInt16LE(d.tap ? 1 : 65534, 2)
  return Buffer.concat([
    header, text(C.IFLA_IFNAME, d.name), u32(C.IFLA_TXQLEN, d.txqlen),
    ...(d.oper !== undefined ? [u8(C.IFLA_OPERSTATE, d.oper)] : []),
    u8(17 /* IFLA_LINKMODE */, 0), u32(C.IFLA_MTU, d.mtu), u32(C.IFLA_MIN_MTU, 68), u32(C.IFLA_MAX_MTU, 65521), u32(C.IFLA_GROUP, d.group),
    u32(30 /* IFLA_PROMISCUITY */, 0), u32(31 /* IFLA_NUM_TX_QUEUES */, 1), u32(32 /* IFLA_NUM_RX_QUEUES */, 1),
    ...(d.carrier !== undefined ? [u8(C.IFLA_CARRIER, d.carrier)] : []),
    u32(35 /* IFLA_CARRIER_CHANGES */, 2), attr(14 /* IFLA_MAP */, Buffer.alloc(32)),
    ...(d.tap ? [attr(C.IFLA_ADDRESS, d.mac), attr(2 /* IFLA_BROADCAST */, Buffer.alloc(6, 0xff))] : []),
    ...(d.alias !== undefined ? [text(C.IFLA_IFALIAS, d.alias)] : []),
    ...(d.master !== undefined ? [u32(C.IFLA_MASTER, d.master)] : []),
    attrNested(43 /* IFLA_XDP */, [u8(1, 0)]), info,
    attrNested(26 /* IFLA_AF_SPEC */, [attrNested(2, [attr(1, Buffer.alloc(140))]), attrNested(10, [attr(1, Buffer.alloc(236))])]),
  ])
}

/** The Link those values make, field by field from the values themselves. */
function expected(d: Device): Link {
  const link: Link = {
    index: d.index, hwType: d.tap ? 1 : 65534, flags: d.flags, name: d.name, mtu: d.mtu, minMtu: 68, maxMtu: 65521,
    txqlen: d.txqlen, alias: d.alias || undefined, group: d.group, master: d.master,
  }
  if (d.tap) link.mac = hexOf(d.mac)
  if (d.oper !== undefined) link.operstate = C.OPERSTATES[d.oper] ?? String(d.oper)
  if (d.carrier !== undefined) link.carrier = d.carrier === 1
  link.kind = 'tun'
  link.tun = {
    type: d.tap ? 'tap' : 'tun', owner: d.owner === C.ID_UNSET ? undefined : d.owner, group: d.tunGroup === C.ID_UNSET ? undefined : d.tunGroup,
    pi: d.pi === 1, vnetHdr: d.vnetHdr === 1, persist: true, multiQueue: d.multiQueue === 1,
    numQueues: d.queues, numDisabledQueues: d.queues !== undefined ? 0 : undefined,
  }
  if (d.port) {
    link.port = {kind: d.port.kind}
    if (d.port.kind === 'bridge' && d.port.state !== undefined) link.port.state = C.BRPORT_STATES[d.port.state] ?? String(d.port.state)
  }
  return link
}

describe('decodeLink on the links of a TUN/TAP dump', () => {
  test('the fields the message was written from, present or absent, in any receive buffer', () => {
    fc.assert(fc.property(device, fc.integer({min: 0, max: 3}), (d, shift) => {
      const m = message(d)
      const memory = Buffer.alloc(m.length + 8)
      m.copy(memory, shift)
      const got = decodeLink(memory.subarray(shift, shift + m.length))
      expect(got).toStrictEqual(expected(d))
      expect(JSON.stringify(got)).toBe(JSON.stringify(expected(d)))
    }), params)
  })

  test('a repeated attribute: the last one counts, an empty last one reads as absent', () => {
    const d = {index: 3, name: 'tap3'}
    const m = Buffer.concat([
      encodeIfinfomsg(d.index), text(C.IFLA_IFNAME, 'old'), text(C.IFLA_IFNAME, d.name), u8(C.IFLA_OPERSTATE, 6), attr(C.IFLA_OPERSTATE, Buffer.alloc(0)),
      u8(C.IFLA_CARRIER, 1), attr(C.IFLA_ADDRESS, Buffer.from([2, 0, 0, 0, 0, 1])), attr(C.IFLA_ADDRESS, Buffer.from([2, 0, 0, 0, 0, 0xab])),
      attrNested(C.IFLA_LINKINFO, [text(C.IFLA_INFO_KIND, 'tun'), attrNested(C.IFLA_INFO_DATA, [u8(C.IFLA_TUN_TYPE, C.IFF_TAP), u8(C.IFLA_TUN_TYPE, C.IFF_TUN)])]),
    ])
    const link = decodeLink(m)
    expect(link.name).toBe('tap3')
    expect('operstate' in link).toBe(false)
    expect(link.mac).toBe('02:00:00:00:00:ab')
    expect(link.tun?.type).toBe('tun')
  })
})
