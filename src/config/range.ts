/**
 * Compact device ranges: one entry named "tap{0..63}" stands for tap0, tap1, ... tap63. As in the
 * shell's brace expansion, a bound written with a leading zero pads every number to the same width
 * ("vm{00..15}" gives vm00 ... vm15). Pure.
 */

/** More than this in one entry is almost certainly a typo (and would take minutes to create). */
export const MAX_RANGE = 4096

const RANGE = /\{(\d+)\.\.(\d+)\}/

export interface Expansion {
  names: string[]
  /** True when the entry was a range (even of one device). */
  isRange: boolean
}

/** Expand a name; throws an Error whose message says what is wrong and what was expected. */
export function expandName(pattern: string): Expansion {
  const braces = (pattern.match(/[{}]/g) ?? []).length
  const m = RANGE.exec(pattern)
  if (!m) {
    if (braces > 0) throw new Error(`"${pattern}" is not a valid range; expected one {FIRST..LAST} with whole numbers, e.g. tap{0..63}`)
    return {names: [pattern], isRange: false}
  }
  if (braces !== 2) throw new Error(`"${pattern}" has more than one range; expected exactly one {FIRST..LAST}`)
  const [whole, a, b] = m
  const first = Number(a)
  const last = Number(b)
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) {
    throw new Error(`the range {${a}..${b}} counts down or is too large; expected FIRST <= LAST, e.g. {0..63}`)
  }
  const count = last - first + 1
  if (count > MAX_RANGE) throw new Error(`the range {${a}..${b}} makes ${count} devices; at most ${MAX_RANGE} per entry`)
  const padded = (a.length > 1 && a.startsWith('0')) || (b.length > 1 && b.startsWith('0'))
  const width = padded ? Math.max(a.length, b.length) : 0
  const head = pattern.slice(0, m.index)
  const tail = pattern.slice(m.index + whole.length)
  const names: string[] = []
  for (let n = first; n <= last; n++) names.push(head + String(n).padStart(width, '0') + tail)
  return {names, isRange: true}
}
