/**
 * What the kernel has, read once per command: links, addresses, routes (one netlink dump each, taken
 * when first needed) and the processes holding TUN/TAP devices (one /proc scan, when first needed).
 * The planner reads only this, so that it is pure and unit-tested with fake snapshots.
 */
import * as C from '../kernel/constants'
import {Address, Link, Route} from '../kernel/netlink-codec'
import {Netlink} from '../kernel/netlink'
import {AddressFacts, RouteFacts, routeKey} from '../model/desired'
import {Holder, holdersOf} from '../model/device'
import {readTunFlags} from '../kernel/sysfs'
import {findHolders} from '../system/holders'

export interface Snapshot {
  /** The link named `name`, of any kind. */
  link(name: string): Link | undefined
  /** Every link. */
  links(): Link[]
  /** The addresses on device `index`. */
  addresses(index: number): Address[]
  /** Main-table unicast routes, all devices. */
  routes(): Route[]
  /** Processes holding device `name` open (judged against the device's own queue counts). */
  holders(name: string): Holder[]
  /** The tun link's sysfs tun_flags (napi...), or undefined when they cannot be read. */
  tunFlags(link: Link): number | undefined
}

/** Main table, unicast: local/broadcast and multicast entries are the kernel's own. */
export function isMainUnicast(r: Route): boolean {
  return r.table === C.RT_TABLE_MAIN && r.type === C.RTN_UNICAST
}

function byDevice(list: Address[]): Map<number, Address[]> {
  const out = new Map<number, Address[]>()
  for (const a of list) {
    const l = out.get(a.index)
    if (l) l.push(a)
    else out.set(a.index, [a])
  }
  return out
}

function linkHolders(link: Link | undefined, candidates: Holder[]): Holder[] {
  if (!link?.tun || candidates.length === 0) return candidates
  return holdersOf({multiQueue: link.tun.multiQueue, queues: link.tun.numQueues, disabledQueues: link.tun.numDisabledQueues}, candidates)
}

/** A snapshot over arrays (tests, and after a dump). */
export function staticSnapshot(data: {links: Link[]; addresses?: Address[]; routes?: Route[]; holders?: Map<string, Holder[]>; tunFlags?: Map<string, number>}): Snapshot {
  const byName = new Map(data.links.map((l) => [l.name, l]))
  const byIndex = byDevice(data.addresses ?? [])
  const routes = (data.routes ?? []).filter(isMainUnicast)
  return {
    link: (name) => byName.get(name),
    links: () => data.links,
    addresses: (index) => byIndex.get(index) ?? [],
    routes: () => routes,
    holders: (name) => linkHolders(byName.get(name), data.holders?.get(name) ?? []),
    tunFlags: (link) => data.tunFlags?.get(link.name),
  }
}

/** The live snapshot: each part read from the kernel the first time it is asked for, then kept. */
export function kernelSnapshot(nl: Netlink): Snapshot {
  let links: Map<string, Link> | undefined
  const single = new Map<string, Link | undefined>()
  let addresses: Map<number, Address[]> | undefined
  let routes: Route[] | undefined
  let holders: Map<string, Holder[]> | undefined
  const flags = new Map<string, number | undefined>()
  const allLinks = () => {
    links ??= new Map(nl.links().map((l) => [l.name, l]))
    return links
  }
  const snap: Snapshot = {
    link(name) {
      if (links) return links.get(name)
      // One device: ask for it alone rather than dumping every link on a busy host.
      if (!single.has(name)) single.set(name, nl.link(name))
      return single.get(name)
    },
    links: () => [...allLinks().values()],
    addresses(index) {
      addresses ??= byDevice(nl.addresses())
      return addresses.get(index) ?? []
    },
    routes() {
      routes ??= nl.mainUnicastRoutes()
      return routes
    },
    holders(name) {
      holders ??= findHolders()
      return linkHolders(snap.link(name), holders.get(name) ?? [])
    },
    tunFlags(link) {
      if (!flags.has(link.name)) flags.set(link.name, readTunFlags(link.name))
      return flags.get(link.name)
    },
  }
  return snap
}

/** A kernel route, and a kernel address, in model terms (model/desired.ts's identities). */
export const routeFactsOf = (r: Route): RouteFacts => ({family: r.family, dst: r.dst, dstLen: r.dstLen, via: r.gateway, metric: r.priority ?? 0})
export const addressFactsOf = (a: Address): AddressFacts => (a.peer ? {family: a.family, address: a.address, prefixLen: a.prefixLen, peer: a.peer} : {family: a.family, address: a.address, prefixLen: a.prefixLen})

interface RouteIndex {
  byKey: Map<string, Route[]>
  byOif: Map<number, Route[]>
}

/** The snapshot's routes by identity and by device, built once per snapshot (1000 devices stay linear). */
const routeIndexes = new WeakMap<Snapshot, RouteIndex>()

export function routesIndexed(snap: Snapshot): RouteIndex {
  let idx = routeIndexes.get(snap)
  if (!idx) {
    idx = {byKey: new Map(), byOif: new Map()}
    const add = <K>(m: Map<K, Route[]>, k: K, r: Route) => {
      const list = m.get(k)
      if (list) list.push(r)
      else m.set(k, [r])
    }
    for (const r of snap.routes()) {
      add(idx.byKey, routeKey(routeFactsOf(r)), r)
      if (r.oif !== undefined) add(idx.byOif, r.oif, r)
    }
    routeIndexes.set(snap, idx)
  }
  return idx
}
