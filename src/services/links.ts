/** How tunadm describes a link the kernel reported: the device view, its kind, and the errors about it. */
import * as C from '../kernel/constants'
import {LinkState} from '../model/state'
import {TunadmError} from '../errors'
import {IdRef, TunDevice, describeOwnership} from '../model/device'
import {TUN_FLAGS, fieldOf, tunFlagsAgree} from '../model/settings'
import {TunState} from '../model/state'
import {groupName, userName} from '../system/accounts'

/*
 * Everything below runs once per device of a list (thousands), mostly before V8 optimises anything: plain
 * indexed loops (for-of and destructuring cost an iterator each in the interpreter), and what depends only
 * on the registry or on a flags value worked out once.
 */

/** The names of each flags value seen: a list's devices share a few. Each caller gets its own array. */
const flagNamesOf = new Map<number, string[]>()

export function flagNames(flags: number): string[] {
  let names = flagNamesOf.get(flags)
  if (names === undefined) {
    names = []
    for (let i = 0; i < C.IF_FLAG_NAMES.length; i++) if (flags & C.IF_FLAG_NAMES[i][0]) names.push(C.IF_FLAG_NAMES[i][1])
    flagNamesOf.set(flags, names)
  }
  return names.slice()
}

/** The TUN flags netlink does not report (read from sysfs), with their field names: worked out once. */
let sysfsOnly: {fields: string[]; settings: Array<(typeof TUN_FLAGS)[number]>} | undefined

/** Those flags of one device set on `dev`, by field, in the registry's order (unknown: undefined). */
function addSysfsFields(dev: Record<string, unknown>, state: TunState): void {
  if (!sysfsOnly) {
    const settings = TUN_FLAGS.filter((s) => s.source !== 'netlink')
    sysfsOnly = {fields: settings.map((s) => fieldOf(s.key)), settings}
  }
  for (let i = 0; i < sysfsOnly.fields.length; i++) dev[sysfsOnly.fields[i]] = sysfsOnly.settings[i].read(state)
}

function idRef(id: number | undefined, lookup: (n: number) => string | undefined): IdRef | null {
  return id === undefined ? null : {id, name: lookup(id)}
}

export function kindOf(link: LinkState): string {
  if (link.kind) return link.kind
  if (link.flags & C.IFF_LOOPBACK) return 'loopback'
  return 'a physical or driver-managed device'
}

/** The model's view of a tun link's TUN flags; `tunFlags` from sysfs, used only when it agrees with netlink. */
export function tunState(link: LinkState, tunFlags?: number): TunState {
  const tun = link.tun
  if (!tun) throw new Error(`${link.name} is not a tun link`)
  const state: TunState = {mode: tun.type, pi: tun.pi, vnetHdr: tun.vnetHdr, multiQueue: tun.multiQueue}
  // A sysfs of another namespace can show another device of the same name: then its flags are not this one's.
  if (tunFlags !== undefined && tunFlagsAgree(state, tunFlags)) state.tunFlags = tunFlags
  return state
}

/** The device view; `tunFlags` (sysfs) adds what netlink cannot report (napi), otherwise left out as unknown. */
export function toDevice(link: LinkState, tunFlags?: number): TunDevice {
  const tun = link.tun
  if (!tun) throw new Error(`${link.name} is not a tun link`)
  const state = tunState(link, tunFlags)
  const owner = idRef(tun.owner, userName)
  const group = idRef(tun.group, groupName)
  // Field by field, in the order JSON shows them (the registry's sysfs flags after multiQueue).
  const dev = {name: link.name, index: link.index, mode: tun.type, pi: tun.pi, vnetHdr: tun.vnetHdr, multiQueue: tun.multiQueue} as TunDevice
  addSysfsFields(dev as unknown as Record<string, unknown>, state)
  dev.persist = tun.persist
  dev.owner = owner
  dev.group = group
  dev.anyUserMayAttach = !owner && !group
  dev.up = (link.flags & C.IFF_UP) !== 0
  dev.carrier = link.carrier ?? (link.flags & C.IFF_LOWER_UP) !== 0
  dev.operstate = link.operstate
  dev.flags = flagNames(link.flags)
  dev.mtu = link.mtu
  dev.minMtu = link.minMtu
  dev.maxMtu = link.maxMtu
  dev.txqueuelen = link.txqlen
  dev.queues = tun.numQueues
  dev.disabledQueues = tun.numDisabledQueues
  dev.alias = link.alias
  if (tun.type === 'tap') dev.mac = link.mac
  // Named by nameMasters() (services/devices.ts) or the doctor's dump: the link message gives only the index.
  dev.master = link.master ? {name: `ifindex ${link.master}`, index: link.master} : null
  return dev
}

export function notFound(name: string): TunadmError {
  return new TunadmError(`there is no device named ${name}`, {code: 'ENODEV', fix: 'list the TUN/TAP devices with: tunadm list'})
}

export function notTun(link: LinkState): TunadmError {
  return new TunadmError(`${link.name} is not a TUN/TAP device; it is ${/^[aeiou]/.test(kindOf(link)) ? 'an' : 'a'} ${kindOf(link)}`, {
    code: 'NOT_TUN', why: 'tunadm only changes TUN/TAP devices, so that it never disturbs a bridge, a veth or a physical link',
    fix: 'use ip link for other kinds of device',
  })
}

export function alreadyExists(link: LinkState): TunadmError {
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

