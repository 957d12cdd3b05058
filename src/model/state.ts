/**
 * The kernel's state of one TUN/TAP device in model terms: what the planner and the settings registry
 * read, without wire types. services/ builds it from the netlink dump and, for what netlink cannot
 * report, from sysfs (`tun_flags`).
 */
import type {AddressFacts, RouteFacts} from './desired'
import {Mode} from './device'

export interface TunState {
  mode: Mode
  /** From netlink (IFLA_TUN_PI, IFLA_TUN_VNET_HDR, IFLA_TUN_MULTI_QUEUE). */
  pi: boolean
  vnetHdr: boolean
  multiQueue: boolean
  /**
   * Every IFF_* bit of the device, from sysfs `tun_flags` (rtnetlink does not report IFF_NAPI and
   * IFF_NAPI_FRAGS). Undefined when it was not read or could not be: then what only it tells is unknown.
   */
  tunFlags?: number
}

/**
 * A link as the model knows it: what tunadm reads of any device (services/snapshot.ts converts the
 * kernel's netlink dump into these once, when it is read; the planner never sees the wire's types).
 */
export interface LinkState {
  index: number
  name: string
  /** net_device flags (IFF_UP, IFF_PROMISC, ...). */
  flags: number
  mtu?: number
  minMtu?: number
  maxMtu?: number
  txqlen?: number
  mac?: string
  operstate?: string
  carrier?: boolean
  alias?: string
  /** The link group. */
  group?: number
  /** The master's ifindex. */
  master?: number
  /** "tun", "bridge", "veth"...; undefined for physical devices and loopback. */
  kind?: string
  /** A TUN/TAP device's own facts. */
  tun?: TunLinkState
}

export interface TunLinkState {
  type: Mode
  /** undefined: unset. */
  owner?: number
  group?: number
  pi: boolean
  vnetHdr: boolean
  persist: boolean
  multiQueue: boolean
  numQueues?: number
  numDisabledQueues?: number
}

/** An address on a device in model terms (model/desired.ts's identity), and whether it is the kernel's own (link scope). */
export type AddressState = AddressFacts & {index: number; linkScope: boolean}

/** A main-table unicast route in model terms, its device, and whether it is tunadm's to remove (not the kernel's or a router advertisement's). */
export type RouteState = RouteFacts & {oif?: number; ours: boolean}
