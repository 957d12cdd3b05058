/** How tunadm describes a link the kernel reported: the device view, its kind, and the errors about it. */
import * as C from '../kernel/constants'
import {Link} from '../kernel/netlink-codec'
import {TunadmError} from '../errors'
import {IdRef, TunDevice, describeOwnership} from '../model/device'
import {TUN_FLAGS, fieldOf, tunFlagsAgree} from '../model/settings'
import {TunState} from '../model/state'
import {groupName, userName} from '../system/accounts'

export function flagNames(flags: number): string[] {
  const names: string[] = []
  for (const [bit, name] of C.IF_FLAG_NAMES) if (flags & bit) names.push(name)
  return names
}

/** The TUN flags netlink does not report (read from sysfs), with their field names: worked out once. */
let sysfsOnly: Array<[string, (typeof TUN_FLAGS)[number]]> | undefined

/** Those flags of one device, by field, in the registry's order (unknown: undefined). */
function sysfsFields(state: TunState): Record<string, boolean | undefined> {
  sysfsOnly ??= TUN_FLAGS.filter((s) => s.source !== 'netlink').map((s) => [fieldOf(s.key), s])
  const out: Record<string, boolean | undefined> = {}
  for (const [field, s] of sysfsOnly) out[field] = s.read(state)
  return out
}

function idRef(id: number | undefined, lookup: (n: number) => string | undefined): IdRef | null {
  return id === undefined ? null : {id, name: lookup(id)}
}

export function kindOf(link: Link): string {
  if (link.kind) return link.kind
  if (link.flags & C.IFF_LOOPBACK) return 'loopback'
  return 'a physical or driver-managed device'
}

/** The model's view of a tun link's TUN flags; `tunFlags` from sysfs, used only when it agrees with netlink. */
export function tunState(link: Link, tunFlags?: number): TunState {
  const tun = link.tun
  if (!tun) throw new Error(`${link.name} is not a tun link`)
  const state: TunState = {mode: tun.type, pi: tun.pi, vnetHdr: tun.vnetHdr, multiQueue: tun.multiQueue}
  // A sysfs of another namespace can show another device of the same name: then its flags are not this one's.
  if (tunFlags !== undefined && tunFlagsAgree(state, tunFlags)) state.tunFlags = tunFlags
  return state
}

/** The device view; `tunFlags` (sysfs) adds what netlink cannot report (napi), otherwise left out as unknown. */
export function toDevice(link: Link, tunFlags?: number): TunDevice {
  const tun = link.tun
  if (!tun) throw new Error(`${link.name} is not a tun link`)
  const state = tunState(link, tunFlags)
  const owner = idRef(tun.owner, userName)
  const group = idRef(tun.group, groupName)
  const dev: TunDevice = {
    name: link.name,
    index: link.index,
    mode: tun.type,
    pi: tun.pi,
    vnetHdr: tun.vnetHdr,
    multiQueue: tun.multiQueue,
    ...sysfsFields(state),
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
  // Named by nameMasters() (services/devices.ts) or the doctor's dump: the link message gives only the index.
  dev.master = link.master ? {name: `ifindex ${link.master}`, index: link.master} : null
  return dev
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

export function alreadyExists(link: Link): TunadmError {
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

