/**
 * The parsers of setting values as a config file gives them (YAML scalars, with the text they were
 * written as): each returns the value or what is wrong and what was expected. Pure; the loader only
 * finds the nodes and points at their lines.
 */
import {InvalidInputError} from '../errors'
import {bytesToIp, formatPrefix, ipFamily, ipToBytes, networkOf, parsePrefix} from './ip'
import {BOOLEAN_SETTINGS, MASTER, parseBoolean} from './settings'
import {TXQUEUELEN_ABOUT, TXQUEUELEN_MAX} from './limits'
import {looksLikeAccountName, parseNumericId} from './validate'

export type Parsed<T> = {value: T} | {problem: string}

/** A scalar: its value as YAML reads it, whether it is a scalar at all, and the text it was written as. */
export interface ScalarInput {
  value: unknown
  isScalar: boolean
  written?: string
}

const problem = (message: string): {problem: string} => ({problem: message})

/** A number written with a leading zero: octal to YAML 1.1 (010 is eight), decimal to YAML 1.2 and to tunadm's ids. */
const LEADING_ZERO = /^[-+]?0\d/
const leadingZero = (key: string, written: string, expected: string) =>
  `${key} ${written} has a leading zero, which YAML 1.1 reads as octal (${parseInt(written, 8)}) and YAML 1.2 as decimal (${parseInt(written, 10)}); expected it without the zero (${key}: ${parseInt(written, 10)}), ${expected}`

/** A setting's scalar value (every key but addresses and routes, which are lists). */
export function parseSetting(key: string, s: ScalarInput): Parsed<unknown> {
  const scalar = s.value
  if (BOOLEAN_SETTINGS.has(key)) return parseBoolean(key, scalar)
  switch (key) {
    case 'name':
      if (typeof scalar === 'string') return {value: scalar}
      // 0x10, .inf, 1e3, true, null: YAML reads them as something else than the text written.
      if (s.isScalar && s.written !== undefined && s.written !== '') {
        return problem(`name ${s.written} is read by YAML as ${scalar === null ? 'null' : `the ${typeof scalar} ${String(scalar)}`}, not as text; expected it quoted: name: "${s.written}"`)
      }
      return problem('name is not text; expected a device name such as tap0, or a range such as "tap{0..63}"')
    case 'mode':
      if (scalar === 'tun' || scalar === 'tap') return {value: scalar}
      return problem(`mode ${typeof scalar === 'string' ? JSON.stringify(scalar) : s.isScalar ? `${s.written} is not text` : 'is not text'}; expected tun (layer 3, IP packets) or tap (layer 2, Ethernet frames)`)
    case 'user':
    case 'group':
      return parseAccount(key, s)
    case 'mac': {
      if (typeof scalar !== 'string' || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(scalar)) {
        return problem('mac is not a MAC address; expected six hex pairs separated by colons, quoted, e.g. "52:54:00:12:34:56"')
      }
      const mac = scalar.toLowerCase()
      if (parseInt(mac.slice(0, 2), 16) & 1) return problem(`mac ${mac} is a multicast address (lowest bit of the first byte set); expected a unicast one, e.g. 52:54:00:...`)
      if (mac === '00:00:00:00:00:00') return problem('mac 00:00:00:00:00:00 is not a usable address; expected a unicast MAC, e.g. 52:54:00:12:34:56')
      return {value: mac}
    }
    case 'master':
      return MASTER.parse(scalar)
    case 'mtu':
      return parseInteger(key, s, 68, 65535, 'the kernel accepts 68 (the IPv4 minimum) to 65535 for TUN/TAP')
    case 'txqueuelen':
      return parseInteger(key, s, 0, TXQUEUELEN_MAX, TXQUEUELEN_ABOUT)
    case 'peer':
      if (typeof scalar !== 'string') return problem('peer is not an address; expected the remote end of the point-to-point link, e.g. 10.8.0.2')
      return parsePrefixText(scalar, 'peer', true)
  }
  return problem(`${key} has no parser`)
}

function parseAccount(key: 'user' | 'group', s: ScalarInput): Parsed<string | number> {
  const expected = `expected a ${key} name or a numeric id from 0 to 4294967294`
  const scalar = s.value
  if (typeof scalar === 'number') {
    // Only plain decimal digits: 1e21, 0x10 or 1.0 are not what anyone means by a uid.
    const written = s.written ?? String(scalar)
    if (!/^[-+]?\d+$/.test(written)) return problem(`${key} ${written} is not a whole number written in decimal; ${expected}`)
    if (LEADING_ZERO.test(written)) return problem(leadingZero(key, written, expected.replace(/^expected /, '')))
    try {
      const id = parseNumericId(written, key)
      return id === undefined ? problem(`${key} ${written} is not a valid id; ${expected}`) : {value: id}
    } catch {
      return problem(`${key} id ${written} is out of range (4294967295 means "unset" to the kernel); ${expected}`)
    }
  }
  if (!s.isScalar || typeof scalar !== 'string') return problem(`${key} is not a name or a number; ${expected}`)
  let id: number | undefined
  try {
    id = parseNumericId(scalar, key)
  } catch {
    return problem(`${key} id "${scalar}" is out of range; ${expected}`)
  }
  if (id !== undefined) return {value: id}
  if (!looksLikeAccountName(scalar)) return problem(`${key} "${scalar}" is not a valid ${key} name; ${expected}`)
  return {value: scalar}
}

/** A whole number written in decimal (1e3, 1500.0 or 0x10 are numbers to YAML, but not what anyone writes for a count). */
export function parseInteger(key: string, s: ScalarInput, min: number, max: number, about: string): Parsed<number> {
  const scalar = s.value
  const written = typeof scalar === 'number' ? s.written : undefined
  if (written !== undefined && !/^[-+]?\d+$/.test(written)) {
    return problem(`${key} ${written} is not a whole number written in decimal; expected a whole number from ${min} to ${max}: ${about}`)
  }
  if (written !== undefined && LEADING_ZERO.test(written)) return problem(leadingZero(key, written, `a whole number from ${min} to ${max}: ${about}`))
  if (typeof scalar !== 'number' || !Number.isInteger(scalar) || scalar < min || scalar > max) {
    return problem(`${key} ${typeof scalar === 'number' ? scalar : JSON.stringify(scalar ?? null)} is out of range; expected a whole number from ${min} to ${max}: ${about}`)
  }
  return {value: scalar}
}

/** ADDRESS/LEN as canonical text. */
export function parsePrefixText(text: string, what: string, hostByDefault = false): Parsed<string> {
  try {
    const p = parsePrefix(text, what, hostByDefault)
    return {value: formatPrefix({address: bytesToIp(p.bytes), prefixLen: p.prefixLen})}
  } catch (err) {
    const e = err as InvalidInputError
    return problem(`${e.message}; expected ${e.fix ? e.fix.replace(/^write it as /, '') : 'ADDRESS/LENGTH, e.g. 192.168.0.1/24'}`)
  }
}

/** A route's destination: a network (host bits clear), as canonical text. */
export function parseRouteTo(text: string): Parsed<string> {
  const dest = parsePrefixText(text, 'route destination')
  if (!('value' in dest)) return dest
  const net = formatPrefix(networkOf(parsePrefix(dest.value, 'to')))
  return net === dest.value ? dest : problem(`route destination ${dest.value} has host bits set; expected the network address, ${net}`)
}

/** A route's gateway: a plain address of the destination's family, canonical. */
export function parseVia(text: string, dest: string): Parsed<string> {
  const fam = ipFamily(text)
  const family = parsePrefix(dest, 'to').family
  if (!fam) return problem(`gateway ${JSON.stringify(text)} is not an IP address; expected a plain address (no /LENGTH), e.g. via: 10.0.0.254`)
  if (fam !== family) return problem(`gateway ${text} is IPv${fam} but the destination ${dest} is IPv${family}; expected a gateway of the same family`)
  return {value: bytesToIp(ipToBytes(text))}
}
