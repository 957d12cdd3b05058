/**
 * The declarative configuration (/etc/tunadm/tunadm.yaml), after parsing, validation, defaults and
 * range expansion. Field names are the YAML keys. Every option of `tunadm add` and `tunadm set`
 * has a key here; absent keys mean "not managed" (apply leaves that property alone), except the
 * creation-time ones (mode and the TUN flags), whose absence means the kernel default (off).
 */
import type {TunFlagValues} from '../model/settings'

export interface RouteConfig {
  /** Destination prefix, e.g. 10.1.0.0/16 or fd00:1::/64 (the key is "to"). */
  to: string
  /** Gateway of the same family. */
  via?: string
  metric?: number
}

/** The TUN flags (pi, vnet_hdr, multi_queue, napi, napi_frags: the registry's) are creation-time booleans. */
export interface DeviceConfig extends TunFlagValues {
  name: string
  mode: 'tun' | 'tap'
  /** Owner: user name or uid. */
  user?: string | number
  /** Group: group name or gid. */
  group?: string | number
  /** Explicitly neither owner nor group: any user who can open /dev/net/tun may attach. */
  any_user?: boolean
  mac?: string
  /** The bridge, bond or vrf the device is a port of (absent: left as it is). */
  master?: string
  mtu?: number
  txqueuelen?: number
  up?: boolean
  promisc?: boolean
  allmulti?: boolean
  arp?: boolean
  multicast?: boolean
  /** Canonical ADDRESS/LENGTH text (lower-case, IPv6 compressed). */
  addresses?: string[]
  /**
   * tun only: the remote end, canonical ADDRESS/LENGTH (a bare address in the file means a host prefix).
   * It pairs with the device's one address of the same family, which is then a host address
   * (as ip addr add LOCAL peer PEER/LEN): the route to the link comes from the peer's prefix.
   */
  peer?: string
  routes?: RouteConfig[]
}

export interface TunadmConfig {
  version: 1
  /** Where it was read from, for messages. */
  source: string
  /** id: the config's identity (model/identity.ts); default the file's real path, none for a pipe. */
  id?: string
  /** link_group: the link group (IFLA_GROUP) of the managed devices, 1-2147483647; default derived from the identity. */
  linkGroup?: number
  devices: DeviceConfig[]
}

export const DEFAULT_CONFIG_PATH = '/etc/tunadm/tunadm.yaml'
