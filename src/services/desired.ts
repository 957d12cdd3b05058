/**
 * The three ways to say what a device should be, each turned into one DesiredDevice:
 * the flags of `add`, the flags of `set` (a patch), and an entry of the config file.
 * Values are parsed here (a bad value is an InvalidInputError, exit 2); the rules that relate
 * values to each other and to the device are model/rules.ts, applied by the planner.
 */
import {InvalidInputError} from '../errors'
import {DeviceConfig} from '../config/types'
import {AddressSpec, DesiredDevice, RouteSpec, emptyDesired} from '../model/desired'
import {IdRef, Mode} from '../model/device'
import {Prefix, formatPrefix, networkOf, parsePrefix} from '../model/ip'
import {MTU_MAX, MTU_MIN, TXQUEUELEN_ABOUT, TXQUEUELEN_MAX, U32_MAX} from '../model/limits'
import {parseMac} from '../model/mac'
import {Problem, pairPeer} from '../model/rules'
import {TUN_FLAG_KEYS, TunFlagValues, tunFlagProblems} from '../model/settings'
import {validateIfName} from '../model/validate'
import {resolveGroup, resolveUser} from '../system/accounts'

/** The flags of add and set, as typed. */
export interface FlagInput {
  /** The bridge, bond or vrf to be a port of; null: none (--no-master). */
  master?: string | null
  mac?: string
  up?: boolean
  downFirst?: boolean
  promisc?: boolean
  allmulti?: boolean
  arp?: boolean
  multicast?: boolean
  mtu?: number
  txqueuelen?: number
  rename?: string
  user?: string
  group?: string
  /** Clear both owner and group. */
  anyUser?: boolean
  carrier?: boolean
  addresses?: string[]
  peer?: string
  delAddresses?: string[]
  /** "CIDR", "CIDR via GW", "CIDR via GW metric N", "default via GW". */
  routes?: string[]
  /** Gateway for every --route that names none. */
  via?: string
  delRoutes?: string[]
}

/** A rule's problem as the error the CLI reports (exit 2). */
export function problemError(problems: Problem[]): InvalidInputError {
  const [first] = problems
  const message = problems.length === 1 ? first.message : `${problems.length} problems: ${problems.map((p) => p.message).join('; ')}`
  return new InvalidInputError(message, {code: first.code, why: 'every value is checked before anything changes; nothing was changed', fix: `give ${first.expected}`})
}

function intInRange(v: number, lo: number, hi: number, what: string, about?: string): number {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new InvalidInputError(`${what} ${Number.isNaN(v) ? 'is not a number' : `${v} is out of range`}`, {code: 'OUT_OF_RANGE', why: `${what} must be a whole number from ${lo} to ${hi}${about ? `: ${about}` : ''}`})
  }
  return v
}

export function parseRoute(text: string, defaultVia?: string, what = '--route'): RouteSpec {
  const words = text.trim().split(/\s+/)
  const target = words.shift() ?? ''
  let viaText = defaultVia
  let metric: number | undefined
  while (words.length) {
    const key = words.shift()
    const value = words.shift()
    if (value === undefined || (key !== 'via' && key !== 'metric')) {
      throw new InvalidInputError(`${what} "${text}" is not understood`, {code: 'INVALID_ROUTE', fix: 'write CIDR, "CIDR via GATEWAY" or "CIDR via GATEWAY metric N", e.g. "10.1.0.0/16 via 192.168.0.254"'})
    }
    if (key === 'via') viaText = value
    else metric = intInRange(/^\d+$/.test(value) ? Number(value) : NaN, 0, U32_MAX, `${what} metric`)
  }
  const via = viaText === undefined ? undefined : parsePrefix(viaText, `gateway of ${what} ${target}`, true)
  let dst: Prefix
  if (target === 'default') dst = parsePrefix(via?.family === 6 ? '::/0' : '0.0.0.0/0', what)
  else dst = parsePrefix(target, what)
  const net = networkOf(dst)
  if (!net.bytes.equals(dst.bytes)) {
    throw new InvalidInputError(`${what} ${target} has host bits set`, {code: 'INVALID_ROUTE', fix: `did you mean ${formatPrefix(net)}?`})
  }
  if (via && via.family !== dst.family) {
    throw new InvalidInputError(`the gateway ${via.address} is IPv${via.family} but the route ${target} is IPv${dst.family}`, {code: 'FAMILY_MISMATCH'})
  }
  return {dst: net, via, metric}
}

function addressesWithPeer(list: string[], peerText: string | undefined, label: string, what: string): AddressSpec[] {
  if (peerText === undefined) {
    // Without a peer (nearly every device of a config): each address as it is, no pairs made first.
    const out: AddressSpec[] = new Array(list.length)
    for (let i = 0; i < list.length; i++) out[i] = {local: parsePrefix(list[i], what)}
    return out
  }
  const locals = list.map((t) => ({prefix: parsePrefix(t, what, peerText !== undefined), bare: !t.includes('/')}))
  if (peerText === undefined) return locals.map((l) => ({local: l.prefix}))
  const paired = pairPeer(locals, parsePrefix(peerText, '--peer', true), label)
  if (!Array.isArray(paired)) throw problemError([paired])
  return paired
}

/** --del-address: ADDR/LEN, or a bare ADDR for that address with any prefix length. */
function removal(text: string): AddressSpec {
  const bare = !text.includes('/')
  return {local: parsePrefix(text, '--del-address', true), anyPrefix: bare}
}

function ownership(input: FlagInput): {owner?: IdRef | null; group?: IdRef | null} {
  if (input.anyUser) return {owner: null, group: null}
  return {
    owner: input.user === undefined ? undefined : resolveUser(input.user),
    group: input.group === undefined ? undefined : resolveGroup(input.group),
  }
}

/** The flags of set (and the configuration flags of add): only what they name. */
export function desiredFromFlags(name: string, input: FlagInput): DesiredDevice {
  const d = emptyDesired(name)
  if (input.master !== undefined) d.master = input.master
  if (input.mac !== undefined) d.mac = parseMac(input.mac)
  for (const k of ['up', 'downFirst', 'promisc', 'allmulti', 'arp', 'multicast', 'carrier'] as const) if (input[k] !== undefined) d[k] = input[k]
  if (input.mtu !== undefined) d.mtu = intInRange(input.mtu, MTU_MIN, MTU_MAX, 'MTU')
  if (input.txqueuelen !== undefined) d.txqueuelen = intInRange(input.txqueuelen, 0, TXQUEUELEN_MAX, 'txqueuelen', TXQUEUELEN_ABOUT)
  if (input.rename !== undefined) d.rename = validateIfName(input.rename, {what: 'new name'})
  Object.assign(d, ownership(input))
  if (input.peer !== undefined && !input.addresses?.length) {
    throw new InvalidInputError('--peer needs the --address it pairs with', {code: 'INVALID_PEER', fix: 'e.g. --address 10.0.0.1 --peer 10.0.0.2'})
  }
  d.addresses = addressesWithPeer(input.addresses ?? [], input.peer, name, '--address')
  d.delAddresses = (input.delAddresses ?? []).map(removal)
  d.routes = (input.routes ?? []).map((r) => parseRoute(r, input.via))
  if (input.via !== undefined && d.routes.length === 0) {
    throw new InvalidInputError('--via needs a --route to apply to', {code: 'INVALID_ROUTE', fix: 'e.g. --route 10.1.0.0/16 --via 192.168.0.254'})
  }
  d.delRoutes = (input.delRoutes ?? []).map((r) => parseRoute(r, undefined, '--del-route'))
  return d
}

/** True when a set asks for nothing at all. */
export function asksNothing(d: DesiredDevice): boolean {
  const scalar = ['master', 'mac', 'up', 'promisc', 'allmulti', 'arp', 'multicast', 'mtu', 'txqueuelen', 'rename', 'owner', 'group', 'carrier'] as const
  return scalar.every((k) => d[k] === undefined) && !d.addresses.length && !d.delAddresses.length && !d.routes.length && !d.delRoutes.length
}

/** add: a new device with its fixed part and whatever configuration flags were given. */
export function desiredForAdd(name: string, fixed: {mode: Mode; tunFlags: TunFlagValues; owner?: IdRef; group?: IdRef}, input: FlagInput): DesiredDevice {
  const d = desiredFromFlags(name, {...input, user: undefined, group: undefined, anyUser: undefined})
  d.mode = fixed.mode
  d.tunFlags = Object.fromEntries(TUN_FLAG_KEYS.map((k) => [k, Boolean(fixed.tunFlags[k])]))
  const [problem] = tunFlagProblems(fixed.mode, d.tunFlags, name)
  if (problem) throw new InvalidInputError(problem.message, {code: 'INVALID_TUN_FLAGS', fix: `give ${problem.expected}`})
  d.owner = fixed.owner ?? null
  d.group = fixed.group ?? null
  return d
}

/** An empty list of addresses or routes, shared (frozen: nothing adds to a desired device's lists). */
const NONE: never[] = Object.freeze([]) as unknown as never[]
/** The TUN flags of a config entry by their bits (TUN_FLAG_KEYS' order), made once each. */
const tunFlagValues: Array<Readonly<TunFlagValues> | undefined> = []

/**
 * A config entry (already validated by the loader). Keys the entry leaves out are not managed,
 * except ownership, which an entry states whole (no user: no owner), and the creation-time flags,
 * whose absence means off. Listed addresses and routes are exact: others on the device go.
 */
export function desiredFromConfig(c: DeviceConfig, marker: string, linkGroup: number | undefined): DesiredDevice {
  // Plain loops, no arrays or closures made per entry: this runs for each of thousands of devices. The
  // lists a config entry leaves empty are one shared empty list, and its TUN flags one shared object for
  // each of their 32 combinations: nothing changes a DesiredDevice's values once it is made. It is made by
  // one literal with every field (those the entry does not set undefined, which every reader takes as
  // absent): added one by one, its property store was copied three times as it grew.
  let bits = 0
  for (let i = 0; i < TUN_FLAG_KEYS.length; i++) if (c[TUN_FLAG_KEYS[i]]) bits |= 1 << i
  const tunFlags = tunFlagValues[bits] ??= Object.freeze(Object.fromEntries(TUN_FLAG_KEYS.map((k, i) => [k, (bits & (1 << i)) !== 0])))
  // Read in this order (the first refusal is the one reported): owner, group, MAC, addresses, routes.
  const owner = c.user === undefined ? null : resolveUser(String(c.user))
  const group = c.group === undefined ? null : resolveGroup(String(c.group))
  const mac = c.mac === undefined ? undefined : parseMac(c.mac)
  const exactAddresses = c.addresses !== undefined || c.peer !== undefined
  const addresses = exactAddresses ? addressesWithPeer(c.addresses ?? [], c.peer, c.name, 'address') : NONE
  const exactRoutes = c.routes !== undefined
  const routes = exactRoutes ? c.routes!.map((r) => ({dst: networkOf(parsePrefix(r.to, 'route')), via: r.via === undefined ? undefined : parsePrefix(r.via, 'via', true), metric: r.metric})) : NONE
  return {
    name: c.name,
    addresses,
    delAddresses: NONE,
    routes,
    delRoutes: NONE,
    mode: c.mode,
    tunFlags,
    owner,
    group,
    mac,
    master: c.master,
    // The settings a DesiredDevice takes as they are, under the same name.
    mtu: c.mtu,
    txqueuelen: c.txqueuelen,
    up: c.up,
    promisc: c.promisc,
    allmulti: c.allmulti,
    arp: c.arp,
    multicast: c.multicast,
    exactAddresses: exactAddresses || undefined,
    exactRoutes: exactRoutes || undefined,
    alias: marker,
    linkGroup,
  }
}
