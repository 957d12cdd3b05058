/**
 * `tunadm export`: the TUN/TAP devices the kernel has, written as a tunadm config. Pure: the kernel's
 * state comes in (read by migrate/read-state.ts), entries and the comments on what tunadm cannot express
 * come out. Kernel defaults are left out, so that the config says what was set: a TUN/TAP device starts
 * with MTU 1500, txqueuelen 500 (TUN) or 1000 (TAP, as every Ethernet device), no promisc or allmulticast,
 * multicast on, and ARP off on TUN (point to point) and on for TAP.
 */
import {MASTER, MASTER_KINDS, TUN_FLAGS, tunFlagsAgree} from '../model/settings'
import {TunState} from '../model/state'
import {Entry} from './emit'

/** NET_ADDR_* of /sys/class/net/NAME/addr_assign_type: how the device got its MAC. */
export const NET_ADDR_PERM = 0
export const NET_ADDR_RANDOM = 1
export const NET_ADDR_STOLEN = 2
export const NET_ADDR_SET = 3

const IFF_UP = 0x1
const IFF_NOARP = 0x80
const IFF_PROMISC = 0x100
const IFF_ALLMULTI = 0x200
const IFF_MULTICAST = 0x1000

const RT_SCOPE_LINK = 253
const RTPROT_KERNEL = 2
const RTPROT_RA = 9
const RTPROT_BOOT = 3
const RTPROT_STATIC = 4

export interface CapturedAddress {
  family: 4 | 6
  address: string
  prefixLen: number
  peer?: string
  scope: number
}

export interface CapturedRoute {
  family: 4 | 6
  dst: string
  dstLen: number
  gateway?: string
  priority?: number
  protocol: number
  scope: number
  prefsrc?: string
}

/** One TUN/TAP device as the kernel reports it, in the terms capture needs. */
export interface CapturedLink {
  name: string
  mode: 'tun' | 'tap'
  owner?: number
  group?: number
  persist: boolean
  /** The TUN flags as the settings registry reads them: netlink's, and sysfs tun_flags when it could be read. */
  state: TunState
  /** net_device flags (IFF_UP...). */
  flags: number
  mtu?: number
  txqlen?: number
  mac?: string
  /** addr_assign_type from sysfs; undefined when it cannot be read. */
  macAssign?: number
  /** The name of the device it is a port of. */
  master?: string
  masterKind?: string
  alias?: string
  linkGroup?: number
  addresses: CapturedAddress[]
  routes: CapturedRoute[]
  /** Processes that hold it (a non-persistent device belongs to its program). */
  holders?: string[]
}

export interface CaptureOptions {
  /** A uid or gid as the name it has here, or undefined. */
  userName(uid: number): string | undefined
  groupName(gid: number): string | undefined
  /** Whether this build's config has a key (master, napi...). */
  hasKey(key: string): boolean
}

/** A note on what the config does not say about a device (written as a comment above it). */
export interface CaptureNote {
  /** The device it is about; none for what concerns the whole capture. */
  device?: string
  message: string
}

export interface Captured {
  entries: Entry[]
  notes: CaptureNote[]
}

const DEFAULT_MTU = 1500
const DEFAULT_TXQLEN = {tun: 500, tap: 1000}

export function capture(links: CapturedLink[], opts: CaptureOptions): Captured {
  const entries: Entry[] = []
  const notes: CaptureNote[] = []
  const unread: string[] = []
  for (const l of links) {
    const note = (message: string) => notes.push({device: l.name, message})
    if (!l.persist) {
      note(`${l.name} is not persistent: a program made it and it goes away with the program${l.holders?.length ? ` (${l.holders.join(', ')})` : ''}; left out, since tunadm makes persistent devices`)
      continue
    }
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f\s/:%{}]/.test(l.name) || Buffer.byteLength(l.name) > 15) {
      note(`${JSON.stringify(l.name)} is not a name a tunadm config can hold; left out (rename it: ip link set ... name NEW)`)
      continue
    }
    const e: Entry = {name: l.name, mode: l.mode}
    if (l.owner !== undefined) e.user = opts.userName(l.owner) ?? l.owner
    if (l.group !== undefined) e.group = opts.groupName(l.group) ?? l.group
    if (l.owner === undefined && l.group === undefined) e.any_user = true
    // Creation flags, each read as its registry entry reads it (napi and napi_frags only from sysfs).
    const state: TunState = l.state.tunFlags !== undefined && !tunFlagsAgree(l.state, l.state.tunFlags) ? {...l.state, tunFlags: undefined} : l.state
    for (const s of TUN_FLAGS) {
      const on = s.read(state)
      if (on === undefined) {
        if (!unread.includes(l.name)) unread.push(l.name)
      } else if (on) {
        if (opts.hasKey(s.key)) e[s.key] = true
        else note(`${l.name} was made with ${s.key}, which this tunadm cannot create`)
      }
    }
    if (l.mode === 'tap' && l.mac !== undefined) {
      if (l.macAssign === NET_ADDR_SET) e.mac = l.mac
      else if (l.macAssign === undefined) note(`MAC ${l.mac} left out: whether it was set by hand or chosen at random by the kernel cannot be read here (/sys/class/net/${l.name}/addr_assign_type); add mac: if it matters`)
    }
    if (l.mtu !== undefined && l.mtu !== DEFAULT_MTU) e.mtu = l.mtu
    if (l.txqlen !== undefined && l.txqlen !== DEFAULT_TXQLEN[l.mode]) e.txqueuelen = l.txqlen
    e.up = (l.flags & IFF_UP) !== 0
    if (l.flags & IFF_PROMISC) e.promisc = true
    if (l.flags & IFF_ALLMULTI) e.allmulti = true
    const arp = (l.flags & IFF_NOARP) === 0
    if (arp !== (l.mode === 'tap')) e.arp = arp
    if ((l.flags & IFF_MULTICAST) === 0) e.multicast = false
    addressing(l, e, note)
    if (l.master !== undefined) {
      const master = MASTER.read({master: {name: l.master}})
      if (!(MASTER_KINDS as readonly string[]).includes(l.masterKind ?? '')) note(`${l.name} is a port of ${l.master} (${l.masterKind ?? 'of no kind tunadm knows'}): tunadm makes ports of a ${MASTER_KINDS.join(', ')} only`)
      else if (opts.hasKey('master') && master) e.master = master
      else note(`${l.name} is a port of ${l.master}: this tunadm has no master setting (ip link set ${l.name} master ${l.master} after apply)`)
    }
    if (l.alias !== undefined) {
      if (l.alias.startsWith('tunadm:')) note(`${l.name} is managed by another tunadm config (${l.alias.slice(7)}): apply --adopt with this one takes it over`)
      else note(`${l.name} has the alias ${JSON.stringify(l.alias)}: tunadm uses the alias to mark its own devices, and apply --adopt replaces it`)
    }
    if (l.linkGroup !== undefined && l.linkGroup !== 0 && !l.alias?.startsWith('tunadm:')) note(`${l.name} is in link group ${l.linkGroup}: tunadm puts a config's devices in its own link_group`)
    entries.push(e)
  }
  if (unread.length) {
    notes.unshift({message: `the tun flags only sysfs reports (napi, napi_frags) could not be read for ${unread.join(', ')} (a /sys of another network namespace needs root to mount); see /sys/class/net/NAME/tun_flags`})
  }
  return {entries, notes}
}

function addressing(l: CapturedLink, e: Entry, note: (m: string) => void): void {
  const addresses: string[] = []
  let peer: {local: string; peer: string; family: number} | undefined
  for (const a of l.addresses) {
    // Link-scope addresses are the kernel's own (fe80::/64 from IPv6 autoconfiguration).
    if (a.scope === RT_SCOPE_LINK) continue
    if (a.peer === undefined) {
      addresses.push(`${a.address}/${a.prefixLen}`)
      continue
    }
    const host = a.family === 4 ? 32 : 128
    if (l.mode === 'tap') note(`${a.address} peer ${a.peer}/${a.prefixLen} on ${l.name}: a TAP device with a peer is something tunadm does not write (peers are for TUN devices); left out`)
    else if (peer) note(`${a.address} peer ${a.peer}/${a.prefixLen} on ${l.name}: a tunadm device has one peer (${peer.local} peer ${peer.peer}); left out`)
    else {
      peer = {local: a.address, peer: a.prefixLen === host ? a.peer : `${a.peer}/${a.prefixLen}`, family: a.family}
      addresses.push(`${a.address}/${host}`)
    }
  }
  if (peer) {
    // The peer pairs with the device's one address of its family: another one cannot be written.
    const others = addresses.filter((a) => (a.includes(':') ? 6 : 4) === peer!.family && a.split('/')[0] !== peer!.local)
    for (const o of others) note(`${o} on ${l.name}: a device with a peer has one address of that family in a tunadm config; left out`)
    e.addresses = addresses.filter((a) => !others.includes(a))
    e.peer = peer.peer
  } else if (addresses.length) e.addresses = addresses
  const routes: Array<Record<string, unknown>> = []
  for (const r of l.routes) {
    if (r.protocol === RTPROT_KERNEL || r.protocol === RTPROT_RA || (r.family === 6 && r.dst.startsWith('fe80:'))) continue
    const to = `${r.dst}/${r.dstLen}`
    const odd: string[] = []
    if (r.protocol !== RTPROT_BOOT && r.protocol !== RTPROT_STATIC) odd.push(`protocol ${r.protocol}`)
    if (r.prefsrc !== undefined) odd.push(`src ${r.prefsrc}`)
    if (r.scope === RT_SCOPE_LINK && r.gateway !== undefined) odd.push('scope link')
    if (odd.length) {
      note(`the route to ${to}${r.gateway ? ` via ${r.gateway}` : ''} has ${odd.join(', ')}, which a tunadm route cannot say; left out`)
      continue
    }
    const dflt = r.family === 4 ? 0 : 1024
    routes.push({to, ...(r.gateway !== undefined ? {via: r.gateway} : {}), ...(r.priority !== undefined && r.priority !== dflt ? {metric: r.priority} : {})})
  }
  if (routes.length) e.routes = routes
}
