/**
 * IP addresses and prefixes as bytes and text. Pure; used for validation and for netlink.
 * The parsers are this module's own rather than node:net's isIPv4/isIPv6 (whose module costs ~2 ms at
 * every start): the same forms, held to node:net by a property test, except that an IPv6 zone
 * ("fe80::1%eth0") is refused: an interface address has no zone, and the bytes would have dropped it.
 */
import {InvalidInputError} from '../errors'

const GROUP = /^[0-9a-fA-F]{1,4}$/

/**
 * A dotted-quad IPv4 address in text[from, to) (no leading zeros, as inet_pton) as an unsigned 32-bit
 * number, or -1. Read character by character: apply and list read thousands of addresses at every run.
 */
export function ipv4Number(text: string, from = 0, to = text.length): number {
  let value = 0
  let octets = 0
  let i = from
  while (i < to) {
    const start = i
    let octet = 0
    while (i < to) {
      const c = text.charCodeAt(i)
      if (c < 0x30 || c > 0x39) break
      octet = octet * 10 + (c - 0x30)
      i++
    }
    const digits = i - start
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && text.charCodeAt(start) === 0x30)) return -1
    value = value * 256 + octet
    octets++
    if (i === to) break
    if (text.charCodeAt(i) !== 0x2e /* . */ || octets === 4) return -1
    i++
    if (i === to) return -1
  }
  return octets === 4 ? value : -1
}

/** The four bytes of a dotted-quad IPv4 address (no leading zeros, as inet_pton), or undefined. */
function parseIPv4(text: string): number[] | undefined {
  const n = ipv4Number(text)
  return n < 0 ? undefined : [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]
}

function ipv4Bytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(4)
  b[0] = n >>> 24
  b[1] = (n >>> 16) & 255
  b[2] = (n >>> 8) & 255
  b[3] = n & 255
  return b
}

/** The sixteen bytes of an IPv6 address (RFC 4291 text forms, an IPv4 tail allowed), or undefined. */
function parseIPv6(text: string): Buffer | undefined {
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const side = (s: string): number[] | undefined => {
    if (s === '') return []
    const words: number[] = []
    const groups = s.split(':')
    for (const [i, g] of groups.entries()) {
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g)
        if (!v4) return undefined
        words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3])
      } else if (GROUP.test(g)) words.push(parseInt(g, 16))
      else return undefined
    }
    return words
  }
  const left = side(halves[0])
  const right = halves.length === 2 ? side(halves[1]) : []
  if (!left || !right) return undefined
  // An IPv4 tail only at the very end.
  if (halves.length === 2 && halves[0].includes('.')) return undefined
  const n = left.length + right.length
  if (halves.length === 1 ? n !== 8 : n > 7) return undefined
  const words = [...left, ...new Array(8 - n).fill(0), ...right]
  const buf = Buffer.alloc(16)
  words.forEach((w, i) => buf.writeUInt16BE(w, i * 2))
  return buf
}

export function isIPv4(text: string): boolean {
  return ipv4Number(text) >= 0
}

export function isIPv6(text: string): boolean {
  return parseIPv6(text) !== undefined
}

export type Family = 4 | 6

export interface Prefix {
  family: Family
  address: string
  bytes: Buffer
  prefixLen: number
}

export function ipFamily(text: string): Family | undefined {
  if (isIPv4(text)) return 4
  if (isIPv6(text)) return 6
  return undefined
}

export function ipToBytes(text: string): Buffer {
  const v4 = ipv4Number(text)
  if (v4 >= 0) return ipv4Bytes(v4)
  const v6 = parseIPv6(text)
  if (!v6) throw new InvalidInputError(`"${text}" is not an IPv4 or IPv6 address`, {code: 'INVALID_ADDRESS'})
  return v6
}

export function bytesToIp(buf: Buffer): string {
  return ipTextAt(buf, 0, buf.length)
}

/**
 * Byte values as decimal text, and as hex text without and with a leading zero: tables, not a call per byte.
 * Made at the first address written (768 strings: a command that writes none, add or del, does not make them).
 */
let DEC: string[] | undefined
let HEX: string[] = []
let HEX2: string[] = []
function byteTexts(): string[] {
  HEX = Array.from({length: 256}, (_, i) => i.toString(16))
  HEX2 = Array.from({length: 256}, (_, i) => i.toString(16).padStart(2, '0'))
  return (DEC = Array.from({length: 256}, (_, i) => String(i)))
}

/**
 * The address in b[off, off + len) as text (bytesToIp without slicing it out first): the netlink decoders read
 * thousands of addresses in place. IPv6 as RFC 5952 writes it; a length that is neither 4 nor 16 as hex.
 */
export function ipTextAt(b: Uint8Array, off: number, len: number): string {
  const dec = DEC ?? byteTexts()
  if (len === 4) return `${dec[b[off]]}.${dec[b[off + 1]]}.${dec[b[off + 2]]}.${dec[b[off + 3]]}`
  if (len !== 16) return Buffer.from(b.buffer, b.byteOffset + off, len).toString('hex')
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on a tie.
  let bestStart = -1
  let bestLen = 0
  let runStart = -1
  for (let i = 0; i < 8; i++) {
    if (b[off + 2 * i] !== 0 || b[off + 2 * i + 1] !== 0) {
      runStart = -1
      continue
    }
    if (runStart < 0) runStart = i
    const run = i - runStart + 1
    if (run > bestLen && run >= 2) {
      bestStart = runStart
      bestLen = run
    }
  }
  let s = ''
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::'
      i += bestLen - 1
      continue
    }
    if (i > 0 && i !== bestStart + bestLen) s += ':'
    const hi = b[off + 2 * i]
    const lo = b[off + 2 * i + 1]
    s += hi === 0 ? HEX[lo] : HEX[hi] + HEX2[lo]
  }
  return s
}

/**
 * Parse "ADDR/LEN" (or a bare address when `defaultHostPrefix`, which means /32 or /128).
 * `what` names the option in messages, e.g. "--address".
 */
/**
 * IPv4 prefixes already read, by their text: an address of a config is read by the loader's checks, the
 * check across devices, the desired device and the planner, four times per device in an apply of
 * thousands. Prefixes are values (nothing changes one once made), so one object serves every reader.
 */
const seenV4 = new Map<string, Prefix>()
const SEEN_V4_MAX = 1 << 16

export function parsePrefix(text: string, what: string, defaultHostPrefix = false): Prefix {
  const seen = seenV4.get(text)
  if (seen !== undefined) return seen
  // The common case first: an IPv4 address with a prefix length of one or two digits, read in place.
  const slash = text.indexOf('/')
  if (slash > 0 && slash >= text.length - 3 && slash < text.length - 1) {
    const v4 = ipv4Number(text, 0, slash)
    const d1 = text.charCodeAt(slash + 1) - 0x30
    const d2 = slash + 2 < text.length ? text.charCodeAt(slash + 2) - 0x30 : 0
    const two = slash + 2 < text.length
    if (v4 >= 0 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) {
      const prefixLen = two ? d1 * 10 + d2 : d1
      if (prefixLen <= 32) {
        // What this gives depends on the text alone (`what` and `defaultHostPrefix` only on a failure or without a /).
        const p: Prefix = {family: 4, address: text.slice(0, slash), bytes: ipv4Bytes(v4), prefixLen}
        if (seenV4.size >= SEEN_V4_MAX) seenV4.clear()
        seenV4.set(text, p)
        return p
      }
    }
  }
  const [addr, len, extra] = text.split('/')
  const v4 = parseIPv4(addr ?? '')
  const bytes = v4 ? Buffer.from(v4) : parseIPv6(addr ?? '')
  const family: Family | undefined = v4 ? 4 : bytes ? 6 : undefined
  if (!family || !bytes || extra !== undefined) {
    throw new InvalidInputError(`${what} "${text}" is not an address with a prefix length`, {
      code: 'INVALID_CIDR', fix: 'write it as ADDRESS/LENGTH, e.g. 192.168.0.1/24 or fd00::1/64',
    })
  }
  const max = family === 4 ? 32 : 128
  let prefixLen = max
  if (len === undefined) {
    if (!defaultHostPrefix) {
      throw new InvalidInputError(`${what} "${text}" has no prefix length`, {
        code: 'INVALID_CIDR', fix: `add one, e.g. ${addr}/${family === 4 ? 24 : 64}`,
      })
    }
  } else {
    if (!/^\d{1,3}$/.test(len) || Number(len) > max) {
      throw new InvalidInputError(`${what} "${text}" has prefix length "${len}"; IPv${family} allows 0 to ${max}`, {code: 'INVALID_CIDR'})
    }
    prefixLen = Number(len)
  }
  return {family, address: addr, bytes, prefixLen}
}

/**
 * An IPv4 ADDRESS/LENGTH written as the loader writes it back (no leading zeros, a length of 0 to 32): the
 * text is then its own canonical form (parsePrefixText gives it back unchanged). One native match: a
 * config's thousands of addresses are checked with it first.
 */
const CANONICAL_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(?:3[0-2]|[12]?\d)$/
export const isCanonicalIPv4Prefix = (text: string): boolean => CANONICAL_V4.test(text)

/** The network part of a prefix (host bits cleared), as routes are keyed. */
export function networkOf(p: Prefix): Prefix {
  const bytes = Buffer.from(p.bytes)
  for (let bit = p.prefixLen; bit < bytes.length * 8; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7))
  return {...p, bytes, address: bytesToIp(bytes)}
}

export function formatPrefix(p: {address: string; prefixLen: number}): string {
  return `${p.address}/${p.prefixLen}`
}

/** True when the two prefixes share addresses (one contains the other). */
export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false
  const len = Math.min(a.prefixLen, b.prefixLen)
  const na = networkOf({...a, prefixLen: len})
  const nb = networkOf({...b, prefixLen: len})
  return na.bytes.equals(nb.bytes)
}
