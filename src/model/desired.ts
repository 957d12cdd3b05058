/**
 * What a command wants one device to be: the single input of the planner. add, set and apply each
 * build one (see services/desired.ts); the planner compares it with the kernel's snapshot.
 *
 * Identities follow the kernel, not the text people typed:
 * - an IPv4 address is its local address, prefix length and peer (network): 10.0.0.1/24 and
 *   10.0.0.1/16 are two addresses, and so are 10.0.0.1 peer 10.0.0.2 and 10.0.0.1 peer 10.0.0.3;
 * - an IPv6 address is the address alone: fd00::1/64 and fd00::1/48 cannot both exist on a device;
 * - a route is its family, destination prefix and metric in the main table (a missing metric is the
 *   kernel's default: 0 for IPv4, 1024 for IPv6, which an IPv6 metric of 0 also becomes: routeMetric).
 *   The gateway and the device are what it points at. One rule for every way of asking, and across devices.
 */
import {IdRef, Mode} from './device'
import {Family, Prefix, bytesToIp, formatPrefix, ipv4Number, parsePrefix} from './ip'
import {defaultMetric, routeMetric} from './limits'
import {TunFlagValues} from './settings'

export interface AddressSpec {
  /** The local address; its prefixLen is the address's (with a peer: the peer's, as the kernel keeps it). */
  local: Prefix
  peer?: Prefix
  /** Removal only: the address was given without a length, so any prefix length matches. */
  anyPrefix?: boolean
}

export interface RouteSpec {
  /** The destination network (host bits clear). */
  dst: Prefix
  via?: Prefix
  metric?: number
}

export interface DesiredDevice {
  /** The device's name; for a new device possibly a template such as tap%d. */
  name: string
  // Fixed at creation.
  mode?: Mode
  /** The TUN flags (the registry's: pi, vnet_hdr, multi_queue, napi, napi_frags); absent: not asked. */
  tunFlags?: TunFlagValues
  /** undefined: leave as is; null: none (any user / any group). */
  owner?: IdRef | null
  group?: IdRef | null
  // Link.
  rename?: string
  /** The bridge, bond or vrf it is a port of (by name); null: none; undefined: left as it is. */
  master?: string | null
  mac?: Buffer
  mtu?: number
  txqueuelen?: number
  up?: boolean
  /** Down before the other changes, although it ends up (down, rename, up). */
  downFirst?: boolean
  promisc?: boolean
  allmulti?: boolean
  arp?: boolean
  multicast?: boolean
  carrier?: boolean
  /** The interface alias (apply's "managed" marker). */
  alias?: string
  /** The link group (IFLA_GROUP) apply puts a config's devices in. */
  linkGroup?: number
  // Network.
  addresses: AddressSpec[]
  delAddresses: AddressSpec[]
  /** The device has exactly `addresses` (apply: the file lists them all); others are removed. */
  exactAddresses?: boolean
  routes: RouteSpec[]
  delRoutes: RouteSpec[]
  exactRoutes?: boolean
}

export function emptyDesired(name: string): DesiredDevice {
  return {name, addresses: [], delAddresses: [], routes: [], delRoutes: []}
}

/** An address as the kernel reports it (canonical text), for identity and messages. */
export interface AddressFacts {
  family: Family
  address: string
  prefixLen: number
  peer?: string
}

/**
 * A prefix's address as the kernel writes it. An IPv4 prefix's text is that already (parsePrefix reads only
 * dotted quads without leading zeros, and every other prefix is made from one or from bytesToIp): not
 * written again from the bytes for each of thousands of addresses.
 */
const canon = (p: Prefix) => (p.family === 4 ? p.address : bytesToIp(p.bytes))

export function addressFacts(a: AddressSpec): AddressFacts {
  const f: AddressFacts = {family: a.local.family, address: canon(a.local), prefixLen: a.local.prefixLen}
  if (a.peer) f.peer = canon(a.peer)
  return f
}

/** The kernel's identity of an address on one device (see the top of this file). */
export function addressKey(a: AddressFacts): string {
  if (a.family === 6) return `6 ${a.address}`
  // The peer's (or the address's own) network at the address's prefix length, as a number.
  const mask = a.prefixLen === 0 ? 0 : (0xffffffff << (32 - a.prefixLen)) >>> 0
  const net = (ipv4Number(a.peer ?? a.address) & mask) >>> 0
  return `4 ${a.address}/${a.prefixLen} ${net}`
}

/**
 * Whether two addresses are one address to the kernel: addressKey(a) === addressKey(b), without making
 * the keys (the planner compares each device's few addresses, thousands of devices).
 */
export function sameAddressIdentity(a: AddressFacts, b: AddressFacts): boolean {
  if (a.family !== b.family || a.address !== b.address) return false
  if (a.family === 6) return true
  if (a.prefixLen !== b.prefixLen) return false
  const ap = a.peer ?? a.address
  const bp = b.peer ?? b.address
  if (ap === bp) return true
  const mask = a.prefixLen === 0 ? 0 : (0xffffffff << (32 - a.prefixLen)) >>> 0
  return ((ipv4Number(ap) & mask) >>> 0) === ((ipv4Number(bp) & mask) >>> 0)
}

/** Does the removal request `want` name the existing address `have`? */
export function addressMatches(want: AddressSpec, have: AddressFacts): boolean {
  if (want.local.family !== have.family || canon(want.local) !== have.address) return false
  if (want.anyPrefix) return true
  if (have.family === 6) return true // the address alone identifies it; the kernel needs the real length
  if (want.local.prefixLen !== have.prefixLen) return false
  return !want.peer || canon(want.peer) === have.peer
}

export function addressText(a: AddressFacts): string {
  return `${formatPrefix(a)}${a.peer ? ` peer ${a.peer}` : ''}`
}

export interface RouteFacts {
  family: Family
  dst: string
  dstLen: number
  via?: string
  metric: number
}

export function routeFacts(r: RouteSpec): RouteFacts {
  const f: RouteFacts = {family: r.dst.family, dst: canon(r.dst), dstLen: r.dst.prefixLen, metric: routeMetric(r.dst.family, r.metric)}
  if (r.via) f.via = canon(r.via)
  return f
}

export function routeKey(r: RouteFacts): string {
  return `${r.family} ${r.dst}/${r.dstLen} ${r.metric}`
}

/** Does the removal request `want` (gateway and metric optional) name the existing route `have`? */
export function routeMatches(want: RouteSpec, have: RouteFacts): boolean {
  if (want.dst.family !== have.family || canon(want.dst) !== have.dst || want.dst.prefixLen !== have.dstLen) return false
  if (want.via && canon(want.via) !== have.via) return false
  return want.metric === undefined || routeMetric(have.family, want.metric) === have.metric
}

export function routeText(r: RouteFacts): string {
  const dst = r.dstLen === 0 ? 'default' : `${r.dst}/${r.dstLen}`
  return `${dst}${r.via ? ` via ${r.via}` : ''}${r.metric !== defaultMetric(r.family) ? ` metric ${r.metric}` : ''}`
}

/** An address the kernel reports, as a request would give it. */
export const addressSpecOf = (a: AddressFacts): AddressSpec => ({local: parsePrefix(`${a.address}/${a.prefixLen}`, 'address'), peer: a.peer ? parsePrefix(`${a.peer}/${a.prefixLen}`, 'peer') : undefined})
/** A route the kernel reports, as a request would give it. */
export const routeSpecOf = (r: RouteFacts): RouteSpec => ({dst: parsePrefix(`${r.dst}/${r.dstLen}`, 'route'), via: r.via ? parsePrefix(r.via, 'via', true) : undefined, metric: r.metric})
