/**
 * compareNames, rewritten for speed (digits tested in place), held to the formula it replaced: the same
 * result, to the number, for any two names; and the order it gives.
 */
import fc from 'fast-check'
import {compareNames} from '../../src/model/natural'

/** compareNames as it was written before. */
function reference(a: string, b: string): number {
  const isDigit = (c: number) => c >= 48 && c <= 57
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(j)
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i
      let ej = j
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++
      let si = i
      let sj = j
      while (si < ei - 1 && a.charCodeAt(si) === 48) si++
      while (sj < ej - 1 && b.charCodeAt(sj) === 48) sj++
      const byLength = ei - si - (ej - sj)
      if (byLength !== 0) return byLength
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k)
        if (d !== 0) return d
      }
      const zeros = ei - i - (ej - j)
      if (zeros !== 0) return zeros
      i = ei
      j = ej
      continue
    }
    if (ca !== cb) return ca - cb
    i++
    j++
  }
  return a.length - i - (b.length - j)
}

describe('compareNames', () => {
  test('the same result as the formula it replaced, for any two names', () => {
    // Names made mostly of digits, the characters next to them ('/' and ':') and a few others, so that runs,
    // leading zeros and their edges are met often; and any text at all.
    const name = fc.oneof(
      fc.array(fc.constantFrom('0', '1', '9', '00', '/', ':', 'a', 'p', 't', '-', '\u0660', '\uff10'), {maxLength: 10}).map((parts) => parts.join('')),
      fc.string({maxLength: 12}),
      fc.string({unit: 'grapheme', maxLength: 8}),
    )
    fc.assert(fc.property(name, name, (a, b) => {
      expect(compareNames(a, b)).toBe(reference(a, b))
      expect(compareNames(b, a)).toBe(reference(b, a))
    }), {seed: 23, numRuns: 5000})
  })

  test('natural order', () => {
    const names = ['tap10', 'tap9', 'tun01', 'tun1', 'tap', 'tap09', 'br0', 'tap9a', 'tap9.1', 'tap10x', 'tun0001', 'a18446744073709551617', 'a18446744073709551616']
    expect([...names].sort(compareNames)).toEqual([
      // A run's value first, then its leading zeros (tap9.1 before tap09: 9 and 09 tie on value, and 9 has fewer zeros).
      'a18446744073709551616', 'a18446744073709551617', 'br0', 'tap', 'tap9', 'tap9.1', 'tap9a', 'tap09', 'tap10', 'tap10x', 'tun1', 'tun01', 'tun0001',
    ])
  })
})
