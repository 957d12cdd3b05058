/**
 * The kernel's state of one TUN/TAP device in model terms: what the planner and the settings registry
 * read, without wire types. services/ builds it from the netlink dump and, for what netlink cannot
 * report, from sysfs (`tun_flags`).
 */
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
