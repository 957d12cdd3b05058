/** Use cases for TUN/TAP devices: create, delete, list, show. */
import * as C from '../kernel/constants'
import {isKernelError} from '../kernel/errno'
import {Address, Link, Route} from '../kernel/netlink-codec'
import {Netlink, withNetlink} from '../kernel/netlink'
import {TunHandle, TunFlags} from '../kernel/tun'
import {TunadmError} from '../errors'
import {AddressView, IdRef, Mode, RouteView, TunDevice, describeOwnership} from '../model/device'
import {isTemplate, validateIfName} from '../model/validate'
import {groupName, userName} from '../system/accounts'
import {Holder, describeHolders, findHolders} from '../system/holders'
import {explainKernelError} from './explain'

const PROTOCOLS: Record<number, string> = {[C.RTPROT_KERNEL]: 'kernel', [C.RTPROT_BOOT]: 'boot', [C.RTPROT_STATIC]: 'static'}

export function flagNames(flags: number): string[] {
  return C.IF_FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name)
}

function idRef(id: number | undefined, lookup: (n: number) => string | undefined): IdRef | null {
  return id === undefined ? null : {id, name: lookup(id)}
}

export function kindOf(link: Link): string {
  if (link.kind) return link.kind
  if (link.flags & C.IFF_LOOPBACK) return 'loopback'
  return 'a physical or driver-managed device'
}

export function toDevice(link: Link): TunDevice {
  const tun = link.tun
  if (!tun) throw new Error(`${link.name} is not a tun link`)
  const owner = idRef(tun.owner, userName)
  const group = idRef(tun.group, groupName)
  const dev: TunDevice = {
    name: link.name,
    index: link.index,
    mode: tun.type,
    pi: tun.pi,
    vnetHdr: tun.vnetHdr,
    multiQueue: tun.multiQueue,
    persist: tun.persist,
    owner,
    group,
    anyUserMayAttach: !owner && !group,
    up: (link.flags & C.IFF_UP) !== 0,
    carrier: link.carrier ?? (link.flags & C.IFF_LOWER_UP) !== 0,
    operstate: link.operstate,
    flags: flagNames(link.flags),
    mtu: link.mtu,
    minMtu: link.minMtu,
    maxMtu: link.maxMtu,
    txqueuelen: link.txqlen,
    queues: tun.numQueues,
    disabledQueues: tun.numDisabledQueues,
    alias: link.alias,
  }
  if (tun.type === 'tap') dev.mac = link.mac
  return dev
}

export interface ReadOptions {
  processes?: boolean
  /** Addresses and routes (one more dump each). */
  addressing?: boolean
}

export function routeView(r: Route): RouteView {
  return {
    destination: `${r.dst}/${r.dstLen}`,
    gateway: r.gateway,
    metric: r.priority,
    linkdown: (r.flags & C.RTNH_F_LINKDOWN) !== 0,
    protocol: PROTOCOLS[r.protocol] ?? String(r.protocol),
  }
}

function addAddressing(nl: Netlink, devices: TunDevice[]): void {
  assignAddressing(devices, nl.addresses(), nl.routes())
}

/** Give each device its addresses and its main-table unicast routes, from one dump of each. */
export function assignAddressing(devices: TunDevice[], addresses: Address[], routes: Route[]): void {
  const byIndex = new Map(devices.map((d) => [d.index, d]))
  for (const d of devices) {
    d.addresses = []
    d.routes = []
  }
  for (const a of addresses) {
    const d = byIndex.get(a.index)
    if (!d) continue
    const v: AddressView = {address: a.address, prefixLen: a.prefixLen, family: a.family}
    if (a.peer) v.peer = a.peer
    d.addresses!.push(v)
  }
  for (const r of routes) {
    const d = r.oif !== undefined ? byIndex.get(r.oif) : undefined
    if (!d || !isMainUnicast(r)) continue
    d.routes!.push(routeView(r))
  }
}

/** Main table, unicast: local/broadcast and IPv6 multicast entries are noise for people. */
export function isMainUnicast(r: Route): boolean {
  return r.table === C.RT_TABLE_MAIN && r.type === C.RTN_UNICAST
}

function addProcesses(devices: TunDevice[]): void {
  const holders = findHolders()
  for (const d of devices) d.processes = holders.get(d.name) ?? []
}

export function listDevices(opts: ReadOptions = {}): TunDevice[] {
  const devices = withNetlink((nl) => {
    const list = nl.links('tun').filter((l) => l.kind === 'tun').map(toDevice)
    if (opts.addressing) addAddressing(nl, list)
    return list
  })
  if (opts.processes) addProcesses(devices)
  return devices.sort((a, b) => a.name.localeCompare(b.name, 'en', {numeric: true}))
}

export function notFound(name: string): TunadmError {
  return new TunadmError(`there is no device named ${name}`, {code: 'ENODEV', fix: 'list the TUN/TAP devices with: tunadm list'})
}

export function notTun(link: Link): TunadmError {
  return new TunadmError(`${link.name} is not a TUN/TAP device; it is ${/^[aeiou]/.test(kindOf(link)) ? 'an' : 'a'} ${kindOf(link)}`, {
    code: 'NOT_TUN', why: 'tunadm only changes TUN/TAP devices, so that it never disturbs a bridge, a veth or a physical link',
    fix: 'use ip link for other kinds of device',
  })
}

/** The TUN/TAP link named `name`, or a clear error when there is none or it is another kind. */
export function tunLink(nl: Netlink, name: string): Link {
  validateIfName(name)
  const link = nl.link(name)
  if (!link) throw notFound(name)
  if (link.kind !== 'tun') throw notTun(link)
  return link
}

export function showDevice(name: string, opts: ReadOptions = {processes: true, addressing: true}): TunDevice {
  const dev = withNetlink((nl) => {
    const d = toDevice(tunLink(nl, name))
    if (opts.addressing) addAddressing(nl, [d])
    return d
  })
  if (opts.processes) addProcesses([dev])
  return dev
}

// ---- create -----------------------------------------------------------------------------------

export interface CreateSpec extends TunFlags {
  /** A name, a template such as tap%d, or undefined to let the kernel choose. */
  name?: string
  owner?: IdRef
  group?: IdRef
}

/**
 * Steps run after the device exists and before it is made persistent; a failure in any of them
 * removes the device again (closing the fd of a non-persistent device destroys it).
 */
export type ConfigureStep = (ctx: {nl: Netlink; name: string; index: number; handle: TunHandle}) => void

export function createDevice(spec: CreateSpec, configure?: ConfigureStep): TunDevice {
  const requested = spec.name ?? (spec.mode === 'tap' ? 'tap%d' : 'tun%d')
  validateIfName(requested, {template: true})
  return withNetlink((nl) => {
    if (!isTemplate(requested)) {
      const existing = nl.link(requested)
      if (existing) throw alreadyExists(existing)
    }
    let handle: TunHandle
    try {
      handle = TunHandle.create(requested, spec)
    } catch (err) {
      if (isKernelError(err, 'EBUSY') && !isTemplate(requested)) {
        const existing = nl.link(requested)
        if (existing) throw alreadyExists(existing)
      }
      throw explainKernelError(err, {action: `create ${requested}`, device: requested})
    }
    const name = handle.name
    let step = 'set the owner'
    try {
      if (spec.owner) handle.setOwner(spec.owner.id)
      step = 'set the group'
      if (spec.group) handle.setGroup(spec.group.id)
      if (configure) {
        step = 'configure'
        const link = nl.link(name)
        if (!link) throw new TunadmError(`${name} vanished while it was being created`, {code: 'ENODEV'})
        configure({nl, name, index: link.index, handle})
      }
      step = 'make it persistent'
      handle.setPersist(true)
    } catch (err) {
      handle.close() // not persistent yet: the kernel removes the device
      const e = explainKernelError(err, {action: `${step} of ${name}`, device: name})
      if (e instanceof TunadmError) {
        throw new TunadmError(`${e.message} (the new device ${name} was removed again)`, {code: e.code, exitCode: e.exitCode, why: e.why, fix: e.fix})
      }
      throw e
    }
    handle.close()
    const link = nl.link(name)
    if (!link) throw new TunadmError(`${name} was created but has disappeared since`, {code: 'ENODEV', why: 'another program removed it'})
    return toDevice(link)
  })
}

function alreadyExists(link: Link): TunadmError {
  if (link.kind !== 'tun') {
    return new TunadmError(`a device named ${link.name} already exists, and it is not TUN/TAP (it is ${kindOf(link)})`, {
      code: 'EEXIST', fix: 'choose another name',
    })
  }
  const d = toDevice(link)
  return new TunadmError(`${d.name} already exists: a ${d.mode} device, owner: ${describeOwnership(d)}`, {
    code: 'EEXIST',
    why: 'tunadm never attaches to or re-owns an existing device',
    fix: `choose another name, change it with tunadm set ${d.name}, or delete it first with tunadm del ${d.name}`,
  })
}

// ---- delete -----------------------------------------------------------------------------------

export interface DeleteResult {
  name: string
  deleted: boolean
  /** For --if-exists: the device was not there. */
  absent?: boolean
  mode?: Mode
  /** Processes that had it open when --force deleted it. */
  detached?: Holder[]
}

export function deleteDevice(nl: Netlink, name: string, opts: {force?: boolean; ifExists?: boolean} = {}): DeleteResult {
  validateIfName(name)
  const link = nl.link(name)
  if (!link) {
    if (opts.ifExists) return {name, deleted: false, absent: true}
    throw notFound(name)
  }
  if (link.kind !== 'tun' || !link.tun) throw notTun(link)
  const holders = findHolders().get(name) ?? []
  if (holders.length > 0 && !opts.force) {
    throw new TunadmError(`${name} is in use by ${describeHolders(holders)}`, {
      code: 'EBUSY',
      why: 'deleting it would cut that program off from its network',
      fix: `stop the program first, or delete it anyway with: tunadm del --force ${name}`,
    })
  }
  try {
    nl.deleteLink(link.index, name)
  } catch (err) {
    throw explainKernelError(err, {action: `delete ${name}`, device: name})
  }
  const result: DeleteResult = {name, deleted: true, mode: link.tun.type}
  if (holders.length) result.detached = holders
  return result
}
