/** formatMac: an Ethernet address made in one piece, held to the plain formula over random bytes and offsets. */
import fc from 'fast-check'
import {formatMac, parseMac} from '../../src/model/mac'

const plain = (b: Uint8Array, start: number, end: number) => Array.from(b.subarray(start, end), (x) => x.toString(16).padStart(2, '0')).join(':')

test('formatMac writes aa:bb:cc:dd:ee:ff as the byte-by-byte formula does, at any offset and length', () => {
  fc.assert(fc.property(fc.uint8Array({minLength: 0, maxLength: 24}), fc.nat(24), fc.nat(24), (bytes, a, b) => {
    const start = Math.min(a, bytes.length)
    const end = Math.min(Math.max(start, b), bytes.length)
    expect(formatMac(bytes, start, end)).toBe(plain(bytes, start, end))
    // Six bytes at an offset: the one-piece path.
    if (bytes.length >= start + 6) expect(formatMac(bytes, start, start + 6)).toBe(plain(bytes, start, start + 6))
  }), {seed: 20261203, numRuns: 500})
  expect(formatMac(Buffer.from([0, 0x0f, 0xf0, 0xff, 0x10, 0x01]))).toBe('00:0f:f0:ff:10:01')
  expect(formatMac(parseMac('02:AA:0b:c:d:E'))).toBe('02:aa:0b:0c:0d:0e')
  expect(formatMac(Buffer.alloc(0))).toBe('')
})
