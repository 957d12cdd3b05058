/**
 * The rules one device's settings must follow, in one place for every way of asking: the flags of
 * add and set, and the entries of the config file. Pure: callers give the device as it will be
 * (the config loader: the entry; the planner: the kernel's snapshot with the request applied) and
 * get back problems, each naming the setting it is about so that the loader can point at its line.
 */
import {Mode} from './device'
import {AddressSpec, RouteSpec, addressFacts, addressKey, addressText, routeFacts, routeKey, routeText} from './desired'
import {Prefix, bytesToIp, parsePrefix, prefixesOverlap} from './ip'
import {TunFlagValues, tunFlagProblems} from './settings'
import {IPV6_MIN_MTU} from './limits'

export interface Problem {
  code: string
  /** The setting it is about (a config key). */
  field: 'mac' | 'peer' | 'mtu' | 'addresses' | 'routes' | 'up'
  /** Which route or address, when it is about one. */
  index?: number
  /** What is wrong. */
  message: string
  /** What would be right. */
  expected: string
}

/** One device as it will be once the request is done. */
export interface DeviceView {
  /** How messages name it: "tun0", "device tun0", "range tap{0..3}". */
  label: string
  mode: Mode
  hasMac?: boolean
  /** The MTU it will have, when known, and whether this request sets it. */
  mtu?: number
  mtuRequested?: boolean
  /** Whether it will be up (undefined: not known, which counts as not up). */
  up?: boolean
  /** The addresses it will have (without the kernel's own link-local ones, unless this request adds them). */
  addresses: AddressSpec[]
  /** The addresses this request adds or keeps: checked for duplicates. */
  requestedAddresses: AddressSpec[]
  /** The routes this request adds or keeps. */
  routes: RouteSpec[]
}

const isLinkLocal6 = (p: Prefix) => p.family === 6 && p.bytes[0] === 0xfe && (p.bytes[1] & 0xc0) === 0x80

export function checkDevice(v: DeviceView): Problem[] {
  // Indexed loops, and maps only where there can be two of a thing: the loader and the planner check
  // each of thousands of devices, most with one address and no route.
  const problems: Problem[] = []
  if (v.hasMac && v.mode === 'tun') {
    problems.push({code: 'MAC_ON_TUN', field: 'mac', message: `${v.label} is a TUN device, which has no MAC address (it carries IP packets, without an Ethernet header)`, expected: 'a MAC address only on a TAP device'})
  }
  const requested = v.requestedAddresses
  const seenAddr = requested.length > 1 ? new Map<string, AddressSpec>() : undefined
  for (let index = 0; index < requested.length; index++) {
    const a = requested[index]
    if (a.peer && v.mode === 'tap') {
      problems.push({code: 'INVALID_PEER', field: 'peer', message: `${v.label} is a TAP device, and a peer is for point-to-point TUN devices`, expected: 'the address with its prefix length instead, e.g. 192.168.0.1/24'})
    }
    if (!seenAddr) continue
    const key = addressKey(addressFacts(a))
    const first = seenAddr.get(key)
    if (first) {
      problems.push({
        code: 'DUPLICATE_ADDRESS', field: 'addresses', index,
        message: `address ${addressText(addressFacts(a))} is given twice for ${v.label}${a.local.family === 6 ? ` (an IPv6 address is one address whatever its prefix length; the first is ${addressText(addressFacts(first))})` : ''}`,
        expected: 'each address once',
      })
    } else seenAddr.set(key, a)
  }
  if (v.mtu !== undefined && v.mtu < IPV6_MIN_MTU) {
    const v6 = v.addresses.filter((a) => a.local.family === 6)
    if (v6.length > 0) {
      problems.push({
        code: 'MTU_TOO_SMALL_FOR_IPV6', field: v.mtuRequested ? 'mtu' : 'addresses',
        message: `MTU ${v.mtu} is below ${IPV6_MIN_MTU}, where the kernel turns IPv6 off, but ${v.label} would have IPv6 address ${addressText(addressFacts(v6[0]))}`,
        expected: `an MTU of ${IPV6_MIN_MTU} or more, or no IPv6 address`,
      })
    }
  }
  if (v.routes.length === 0) return problems
  const seenRoute = new Map<string, number>()
  v.routes.forEach((r, index) => {
    const facts = routeFacts(r)
    const key = routeKey(facts)
    if (seenRoute.has(key)) {
      problems.push({code: 'DUPLICATE_ROUTE', field: 'routes', index, message: `the route to ${routeText({...facts, via: undefined})} is given twice for ${v.label} (a route is its destination and metric)`, expected: 'each destination once per metric'})
    }
    seenRoute.set(key, index)
    if (!r.via) return
    const via = bytesToIp(r.via.bytes)
    const own = v.addresses.find((a) => a.local.family === r.via!.family && a.local.bytes.equals(r.via!.bytes))
    if (own) {
      problems.push({code: 'GATEWAY_IS_LOCAL', field: 'routes', index, message: `the gateway ${via} of the route to ${routeText(facts)} is ${v.label}'s own address; the kernel refuses a gateway that is local`, expected: 'the address of the next hop (e.g. the peer), or no gateway (a device route)'})
    } else if (!gatewayReachable(r.via, v.addresses)) {
      const peer = v.addresses.some((a) => a.peer)
      problems.push({
        code: 'GATEWAY_UNREACHABLE', field: 'routes', index,
        message: `the gateway ${via} of the route to ${routeText({...facts, via: undefined})} is not on ${v.label}: no address of the device covers it`,
        expected: `a gateway inside one of its address prefixes${peer ? ' or the peer' : ''}, or no gateway (a device route)`,
      })
    }
  })
  if (v.routes.length > 0 && v.up !== true) {
    problems.push({code: 'ROUTE_NEEDS_UP', field: 'routes', message: `${v.label} would have routes but not be up; the kernel refuses routes through a device that is down`, expected: 'the device up (up: true, or --up)'})
  }
  return problems
}

/**
 * What one device cannot see on its own: an address (the local address, whatever its length) or a
 * route (the kernel's identity: destination and metric, routeKey) on two devices. Each problem names
 * the index of the device it is found on, the second of the two.
 */
export function checkAcrossDevices(devices: ReadonlyArray<{name: string; addresses: AddressSpec[]; routes: RouteSpec[]}>): Array<{device: number; message: string}> {
  return across(devices.length, (i) => devices[i].name, (i, j) => j < devices[i].addresses.length ? bytesToIp(devices[i].addresses[j].local.bytes) : undefined, (i) => devices[i].routes)
}

/**
 * checkAcrossDevices over config entries (canonical ADDRESS/LEN texts and routes' destinations and metrics).
 * A canonical text's address is the text before its '/', as bytesToIp writes it: not parsed again.
 */
export function checkAcrossEntries(devices: ReadonlyArray<{name: string; addresses?: string[]; routes?: Array<{to: string; metric?: number}>}>): Array<{device: number; message: string}> {
  const noRoutes: RouteSpec[] = []
  return across(devices.length, (i) => devices[i].name, (i, j) => {
    const a = devices[i].addresses
    return a !== undefined && j < a.length ? a[j].slice(0, a[j].indexOf('/')) : undefined
  }, (i) => {
    const r = devices[i].routes
    return r === undefined || r.length === 0 ? noRoutes : r.map((x) => ({dst: parsePrefix(x.to, 'to'), metric: x.metric}))
  })
}

/** The check of both: device i's name, its j-th address as text (undefined past the last), its routes. */
function across(count: number, nameOf: (i: number) => string, addressOf: (i: number, j: number) => string | undefined, routesOf: (i: number) => RouteSpec[]): Array<{device: number; message: string}> {
  const out: Array<{device: number; message: string}> = []
  const addressOwner = new Map<string, string>()
  const routeOwner = new Map<string, string>()
  for (let device = 0; device < count; device++) {
    const name = nameOf(device)
    for (let j = 0, ip = addressOf(device, 0); ip !== undefined; ip = addressOf(device, ++j)) {
      const other = addressOwner.get(ip)
      if (other) out.push({device, message: `address ${ip} is on both ${other} and ${name}; expected each address on one device`})
      else addressOwner.set(ip, name)
    }
    // Indexed: a for-of makes an iterator for each device, most of which have no route.
    const routes = routesOf(device)
    for (let k = 0; k < routes.length; k++) {
      const facts = routeFacts(routes[k])
      const key = routeKey(facts)
      const other = routeOwner.get(key)
      if (other) out.push({device, message: `the route to ${facts.dst}/${facts.dstLen} (metric ${facts.metric}) is on both ${other} and ${name}; the kernel keeps one; expected it on one device, or a different metric`})
      else routeOwner.set(key, name)
    }
  }
  return out
}

function gatewayReachable(gw: Prefix, addresses: AddressSpec[]): boolean {
  if (isLinkLocal6(gw)) return true // link-local: on every IPv6 link
  const host: Prefix = {...gw, prefixLen: gw.family === 4 ? 32 : 128}
  return addresses.some((a) => {
    if (a.local.family !== gw.family) return false
    if (a.peer) return prefixesOverlap({...a.peer, prefixLen: a.local.prefixLen}, host)
    return prefixesOverlap(a.local, host)
  })
}

/**
 * Pair a point-to-point peer with the one local address of its family. The local address must be a
 * single host (or given bare); the link's prefix length goes on the peer, as the kernel keeps it
 * (ip addr add 10.0.0.1 peer 10.0.0.0/24). Returns the addresses, or the problem.
 */
export function pairPeer(locals: Array<{prefix: Prefix; bare: boolean}>, peer: Prefix, label: string): AddressSpec[] | Problem {
  const same = locals.filter((l) => l.prefix.family === peer.family)
  if (same.length !== 1) {
    return {
      code: 'INVALID_PEER', field: 'peer',
      message: `peer ${peer.address} needs exactly one IPv${peer.family} address on ${label} to pair with (it has ${same.length})`,
      expected: `one local address, e.g. ${peer.family === 4 ? '10.8.0.1/32' : 'fd00::1/128'}`,
    }
  }
  const [local] = same
  const hostLen = local.prefix.bytes.length * 8
  if (!local.bare && local.prefix.prefixLen !== hostLen) {
    return {
      code: 'INVALID_PEER', field: 'peer',
      message: `with a peer, the local address ${local.prefix.address}/${local.prefix.prefixLen} of ${label} must be a single host`,
      expected: `${local.prefix.address}/${hostLen} (the link's prefix length goes on the peer, e.g. ${peer.family === 4 ? '10.8.0.0/24' : 'fd00::/64'})`,
    }
  }
  return locals.map((l) => (l === local ? {local: {...l.prefix, prefixLen: peer.prefixLen}, peer} : {local: l.prefix}))
}

/** A config entry as the loader read it: its settings (defaults merged) by key, and how many devices it names. */
export interface EntryView {
  label: string
  /** A range: how many devices it expands to (settings that must differ per device are refused). */
  rangeSize?: number
  mode?: Mode
  /** A mode was written somewhere (an invalid one is reported where it is written). */
  modeWritten: boolean
  /** Its names passed the name rules (else the device rules are left until they do). */
  namesOk: boolean
  values: Record<string, unknown>
}

/** An entry's problem: the setting it is about (its value, or its key with `onKey`), or a route by index. */
export interface EntryProblem {
  field?: string
  onKey?: boolean
  index?: number
  message: string
}

/**
 * The rules of one config entry, in one place with the rules every way of asking shares: a mode, an
 * owner (or any_user), nothing per-device on a range, then checkDevice and the TUN flags' rules.
 */
export function checkEntry(e: EntryView): EntryProblem[] {
  const out: EntryProblem[] = []
  const v = e.values
  const {label, mode} = e
  if (!mode && !e.modeWritten) out.push({message: `${label} has no mode; expected mode: tun or mode: tap (here or in defaults)`})
  if (v.any_user === true && (v.user !== undefined || v.group !== undefined)) {
    out.push({field: 'any_user', message: `${label} has any_user: true together with user or group; expected either an owner (user and/or group) or any_user: true, not both`})
  } else if (v.any_user !== true && v.user === undefined && v.group === undefined) {
    out.push({field: 'any_user', message: `${label} has no owner; expected user: NAME|UID and/or group: NAME|GID, or any_user: true to let every user who can open /dev/net/tun attach`})
  }
  if (e.rangeSize !== undefined) {
    if (v.mac !== undefined) out.push({field: 'mac', message: `${label} would give one MAC to ${e.rangeSize} devices; expected mac only on single devices (write each one as its own entry)`})
    for (const k of ['addresses', 'peer', 'routes']) {
      if (v[k] !== undefined) out.push({field: k, onKey: true, message: `${label} would give the same ${k} to ${e.rangeSize} devices; expected ${k} only on single devices`})
    }
  }
  if (mode && e.namesOk && out.length === 0) {
    const addresses = ((v.addresses as string[] | undefined) ?? []).map((a) => ({prefix: parsePrefix(a, 'address'), bare: false}))
    let specs: AddressSpec[] | Problem = addresses.map((a) => ({local: a.prefix}))
    if (v.peer !== undefined) specs = pairPeer(addresses, parsePrefix(v.peer as string, 'peer', true), label)
    const routes = (v.routes as Array<{to: string; via?: string; metric?: number}> | undefined) ?? []
    const problems = Array.isArray(specs) ? checkDevice({
      label, mode, hasMac: v.mac !== undefined, mtu: v.mtu as number | undefined, mtuRequested: true, up: v.up as boolean | undefined,
      addresses: specs, requestedAddresses: specs,
      routes: routes.map((r) => ({dst: parsePrefix(r.to, 'to'), via: r.via === undefined ? undefined : parsePrefix(r.via, 'via', true), metric: r.metric})),
    }) : [specs]
    for (const p of problems) out.push({field: p.field, onKey: p.field === 'routes' || p.field === 'addresses', index: p.field === 'routes' ? p.index : undefined, message: `${p.message}; expected ${p.expected}`})
  }
  if (mode) for (const p of tunFlagProblems(mode, v as TunFlagValues, label)) out.push({field: p.key, message: `${p.message}; expected ${p.expected}`})
  return out
}
