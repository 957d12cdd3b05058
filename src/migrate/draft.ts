/**
 * What the importers learn about devices, gathered from many files before it becomes a config: each
 * setting with the FILE:LINE it came from, and every line that could not be translated. Pure.
 */
import {bytesToIp, formatPrefix, networkOf, parsePrefix, Prefix} from '../model/ip'

export interface At {
  file: string
  line: number
}

/** A line that tunadm cannot express (or cannot know the meaning of): reported, never guessed. */
export interface Finding extends At {
  device?: string
  message: string
}

export type Mode = 'tun' | 'tap'

/** The device settings an importer may set, by config key. */
export interface Settings {
  mode: Mode
  user: string | number
  group: string | number
  pi: boolean
  vnet_hdr: boolean
  multi_queue: boolean
  mac: string
  mtu: number
  txqueuelen: number
  up: boolean
  promisc: boolean
  allmulti: boolean
  arp: boolean
  multicast: boolean
  /** The bridge the device is a port of. */
  master: string
}

export type SettingKey = keyof Settings

export interface DraftAddress {
  /** Canonical ADDRESS/LENGTH of the local end. */
  local: string
  /** Canonical ADDRESS/LENGTH of the remote end (point to point). */
  peer?: string
  at: At
}

export interface DraftRoute {
  to: string
  via?: string
  metric?: number
  at: At
}

export class Draft {
  /** Where the device is created as TUN/TAP; a device never created is not one of ours. */
  created?: At
  /** Where it is first mentioned. */
  readonly seen: At
  readonly settings: Partial<{[K in SettingKey]: {value: Settings[K]; at: At}}> = {}
  addresses: DraftAddress[] = []
  routes: DraftRoute[] = []
  /** Creation flags the creating tool always sets and that cannot be seen in its file (for messages). */
  readonly notes: Finding[] = []

  constructor(readonly name: string, at: At) {
    this.seen = at
  }
}

export class Collector {
  readonly devices = new Map<string, Draft>()
  readonly findings: Finding[] = []
  /** Files, sections or lines that describe something other than a TUN/TAP device: listed, not translated. */
  readonly skipped: Finding[] = []

  device(name: string, at: At): Draft {
    let d = this.devices.get(name)
    if (!d) {
      d = new Draft(name, at)
      this.devices.set(name, d)
    }
    return d
  }

  untranslated(at: At, message: string, device?: string): void {
    this.findings.push({...at, ...(device !== undefined ? {device} : {}), message})
  }

  skip(at: At, message: string, device?: string): void {
    if (device !== undefined && this.skipped.some((f) => f.device === device)) return // once per device is enough
    this.skipped.push({...at, ...(device !== undefined ? {device} : {}), message})
  }

  /**
   * Set a setting. Within one file a later line wins (as it does when a script runs or systemd reads
   * a file); two files that disagree are reported, since the order the tools read them in is not known here.
   */
  set<K extends SettingKey>(d: Draft, key: K, value: Settings[K], at: At): void {
    const before = d.settings[key]
    if (before && before.at.file !== at.file && before.value !== value) {
      this.untranslated(at, `${key} of ${d.name} is ${String(before.value)} in ${before.at.file}:${before.at.line} and ${String(value)} here; kept ${String(value)}: check which one the host really uses`, d.name)
    }
    d.settings[key] = {value, at} as never
  }

  unset(d: Draft, key: SettingKey): void {
    delete d.settings[key]
  }

  /** Add an address (given as the tools write it), replacing an equal one. Returns false when unreadable. */
  addAddress(d: Draft, local: string, peer: string | undefined, at: At, family?: 4 | 6): boolean {
    const l = readPrefix(local, true, family)
    const p = peer === undefined ? undefined : readPrefix(peer, true, family)
    if (!l || (peer !== undefined && !p)) {
      this.untranslated(at, `"${peer === undefined || l ? (l ? peer : local) : local}" is not an IP address tunadm can read`, d.name)
      return false
    }
    let localText = formatPrefix(l)
    if (p) {
      if (l.family !== p.family) {
        this.untranslated(at, `the peer ${peer} is not of the same family as ${local}`, d.name)
        return false
      }
      // LOCAL peer PEER/LEN: the local end is a host address; the prefix is the peer's.
      localText = `${l.address}/${l.family === 4 ? 32 : 128}`
    }
    const key = addressKey(localText)
    d.addresses = d.addresses.filter((a) => addressKey(a.local) !== key)
    d.addresses.push({local: localText, peer: p ? formatPrefix(p) : undefined, at})
    return true
  }

  removeAddress(d: Draft, local: string): void {
    const l = readPrefix(local, true)
    if (!l) return
    d.addresses = d.addresses.filter((a) => a.local.split('/')[0] !== l.address)
  }

  /** Add a route through the device; `to` may be "default". Returns false when unreadable. */
  addRoute(d: Draft, to: string, via: string | undefined, metric: number | undefined, at: At, family?: 4 | 6): boolean {
    const fam = family ?? (via ? (via.includes(':') ? 6 : 4) : undefined)
    const dest = to === 'default' ? (fam === 6 ? '::/0' : '0.0.0.0/0') : to
    const p = readPrefix(dest, true, family)
    if (!p) {
      this.untranslated(at, `route destination "${to}" is not a network tunadm can read`, d.name)
      return false
    }
    const net = networkOf(p)
    if (!net.bytes.equals(p.bytes)) {
      this.untranslated(at, `route destination ${to} has host bits set (the kernel refuses it)`, d.name)
      return false
    }
    let gw: string | undefined
    if (via !== undefined) {
      const g = readPrefix(via, true)
      if (!g || g.family !== p.family || g.prefixLen !== (g.family === 4 ? 32 : 128)) {
        this.untranslated(at, `gateway "${via}" is not an address of the route's family`, d.name)
        return false
      }
      gw = g.address
    }
    const toText = formatPrefix(net)
    d.routes = d.routes.filter((r) => !(r.to === toText && (r.metric ?? 0) === (metric ?? 0)))
    d.routes.push({to: toText, ...(gw !== undefined ? {via: gw} : {}), ...(metric !== undefined ? {metric} : {}), at})
    return true
  }
}

/** An address with an optional length (a bare one is a host address), canonical, or undefined. */
export function readPrefix(text: string, hostByDefault: boolean, family?: 4 | 6): Prefix | undefined {
  try {
    const p = parsePrefix(text, 'address', hostByDefault)
    if (family !== undefined && p.family !== family) return undefined
    return {...p, address: bytesToIp(p.bytes)}
  } catch {
    return undefined
  }
}

/** IPv4 addresses are their address and length; an IPv6 one is the address alone (as the kernel keys them). */
function addressKey(local: string): string {
  const [a, len] = local.split('/')
  return a.includes(':') ? a : `${a}/${len}`
}
