/** Ethernet MAC addresses: parse, validate (unicast, not all-zero), format. Pure. */
import {InvalidInputError} from '../errors'

const FORMS = [
  /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i,
  /^([0-9a-f]{2})([0-9a-f]{2})\.([0-9a-f]{2})([0-9a-f]{2})\.([0-9a-f]{2})([0-9a-f]{2})$/i,
  /^([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i,
]

export function parseMac(text: string, what = '--mac'): Buffer {
  const m = FORMS.map((re) => re.exec(text.trim())).find(Boolean)
  if (!m) {
    throw new InvalidInputError(`${what} "${text}" is not a MAC address`, {code: 'INVALID_MAC', fix: 'write six hex bytes, e.g. 02:00:5e:10:00:01'})
  }
  const bytes = Buffer.from(m.slice(1, 7).map((h) => parseInt(h, 16)))
  if (bytes.every((b) => b === 0)) {
    throw new InvalidInputError(`${what} ${text} is all zeros`, {code: 'INVALID_MAC', why: 'the kernel and every peer treat 00:00:00:00:00:00 as "no address"'})
  }
  if (bytes[0] & 1) {
    throw new InvalidInputError(`${what} ${text} is a multicast address (the lowest bit of the first byte is set)`, {
      code: 'INVALID_MAC', why: 'a device needs a unicast address',
      fix: `use an even first byte; locally administered addresses start with x2, x6, xa or xe, e.g. ${formatMac(Buffer.from([(bytes[0] & 0xfe) | 2, ...bytes.subarray(1)]))}`,
    })
  }
  return bytes
}

/** Two hex digits per byte value, made on first use: list formats a MAC per device. */
let hexPairs: string[] | undefined
/** The same digits as character codes, the first and the second of each byte value. */
let hexHigh: Uint8Array | undefined
let hexLow: Uint8Array | undefined

/** Bytes `start` to `end` of `b` (all of it by default) as aa:bb:cc...; a link dump reads them in place. */
export function formatMac(b: Uint8Array, start = 0, end = b.length): string {
  // An Ethernet address, the one a list formats per device: its 17 characters as one flat string, at
  // once (concatenating eleven pieces made a string of eleven parts to copy again when printed).
  if (end - start === 6) {
    if (hexHigh === undefined || hexLow === undefined) {
      hexHigh = new Uint8Array(256)
      hexLow = new Uint8Array(256)
      for (let x = 0; x < 256; x++) {
        hexHigh[x] = '0123456789abcdef'.charCodeAt(x >> 4)
        hexLow[x] = '0123456789abcdef'.charCodeAt(x & 15)
      }
    }
    const hi = hexHigh
    const lo = hexLow
    const p = b[start]
    const q = b[start + 1]
    const r = b[start + 2]
    const s = b[start + 3]
    const t = b[start + 4]
    const u = b[start + 5]
    return String.fromCharCode(hi[p], lo[p], 58, hi[q], lo[q], 58, hi[r], lo[r], 58, hi[s], lo[s], 58, hi[t], lo[t], 58, hi[u], lo[u])
  }
  const hex = (hexPairs ??= Array.from({length: 256}, (_, x) => x.toString(16).padStart(2, '0')))
  let text = end > start ? hex[b[start]] : ''
  for (let i = start + 1; i < end; i++) text += ':' + hex[b[i]]
  return text
}
