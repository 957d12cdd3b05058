/**
 * A dump's messages are decoded where they lie in the receive buffer (decodeLinkAt, decodeAddressAt,
 * checkMessages before the walk): each must give exactly what the decoders of a message's own payload
 * give (decodeLink, decodeAddress, decodeMessages), the same values or the same error, at any offset.
 */
import fc from 'fast-check'
import * as C from '../../src/kernel/constants'
import {
  Address, NetlinkParseError, attr, attrNested, attrString, attrU32, checkMessages, decodeAddress, decodeAddressAt, decodeAttrs,
  decodeLink, decodeLinkAt, decodeMessages, encodeIfaddrmsg, encodeIfinfomsg, encodeMessage,
} from '../../src/kernel/netlink-codec'
import {bytesToIp} from '../../src/model/ip'

const params = {seed: 20261203, numRuns: 1500}

/** What a call gives: its value, or its error's class and message. */
function outcome<T>(f: () => T): {value: T} | {error: string} {
  try {
    return {value: f()}
  } catch (err) {
    return {error: `${(err as Error).name}: ${(err as Error).message}`}
  }
}

/** `payload` between `before` and `after` bytes of other data, and where it starts and ends there. */
function embedded(payload: Buffer, before: number, after: number, fill: number): {buf: Buffer; start: number; end: number} {
  return {buf: Buffer.concat([Buffer.alloc(before, fill), payload, Buffer.alloc(after, fill)]), start: before, end: before + payload.length}
}

const linkAttr = fc.oneof(
  fc.record({type: fc.constantFrom(C.IFLA_IFNAME, C.IFLA_IFALIAS), text: fc.stringMatching(/^[a-z0-9:/.]{0,20}$/)}).map(({type, text}) => attrString(type, text)),
  fc.record({type: fc.constantFrom(C.IFLA_MTU, C.IFLA_MIN_MTU, C.IFLA_MAX_MTU, C.IFLA_TXQLEN, C.IFLA_GROUP, C.IFLA_MASTER), v: fc.integer({min: 0, max: 0xffffffff})}).map(({type, v}) => attrU32(type, v)),
  fc.record({type: fc.constantFrom(C.IFLA_ADDRESS, C.IFLA_OPERSTATE, C.IFLA_CARRIER, 200), data: fc.uint8Array({maxLength: 8})}).map(({type, data}) => attr(type, data)),
  fc.record({kind: fc.constantFrom('tun', 'bridge', 'veth'), tunType: fc.constantFrom(C.IFF_TUN, C.IFF_TAP), owner: fc.integer({min: 0, max: 0xffffffff}), port: fc.boolean()}).map(({kind, tunType, owner, port}) =>
    attrNested(C.IFLA_LINKINFO, [
      attrString(C.IFLA_INFO_KIND, kind),
      attrNested(C.IFLA_INFO_DATA, [attr(C.IFLA_TUN_TYPE, Buffer.from([tunType])), attrU32(C.IFLA_TUN_OWNER, owner), attr(C.IFLA_TUN_MULTI_QUEUE, Buffer.from([1]))]),
      ...(port ? [attrString(C.IFLA_INFO_SLAVE_KIND, 'bridge'), attrNested(C.IFLA_INFO_SLAVE_DATA, [attr(C.IFLA_BRPORT_STATE, Buffer.from([3]))])] : []),
    ])),
  // Malformed: a length shorter than a header, or running past the message.
  fc.constantFrom(Buffer.from([2, 0, 3, 0]), Buffer.from([40, 0, 3, 0, 1, 2])),
)

const linkPayload = fc.record({index: fc.integer({min: 1, max: 0x7fffffff}), flags: fc.integer({min: 0, max: 0xffff}), attrs: fc.array(linkAttr, {maxLength: 8}), cut: fc.nat(8)})
  .map(({index, flags, attrs, cut}) => {
    const whole = Buffer.concat([encodeIfinfomsg(index, C.AF_UNSPEC, flags), ...attrs])
    return whole.subarray(0, Math.max(0, whole.length - (cut < 4 ? cut : 0)))
  })

const addressPayload = fc.record({
  family: fc.constantFrom<4 | 6>(4, 6), len: fc.nat(128), index: fc.integer({min: 1, max: 0xffff}),
  local: fc.option(fc.uint8Array({minLength: 4, maxLength: 16})), address: fc.option(fc.uint8Array({minLength: 4, maxLength: 16})),
  label: fc.option(fc.stringMatching(/^[a-z0-9]{0,15}$/)), cut: fc.nat(6),
}).map(({family, len, index, local, address, label, cut}) => {
  const parts = [encodeIfaddrmsg(family, len % (family === 4 ? 33 : 129), index)]
  if (local) parts.push(attr(C.IFA_LOCAL, local))
  if (address) parts.push(attr(C.IFA_ADDRESS, address))
  if (label !== null) parts.push(attrString(C.IFA_LABEL, label))
  const whole = Buffer.concat(parts)
  return whole.subarray(0, whole.length - (cut < 3 ? cut : 0))
})

/** An address message read through the generic attribute table (decodeAttrs), as the decoder read it before its one pass. */
function addressByTable(p: Buffer): Address {
  if (p.length < C.IFADDRMSG_LEN) throw new NetlinkParseError(`ifaddrmsg of ${p.length} bytes`)
  const m = decodeAttrs(p, C.IFADDRMSG_LEN)
  const local = m.get(C.IFA_LOCAL)
  const address = m.get(C.IFA_ADDRESS)
  const flags = m.get(C.IFA_FLAGS)
  const label = m.get(C.IFA_LABEL)
  const nul = label ? label.indexOf(0) : -1
  const out: Address = {
    family: p[0] === C.AF_INET6 ? 6 : 4, prefixLen: p[1], flags: flags && flags.length >= 4 ? flags.readUInt32LE(0) : p[2], scope: p[3],
    index: p.readUInt32LE(4), address: local ? bytesToIp(local) : address ? bytesToIp(address) : '',
    label: label ? label.toString('utf8', 0, nul < 0 ? label.length : nul) : undefined,
  }
  if (local && address && !local.equals(address)) out.peer = bytesToIp(address)
  return out
}

describe('decoding a message where it lies', () => {
  test('a link: decodeLinkAt at any offset gives what decodeLink gives of its payload (fields or error)', () => {
    fc.assert(fc.property(fc.oneof(linkPayload, fc.uint8Array({maxLength: 80}).map((b) => Buffer.from(b))), fc.nat(9), fc.nat(5), fc.integer({min: 0, max: 255}), (payload, before, after, fill) => {
      const {buf, start, end} = embedded(payload, before, after, fill)
      expect(outcome(() => decodeLinkAt(buf, start, end))).toEqual(outcome(() => decodeLink(Buffer.from(payload))))
    }), params)
  })

  test('an address: decodeAddressAt at any offset gives what decodeAddress gives of its payload (fields or error)', () => {
    fc.assert(fc.property(fc.oneof(addressPayload, fc.uint8Array({maxLength: 60}).map((b) => Buffer.from(b))), fc.nat(9), fc.nat(5), fc.integer({min: 0, max: 255}), (payload, before, after, fill) => {
      const {buf, start, end} = embedded(payload, before, after, fill)
      expect(outcome(() => decodeAddressAt(buf, start, end))).toEqual(outcome(() => decodeAddress(Buffer.from(payload))))
      // Both as the generic attribute table reads the message (key order included).
      const table = outcome(() => addressByTable(Buffer.from(payload)))
      const got = outcome(() => decodeAddress(Buffer.from(payload)))
      expect(got).toEqual(table)
      if ('value' in got && 'value' in table) expect(Object.keys(got.value)).toEqual(Object.keys(table.value))
    }), params)
  })

  test('a datagram: checkMessages refuses what decodeMessages refuses, with its words, and passes what it decodes', () => {
    const message = fc.record({type: fc.integer({min: 0, max: 0xffff}), payload: fc.uint8Array({maxLength: 24})}).map(({type, payload}) => encodeMessage(type, 0, 1, Buffer.from(payload)))
    const datagram = fc.oneof(
      fc.array(message, {maxLength: 5}).map((ms) => Buffer.concat(ms)),
      fc.tuple(fc.array(message, {maxLength: 3}), fc.uint8Array({maxLength: 24})).map(([ms, junk]) => Buffer.concat([...ms, Buffer.from(junk)])),
    )
    fc.assert(fc.property(datagram, fc.nat(8), (buf, extra) => {
      // A receive buffer is longer than the datagram in it: only `length` bytes count.
      const rx = Buffer.concat([buf, Buffer.alloc(extra, 0xff)])
      const decoded = outcome(() => decodeMessages(rx, buf.length))
      const checked = outcome(() => checkMessages(rx, buf.length))
      if ('error' in decoded) expect(checked).toEqual(decoded)
      else expect(checked).toEqual({value: undefined})
    }), params)
  })

  test('a name or alias of any bytes reads as its bytes up to the first NUL, decoded as UTF-8 (invalid sequences and NULs anywhere)', () => {
    const upToNul = (b: Uint8Array) => {
      const nul = b.indexOf(0)
      return Buffer.from(nul < 0 ? b : b.subarray(0, nul)).toString('utf8')
    }
    const bytes = fc.uint8Array({maxLength: 40}).chain((b) => fc.constantFrom(b, Uint8Array.from([...b, 0]), Uint8Array.from(b.map((x) => x | 0x80))))
    fc.assert(fc.property(bytes, bytes, fc.nat(7), (name, alias, before) => {
      const payload = Buffer.concat([encodeIfinfomsg(3), attr(C.IFLA_IFNAME, name), attr(C.IFLA_IFALIAS, alias)])
      const {buf, start, end} = embedded(payload, before, 0, 0)
      const link = decodeLinkAt(buf, start, end)
      expect(link.name).toBe(upToNul(name))
      expect(link.alias).toBe(upToNul(alias) || undefined)
      expect(decodeLink(payload)).toEqual(link)
    }), params)
  })
})
