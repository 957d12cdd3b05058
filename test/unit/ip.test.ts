/**
 * tunadm's own IPv4/IPv6 parsers against node:net (which they replace to keep its module out of the
 * start-up): the same answer for every text without a zone, and the same bytes as inet_pton would give.
 */
import * as net from 'node:net'
import fc from 'fast-check'
import {bytesToIp, ipToBytes, isIPv4, isIPv6} from '../../src/model/ip'

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

test('a zone is refused: an interface address has none', () => {
  expect(isIPv6('fe80::1%eth0')).toBe(false)
  expect(() => ipToBytes('fe80::1%eth0')).toThrow(/not an IPv4 or IPv6 address/)
  expect(ipToBytes('::ffff:192.0.2.1').toString('hex')).toBe('00000000000000000000ffffc0000201')
  expect(ipToBytes('fd00::1').toString('hex')).toBe('fd000000000000000000000000000001')
})
