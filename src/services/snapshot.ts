/**
 * What the kernel has, read once per command: links, addresses, routes (one netlink dump each, taken
 * when first needed, and converted from the wire's types to the model's, model/state.ts, as a whole
 * when read) and the processes holding TUN/TAP devices (one /proc scan, when first needed). The planner
 * reads only this, so that it is pure and unit-tested with fake snapshots.
 */
import * as C from '../kernel/constants'
import {Address, Link, Route} from '../kernel/netlink-codec'
import {Netlink} from '../kernel/netlink'
import {routeKey} from '../model/desired'
import {Holder, holdersOf} from '../model/device'
import {AddressState, LinkState, RouteState} from '../model/state'
import {readTunFlags} from '../kernel/sysfs'
import {findHolders} from '../system/holders'
import {MANY_DEVICES, noOptimisingCompiler} from '../system/jit'

export interface Snapshot {
  /** The link named `name`, of any kind. */
  link(name: string): LinkState | undefined
  /** Every link. */
  links(): LinkState[]
  /** The addresses on device `index`. */
  addresses(index: number): AddressState[]
  /** Main-table unicast routes, all devices. */
  routes(): RouteState[]
  /** Processes holding device `name` open (judged against the device's own queue counts). */
  holders(name: string): Holder[]
  /** The tun link's sysfs tun_flags (napi...), or undefined when they cannot be read. */
  tunFlags(link: LinkState): number | undefined
}

/**
 * A kernel link in model terms. The decoder's Link is a LinkState already (with the wire's hardware type and
 * port besides, which the model does not read): it is taken as it is, not copied field by field into a new
 * object and a new tun object for each of the thousands of links of a dump. Nothing changes a LinkState.
 */
export function linkState(l: Link): LinkState {
  return l
}

/** A kernel address in model terms (model/desired.ts's identity). */
export function addressState(a: Address): AddressState {
  const s: AddressState = {family: a.family, address: a.address, prefixLen: a.prefixLen, index: a.index, linkScope: a.scope === C.RT_SCOPE_LINK}
  if (a.peer) s.peer = a.peer
  return s
}

/** Routes the kernel or a router advertisement made: not ours to remove. */
const foreignProtocols = new Set([C.RTPROT_KERNEL, 9 /* RTPROT_RA */])

/** A kernel route in model terms (model/desired.ts's identity), and whether it is tunadm's to remove. */
export function routeState(r: Route): RouteState {
  return {
    family: r.family, dst: r.dst, dstLen: r.dstLen, via: r.gateway, metric: r.priority ?? 0, oif: r.oif,
    ours: !foreignProtocols.has(r.protocol) && !(r.family === 6 && r.dst.startsWith('fe80:')),
  }
}

/** Main table, unicast: local/broadcast and multicast entries are the kernel's own. */
export function isMainUnicast(r: Route): boolean {
  return r.table === C.RT_TABLE_MAIN && r.type === C.RTN_UNICAST
}

/** The kernel's addresses in model terms, by device (one pass: no list of them all made first). */
function byDevice(list: Address[], toState: (a: Address) => AddressState): Map<number, AddressState[]> {
  const out = new Map<number, AddressState[]>()
  for (let i = 0; i < list.length; i++) {
    const a = toState(list[i])
    const l = out.get(a.index)
    if (l) l.push(a)
    else out.set(a.index, [a])
  }
  return out
}

function linkHolders(link: LinkState | undefined, candidates: Holder[]): Holder[] {
  if (!link?.tun || candidates.length === 0) return candidates
  return holdersOf({multiQueue: link.tun.multiQueue, queues: link.tun.numQueues, disabledQueues: link.tun.numDisabledQueues}, candidates)
}

/** A snapshot over arrays (tests, and after a dump). */
export function staticSnapshot(data: {links: Link[]; addresses?: Address[]; routes?: Route[]; holders?: Map<string, Holder[]>; tunFlags?: Map<string, number>}): Snapshot {
  const links = data.links.map(linkState)
  const byName = new Map(links.map((l) => [l.name, l]))
  const byIndex = byDevice(data.addresses ?? [], addressState)
  const routes = (data.routes ?? []).filter(isMainUnicast).map(routeState)
  return {
    link: (name) => byName.get(name),
    links: () => links,
    addresses: (index) => byIndex.get(index) ?? [],
    routes: () => routes,
    holders: (name) => linkHolders(byName.get(name), data.holders?.get(name) ?? []),
    tunFlags: (link) => data.tunFlags?.get(link.name),
  }
}

/** The live snapshot: each part read from the kernel the first time it is asked for, then kept. */
export function kernelSnapshot(nl: Netlink): Snapshot {
  let links: Map<string, LinkState> | undefined
  const single = new Map<string, LinkState | undefined>()
  let addresses: Map<number, AddressState[]> | undefined
  let routes: RouteState[] | undefined
  let holders: Map<string, Holder[]> | undefined
  const flags = new Map<string, number | undefined>()
  const allLinks = () => {
    if (links === undefined) {
      // A loop, not a map to pairs: no array made per link of a dump of thousands.
      // A dump of many links (a down of a large config, an apply on a busy host) is one pass in a short
      // process: the optimising compilers would cost more than they save, as for list (system/jit.ts).
      const dump = nl.links(undefined, (n) => n === MANY_DEVICES && noOptimisingCompiler())
      links = new Map()
      for (let i = 0; i < dump.length; i++) links.set(dump[i].name, linkState(dump[i]))
    }
    return links
  }
  const snap: Snapshot = {
    link(name) {
      if (links) return links.get(name)
      // One device: ask for it alone rather than dumping every link on a busy host.
      if (!single.has(name)) {
        const l = nl.link(name)
        single.set(name, l && linkState(l))
      }
      return single.get(name)
    },
    links: () => [...allLinks().values()],
    addresses(index) {
      addresses ??= byDevice(nl.addresses(), addressState)
      return addresses.get(index) ?? []
    },
    routes() {
      routes ??= nl.mainUnicastRoutes().map(routeState)
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

interface RouteIndex {
  byKey: Map<string, RouteState[]>
  byOif: Map<number, RouteState[]>
}

/** The snapshot's routes by identity and by device, built once per snapshot (1000 devices stay linear). */
const routeIndexes = new WeakMap<Snapshot, RouteIndex>()

export function routesIndexed(snap: Snapshot): RouteIndex {
  let idx = routeIndexes.get(snap)
  if (!idx) {
    idx = {byKey: new Map(), byOif: new Map()}
    const add = <K>(m: Map<K, RouteState[]>, k: K, r: RouteState) => {
      const list = m.get(k)
      if (list) list.push(r)
      else m.set(k, [r])
    }
    for (const r of snap.routes()) {
      add(idx.byKey, routeKey(r), r)
      if (r.oif !== undefined) add(idx.byOif, r.oif, r)
    }
    routeIndexes.set(snap, idx)
  }
  return idx
}
