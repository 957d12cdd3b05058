/** IP addresses and prefixes as bytes and text. Pure; used for validation and for netlink. */
import {isIPv4, isIPv6} from 'node:net'
import {InvalidInputError} from '../errors'

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
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number))
  if (!isIPv6(text)) throw new InvalidInputError(`"${text}" is not an IPv4 or IPv6 address`, {code: 'INVALID_ADDRESS'})
  let head = text
  let v4tail: number[] = []
  const lastColon = text.lastIndexOf(':')
  if (text.includes('.', lastColon)) {
    v4tail = text.slice(lastColon + 1).split('.').map(Number)
    head = text.slice(0, lastColon + 1) + '0:0'
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined]
  const groups = (s: string | undefined) => (s ? s.split(':').filter((g) => g !== '') : [])
  const l = groups(left)
  const r = groups(right)
  const fill = right === undefined ? [] : new Array(8 - l.length - r.length).fill('0')
  const all = [...l, ...fill, ...r]
  const buf = Buffer.alloc(16)
  all.forEach((g, i) => buf.writeUInt16BE(parseInt(g, 16), i * 2))
  if (v4tail.length === 4) Buffer.from(v4tail).copy(buf, 12)
  return buf
}

export function bytesToIp(buf: Buffer): string {
  if (buf.length === 4) return Array.from(buf).join('.')
  if (buf.length !== 16) return buf.toString('hex')
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(i))
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on a tie.
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`
}

/**
 * Parse "ADDR/LEN" (or a bare address when `defaultHostPrefix`, which means /32 or /128).
 * `what` names the option in messages, e.g. "--address".
 */
export function parsePrefix(text: string, what: string, defaultHostPrefix = false): Prefix {
  const [addr, len, extra] = text.split('/')
  const family = ipFamily(addr ?? '')
  if (!family || extra !== undefined) {
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
  return {family, address: addr, bytes: ipToBytes(addr), prefixLen}
}

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
