/**
 * Configure an existing TUN/TAP device: MAC, interface flags, MTU, txqueuelen, name, owner/group,
 * carrier, addresses and routes. Validation happens in two passes before anything changes:
 * parseSettings() checks the values themselves, checkAgainstDevice() checks them against the
 * device the kernel has (mode, MTU range, name clashes). applySettings() then changes only what
 * differs, so asking for what is already true is a no-op that needs no privileges.
 */
import * as C from '../kernel/constants'
import {Link, Route} from '../kernel/netlink-codec'
import {Netlink} from '../kernel/netlink'
import {withNetdev} from '../kernel/netdev'
import {TunHandle} from '../kernel/tun'
import {isKernelError} from '../kernel/errno'
import {InvalidInputError, TunadmError} from '../errors'
import {IdRef, Mode} from '../model/device'
import {Prefix, bytesToIp, formatPrefix, networkOf, parsePrefix} from '../model/ip'
import {formatMac, parseMac} from '../model/mac'
import {validateIfName} from '../model/validate'
import {resolveGroup, resolveUser} from '../system/accounts'
import {describeHolders, findHolders} from '../system/holders'
import {explainKernelError} from './explain'

/** What the user asked for, as typed (flags of add/set, or a config entry). */
export interface SettingsInput {
  mac?: string
  up?: boolean
  /** Bring it down before the other changes even though it ends up (down, rename, up). */
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

export interface AddressSpec {
  local: Prefix
  peer?: Prefix
}

export interface RouteSpec {
  dst: Prefix
  via?: Prefix
  metric?: number
}

export interface Settings {
  mac?: Buffer
  up?: boolean
  downFirst?: boolean
  promisc?: boolean
  allmulti?: boolean
  arp?: boolean
  multicast?: boolean
  mtu?: number
  txqueuelen?: number
  rename?: string
  /** null: unset (any user). undefined: leave as is. */
  owner?: IdRef | null
  group?: IdRef | null
  carrier?: boolean
  addresses: AddressSpec[]
  delAddresses: AddressSpec[]
  routes: RouteSpec[]
  delRoutes: RouteSpec[]
}

export interface Change {
  what: string
  from?: string | number | boolean | null
  to?: string | number | boolean | null
}

export const MTU_MIN = 68
export const MTU_MAX = 65535
const TXQLEN_MAX = 0xffffffff

function intInRange(v: number, lo: number, hi: number, what: string): number {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new InvalidInputError(`${what} ${v} is out of range`, {code: 'OUT_OF_RANGE', why: `${what} must be a whole number from ${lo} to ${hi}`})
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
    else metric = intInRange(Number(value), 0, TXQLEN_MAX, `${what} metric`)
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
  return {dst, via, metric}
}

function parseAddresses(list: string[] | undefined, peerText: string | undefined, what: string): AddressSpec[] {
  const specs: AddressSpec[] = (list ?? []).map((t) => ({local: parsePrefix(t, what, peerText !== undefined)}))
  if (peerText !== undefined) {
    const peer = parsePrefix(peerText, '--peer', true)
    const same = specs.filter((s) => s.local.family === peer.family)
    if (same.length !== 1) {
      throw new InvalidInputError(`--peer ${peerText} needs exactly one IPv${peer.family} --address to pair with`, {
        code: 'INVALID_PEER', fix: 'e.g. --address 10.0.0.1 --peer 10.0.0.2',
      })
    }
    const [paired] = same
    paired.peer = peer
    // The kernel keeps one prefix length for a point-to-point address, the peer's
    // (as in "ip addr add 10.0.0.1 peer 10.0.0.2/32").
    paired.local = {...paired.local, prefixLen: peer.prefixLen}
  }
  return specs
}

/** Pass 1: the values themselves. Throws InvalidInputError (exit 2) before anything changes. */
export function parseSettings(input: SettingsInput): Settings {
  const s: Settings = {addresses: [], delAddresses: [], routes: [], delRoutes: []}
  if (input.mac !== undefined) s.mac = parseMac(input.mac)
  for (const k of ['up', 'downFirst', 'promisc', 'allmulti', 'arp', 'multicast', 'carrier'] as const) if (input[k] !== undefined) s[k] = input[k]
  if (input.mtu !== undefined) s.mtu = intInRange(input.mtu, MTU_MIN, MTU_MAX, 'MTU')
  if (input.txqueuelen !== undefined) s.txqueuelen = intInRange(input.txqueuelen, 0, TXQLEN_MAX, 'txqueuelen')
  if (input.rename !== undefined) s.rename = validateIfName(input.rename, {what: 'new name'})
  if (input.anyUser) {
    s.owner = null
    s.group = null
  }
  if (input.user !== undefined) s.owner = resolveUser(input.user)
  if (input.group !== undefined) s.group = resolveGroup(input.group)
  s.addresses = parseAddresses(input.addresses, input.peer, '--address')
  s.delAddresses = parseAddresses(input.delAddresses, undefined, '--del-address')
  s.routes = (input.routes ?? []).map((r) => parseRoute(r, input.via))
  if (input.via !== undefined && s.routes.length === 0) {
    throw new InvalidInputError('--via needs a --route to apply to', {code: 'INVALID_ROUTE', fix: 'e.g. --route 10.1.0.0/16 --via 192.168.0.254'})
  }
  s.delRoutes = (input.delRoutes ?? []).map((r) => parseRoute(r, undefined, '--del-route'))
  return s
}

export function isEmpty(s: Settings): boolean {
  const scalar = ['mac', 'up', 'promisc', 'allmulti', 'arp', 'multicast', 'mtu', 'txqueuelen', 'rename', 'owner', 'group', 'carrier'] as const
  return scalar.every((k) => s[k] === undefined) && !s.addresses.length && !s.delAddresses.length && !s.routes.length && !s.delRoutes.length
}

/** Pass 2: the values against the device (read from the kernel, nothing changed yet). */
export function checkAgainstDevice(s: Settings, link: Link, mode: Mode, nl: Netlink): void {
  const name = link.name
  if (s.mac && mode === 'tun') {
    throw new InvalidInputError(`${name} is a TUN device, which has no MAC address`, {code: 'MAC_ON_TUN', why: 'TUN devices carry IP packets without an Ethernet header', fix: 'drop --mac, or use a TAP device (--mode tap)'})
  }
  if (s.mtu !== undefined) {
    const lo = link.minMtu ?? MTU_MIN
    const hi = link.maxMtu || MTU_MAX
    if (s.mtu < lo || s.mtu > hi) {
      throw new InvalidInputError(`MTU ${s.mtu} is out of range for ${name}`, {code: 'OUT_OF_RANGE', why: `the kernel accepts ${lo} to ${hi} for this ${mode} device`})
    }
  }
  for (const a of s.addresses) {
    if (a.peer && mode === 'tap') {
      throw new InvalidInputError(`--peer is for point-to-point TUN devices; ${name} is a TAP device`, {code: 'INVALID_PEER', fix: 'give the address with its prefix length instead, e.g. 192.168.0.1/24'})
    }
  }
  const tun = link.tun
  const clears = (want: IdRef | null | undefined, cur: number | undefined) => want === null && cur !== undefined
  if (tun && (clears(s.owner, tun.owner) || clears(s.group, tun.group))) {
    throw new TunadmError(`cannot clear the owner or group of ${name}: the kernel cannot unset them once set`, {
      code: 'CANNOT_UNSET',
      why: 'TUNSETOWNER and TUNSETGROUP accept only a valid id; "unset" exists only on a device created without one',
      fix: `recreate it: tunadm del ${name} && tunadm add ${name} --mode ${mode} --any-user`,
    })
  }
  if (s.rename !== undefined && s.rename !== name) {
    const clash = nl.link(s.rename)
    if (clash) throw new TunadmError(`cannot rename ${name} to ${s.rename}: a device with that name exists`, {code: 'EEXIST', fix: 'choose another name'})
    if (link.flags & C.IFF_UP && s.up !== false && !s.downFirst) {
      throw new TunadmError(`cannot rename ${name} while it is up`, {code: 'DEVICE_UP', why: 'the kernel renames only devices that are down', fix: `tunadm set ${name} --down --rename ${s.rename} --up (down, rename, and up again in one step)`})
    }
  }
}

// ---- applying ---------------------------------------------------------------------------------

function routeMatches(r: Route, index: number, spec: RouteSpec): boolean {
  return r.oif === index && r.table === C.RT_TABLE_MAIN && r.type === C.RTN_UNICAST && r.dstLen === spec.dst.prefixLen &&
    r.dst === bytesToIp(spec.dst.bytes) && (r.gateway ?? undefined) === (spec.via ? bytesToIp(spec.via.bytes) : undefined) &&
    (spec.metric === undefined || r.priority === spec.metric)
}

const routeText = (r: RouteSpec) => `${formatPrefix({address: bytesToIp(r.dst.bytes), prefixLen: r.dst.prefixLen})}${r.via ? ` via ${r.via.address}` : ''}${r.metric !== undefined ? ` metric ${r.metric}` : ''}`
const addrText = (a: AddressSpec) => `${formatPrefix({address: bytesToIp(a.local.bytes), prefixLen: a.local.prefixLen})}${a.peer ? ` peer ${a.peer.address}` : ''}`

function flagPlan(s: Settings): {set: number; clear: number} {
  let set = 0
  let clear = 0
  const want = (on: boolean | undefined, bit: number) => {
    if (on === true) set |= bit
    if (on === false) clear |= bit
  }
  want(s.up, C.IFF_UP)
  want(s.promisc, C.IFF_PROMISC)
  want(s.allmulti, C.IFF_ALLMULTI)
  want(s.multicast, C.IFF_MULTICAST)
  // arp on = NOARP off
  want(s.arp === undefined ? undefined : !s.arp, C.IFF_NOARP)
  return {set, clear}
}

const FLAG_WORDS: Array<[number, string]> = [[C.IFF_PROMISC, 'promisc'], [C.IFF_ALLMULTI, 'allmulti'], [C.IFF_MULTICAST, 'multicast'], [C.IFF_NOARP, 'noarp']]

export interface ApplyContext {
  nl: Netlink
  link: Link
  mode: Mode
  /** The creator's fd while `add` configures a new device; owner changes then need no attach. */
  handle?: TunHandle
  /** Work out and report the changes without making them (apply --dry-run). */
  dryRun?: boolean
}

/**
 * Change what differs, in an order the kernel accepts: owner, down, rename, MAC/MTU/txqueuelen,
 * flags (up last), carrier, addresses, routes (IPv4 routes need the device up).
 * Each failure names its step; changes made before it are reported in the error's message.
 */
export function applySettings(ctx: ApplyContext, s: Settings): {name: string; changes: Change[]} {
  const {nl, link} = ctx
  let name = link.name
  const index = link.index
  const changes: Change[] = []
  let step = ''
  const run = (label: string, fn: () => void) => {
    step = label
    if (!ctx.dryRun) fn()
  }
  try {
    withNetdev((sock) => {
      step = 'change the owner'
      changeOwnership(ctx, s, changes)
      let flags = sock.getFlags(name)
      const wasUp = (flags & C.IFF_UP) !== 0
      if ((s.up === false || s.downFirst) && wasUp) {
        run('bring it down', () => sock.setFlags(name, flags & ~C.IFF_UP))
        flags &= ~C.IFF_UP
      }
      if (s.rename !== undefined && s.rename !== name) {
        const to = s.rename
        run(`rename it to ${to}`, () => sock.rename(name, to))
        changes.push({what: 'name', from: name, to})
        if (!ctx.dryRun) name = to
      }
      if (s.mac) {
        const cur = sock.getHwaddr(name)
        if (!cur.equals(s.mac)) {
          run('set the MAC address', () => sock.setHwaddr(name, s.mac!))
          changes.push({what: 'mac', from: formatMac(cur), to: formatMac(s.mac)})
        }
      }
      if (s.mtu !== undefined) {
        const cur = sock.getMtu(name)
        if (cur !== s.mtu) {
          run('set the MTU', () => sock.setMtu(name, s.mtu!))
          changes.push({what: 'mtu', from: cur, to: s.mtu})
        }
      }
      if (s.txqueuelen !== undefined) {
        const cur = sock.getTxqlen(name)
        if (cur !== s.txqueuelen) {
          run('set txqueuelen', () => sock.setTxqlen(name, s.txqueuelen!))
          changes.push({what: 'txqueuelen', from: cur, to: s.txqueuelen})
        }
      }
      const {set, clear} = flagPlan(s)
      const next = (flags | set) & ~clear
      if (next !== flags) {
        // Other flags first, UP last, so that a device comes up already configured.
        const beforeUp = next & ~C.IFF_UP | (flags & C.IFF_UP)
        if (beforeUp !== flags) run('set interface flags', () => sock.setFlags(name, beforeUp))
        if (next !== beforeUp) run('bring it up', () => sock.setFlags(name, next))
        for (const [bit, word] of FLAG_WORDS) if ((flags ^ next) & bit) changes.push({what: word, from: (flags & bit) !== 0, to: (next & bit) !== 0})
      }
      const isUp = (next & C.IFF_UP) !== 0
      if (isUp !== wasUp) changes.push({what: 'up', from: wasUp, to: isUp})
    })
    if (s.carrier !== undefined) {
      const cur = nl.link(name)?.carrier
      if (cur !== s.carrier) {
        run(`turn the carrier ${s.carrier ? 'on' : 'off'}`, () => nl.setCarrier(index, name, s.carrier!))
        changes.push({what: 'carrier', from: cur ?? null, to: s.carrier})
      }
    }
    if (s.addresses.length || s.delAddresses.length) {
      const have = nl.addresses().filter((a) => a.index === index)
      const present = (a: AddressSpec) => have.some((h) => h.family === a.local.family && h.address === bytesToIp(a.local.bytes) && h.prefixLen === a.local.prefixLen && (h.peer ?? undefined) === (a.peer ? bytesToIp(a.peer.bytes) : undefined))
      for (const a of s.delAddresses) {
        if (!present(a)) continue
        run(`remove address ${addrText(a)}`, () => nl.deleteAddress(index, name, a.local, a.peer))
        changes.push({what: 'address', from: addrText(a), to: null})
      }
      for (const a of s.addresses) {
        if (present(a)) continue
        run(`add address ${addrText(a)}`, () => nl.addAddress(index, name, a.local, a.peer))
        changes.push({what: 'address', from: null, to: addrText(a)})
      }
    }
    if (s.routes.length || s.delRoutes.length) {
      const have = () => nl.routes().filter((r) => r.oif === index)
      for (const r of s.delRoutes) {
        if (!have().some((h) => routeMatches(h, index, r))) continue
        run(`remove route ${routeText(r)}`, () => nl.deleteRoute(index, name, r.dst, r.via, r.metric))
        changes.push({what: 'route', from: routeText(r), to: null})
      }
      for (const r of s.routes) {
        if (have().some((h) => routeMatches(h, index, r))) continue
        run(`add route ${routeText(r)}`, () => nl.addRoute(index, name, r.dst, r.via, r.metric))
        changes.push({what: 'route', from: null, to: routeText(r)})
      }
    }
  } catch (err) {
    throw stepError(err, step, name, changes)
  }
  return {name, changes}
}

function stepError(err: unknown, step: string, name: string, changes: Change[]): unknown {
  let e = err
  if (isKernelError(err)) {
    if (err.code === 'ENETDOWN') {
      e = new TunadmError(`cannot ${step} on ${name}: ${err.message}`, {code: 'ENETDOWN', why: `${name} is down, and the kernel adds IPv4 routes only through devices that are up`, fix: 'add --up'})
    } else if (err.op === 'RTM_SETLINK' && err.code === 'EPERM' && step.startsWith('turn the carrier on')) {
      e = new TunadmError(`cannot ${step} on ${name}: no program is attached`, {
        code: 'NO_QUEUE', why: 'a TUN/TAP device has carrier only while a program holds it open; the kernel refuses to fake one',
        fix: 'start the program that uses the device (it turns the carrier on by attaching)',
      })
    } else {
      e = explainKernelError(err, {action: `${step} on ${name}`, device: name})
    }
  }
  if (e instanceof TunadmError && changes.length && !(e instanceof InvalidInputError)) {
    const done = changes.map(describeChange).join('; ')
    return new TunadmError(`${e.message} (already changed: ${done})`, {code: e.code, exitCode: e.exitCode, why: e.why, fix: e.fix})
  }
  return e
}

/**
 * Owner and group live in the tun driver: changing them needs an fd attached to the device
 * (TUNSETIFF with the device's own flags, since attaching with others would change them), then
 * TUNSETOWNER/TUNSETGROUP. A single-queue device held by a program cannot be attached: name it.
 */
function changeOwnership(ctx: ApplyContext, s: Settings, changes: Change[]): void {
  const tun = ctx.link.tun!
  const cur = {owner: tun.owner, group: tun.group}
  const want = {
    owner: s.owner === undefined ? cur.owner : s.owner === null ? undefined : s.owner.id,
    group: s.group === undefined ? cur.group : s.group === null ? undefined : s.group.id,
  }
  const planned: Array<{what: 'owner' | 'group'; from?: number; to?: number}> = []
  if (want.owner !== cur.owner) planned.push({what: 'owner', from: cur.owner, to: want.owner})
  if (want.group !== cur.group) planned.push({what: 'group', from: cur.group, to: want.group})
  const record = (c: (typeof planned)[number]) => changes.push({what: c.what, from: c.from ?? null, to: c.to ?? null})
  if (planned.length === 0) return
  if (ctx.dryRun) {
    planned.forEach(record)
    return
  }
  let handle = ctx.handle
  const own = !handle
  if (!handle) {
    const holders = findHolders().get(ctx.link.name) ?? []
    if (holders.length && !tun.multiQueue) {
      throw new TunadmError(`cannot change the owner of ${ctx.link.name}: it is in use by ${describeHolders(holders)}`, {
        code: 'EBUSY', why: 'owner and group are changed through an attached file descriptor, and a single-queue device takes one at a time',
        fix: 'stop that program, change the owner, and start it again',
      })
    }
    handle = TunHandle.attachExisting(ctx.link.name, {mode: tun.type, pi: tun.pi, vnetHdr: tun.vnetHdr, multiQueue: tun.multiQueue})
  }
  try {
    for (const c of planned) {
      if (c.what === 'owner') handle.setOwner(c.to)
      else handle.setGroup(c.to)
      record(c)
    }
  } finally {
    if (own) handle.close()
  }
}

export function describeChange(c: Change): string {
  const v = (x: Change['from']) => (x === null || x === undefined ? 'none' : String(x))
  if (c.what === 'address' || c.what === 'route') return c.to === null ? `removed ${c.what} ${c.from}` : `added ${c.what} ${c.to}`
  return `${c.what} ${v(c.from)} -> ${v(c.to)}`
}
