/**
 * tunadm's own IPv4/IPv6 parsers against node:net (which they replace to keep its module out of the
 * start-up): the same answer for every text without a zone, and the same bytes as inet_pton would give.
 */
import * as net from 'node:net'
import fc from 'fast-check'
import {bytesToIp, ipTextAt, ipToBytes, isIPv4, isIPv6} from '../../src/model/ip'

const params = {seed: 20261202, numRuns: 5000}

/** Texts near the valid forms: groups, octets, colons, dots and junk, joined at random. */
const nearIp = fc.array(fc.oneof(
  fc.constantFrom(':', '::', '.', '0', '00', '1', '255', '256', '01', 'ffff', 'FFFF', '12345', 'g', '1.2.3.4', '', ' ', '-'),
  fc.integer({min: 0, max: 0xffff}).map((n) => n.toString(16)),
  fc.integer({min: 0, max: 300}).map(String),
), {maxLength: 12}).map((parts) => parts.join(''))

test('the same verdicts as node:net for texts without a zone', () => {
  fc.assert(fc.property(fc.oneof(nearIp, fc.ipV4(), fc.ipV6(), fc.string()), (text) => {
    fc.pre(!text.includes('%'))
    expect([text, isIPv4(text), isIPv6(text)]).toEqual([text, net.isIPv4(text), net.isIPv6(text)])
  }), params)
})

test('valid addresses round-trip through bytes as the kernel writes them', () => {
  fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
    const bytes = ipToBytes(text)
    expect(bytes.length).toBe(text.includes(':') ? 16 : 4)
    expect(ipToBytes(bytesToIp(bytes))).toEqual(bytes)
  }), params)
})

test('IPv6 text is RFC 5952\'s (the URL standard\'s serialisation): the longest run of zero groups compressed, the first on a tie', () => {
  const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({min: 0, max: 0xffff}))
  fc.assert(fc.property(fc.array(group, {minLength: 8, maxLength: 8}), fc.integer({min: 0, max: 5}), (groups, pad) => {
    const full = groups.map((g) => g.toString(16)).join(':')
    const bytes = Buffer.alloc(16)
    groups.forEach((g, i) => bytes.writeUInt16BE(g, 2 * i))
    const expected = new URL(`http://[${full}]/`).hostname.slice(1, -1)
    expect(bytesToIp(bytes)).toBe(expected)
    // In place, inside a larger buffer, as the netlink decoders read it.
    const padded = Buffer.concat([Buffer.alloc(pad, 0xff), bytes, Buffer.alloc(3, 0xff)])
    expect(ipTextAt(padded, pad, 16)).toBe(expected)
  }), params)
  expect(bytesToIp(Buffer.from([192, 0, 2, 255]))).toBe('192.0.2.255')
  expect(ipTextAt(Buffer.from([9, 10, 0, 0, 1, 9]), 1, 4)).toBe('10.0.0.1')
  expect(bytesToIp(Buffer.from([1, 2, 0xab]))).toBe('0102ab')
})

test('a zone is refused: an interface address has none', () => {
  expect(isIPv6('fe80::1%eth0')).toBe(false)
  expect(() => ipToBytes('fe80::1%eth0')).toThrow(/not an IPv4 or IPv6 address/)
  expect(ipToBytes('::ffff:192.0.2.1').toString('hex')).toBe('00000000000000000000ffffc0000201')
  expect(ipToBytes('fd00::1').toString('hex')).toBe('fd000000000000000000000000000001')
})

test('parsePrefix reads ADDRESS/LENGTH as the plain rule says, also on its fast path for IPv4', () => {
  const {parsePrefix} = require('../../src/model/ip') as typeof import('../../src/model/ip')
  const lengths = fc.oneof(fc.integer({min: 0, max: 140}).map(String), fc.constantFrom('', '08', '032', '1x', ' 8', '-1', '3.5'))
  fc.assert(fc.property(fc.oneof(nearIp, fc.ipV4(), fc.ipV6()), lengths, (addr, len) => {
    fc.pre(!addr.includes('%') && !addr.includes('/'))
    const text = `${addr}/${len}`
    const family = net.isIPv4(addr) ? 4 : net.isIPv6(addr) ? 6 : undefined
    const ok = family !== undefined && /^\d{1,3}$/.test(len) && Number(len) <= (family === 4 ? 32 : 128)
    let got: unknown
    try {
      const p = parsePrefix(text, 'x')
      got = {family: p.family, address: p.address, hex: p.bytes.toString('hex'), prefixLen: p.prefixLen}
    } catch {
      got = 'refused'
    }
    expect([text, got]).toEqual([text, ok ? {family, address: addr, hex: ipToBytes(addr).toString('hex'), prefixLen: Number(len)} : 'refused'])
  }), params)
})

test('an IPv4 prefix made on the fast path is a value like any other, kept by its text', () => {
  const {parsePrefix} = require('../../src/model/ip') as typeof import('../../src/model/ip')
  const p = parsePrefix('10.20.30.40/24', 'x')
  // Spread, compared and written as JSON as a prefix with its bytes in place: the same fields, in the same order.
  const plain = {family: 4, address: '10.20.30.40', bytes: Buffer.from([10, 20, 30, 40]), prefixLen: 24}
  expect(p).toEqual(plain)
  expect({...p}).toEqual(plain)
  expect(Object.keys(p)).toEqual(['family', 'address', 'bytes', 'prefixLen'])
  expect(JSON.stringify(p)).toBe(JSON.stringify(plain))
  expect(parsePrefix('10.20.30.40/24', 'y')).toBe(p)
})
