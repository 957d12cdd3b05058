/** How tunadm describes a link the kernel reported: the device view, its kind, and the errors about it. */
import * as C from '../kernel/constants'
import {LinkState} from '../model/state'
import {TunadmError} from '../errors'
import {IdRef, TunDevice, describeOwnership} from '../model/device'
import {TUN_FLAGS, fieldOf, tunFlagsAgree} from '../model/settings'
import {TunLinkState, TunState} from '../model/state'
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

/**
 * The model's view of a tun link's TUN flags; `tunFlags` from sysfs, used only when it agrees with netlink.
 * Written into `into` when one is given (toDevice fills one for every device of a list).
 */
export function tunState(link: LinkState, tunFlags?: number, into?: TunState): TunState {
  const tun = link.tun
  if (!tun) throw new Error(`${link.name} is not a tun link`)
  let state: TunState
  if (into) {
    state = into
    state.mode = tun.type
    state.pi = tun.pi
    state.vnetHdr = tun.vnetHdr
    state.multiQueue = tun.multiQueue
    state.tunFlags = undefined
  } else {
    state = {mode: tun.type, pi: tun.pi, vnetHdr: tun.vnetHdr, multiQueue: tun.multiQueue}
  }
  // A sysfs of another namespace can show another device of the same name: then its flags are not this one's.
  if (tunFlags !== undefined && tunFlagsAgree(state, tunFlags)) state.tunFlags = tunFlags
  return state
}

/** The TunState a device view's sysfs fields are read from, filled in again for each device. */
const viewState: TunState = {mode: 'tun', pi: false, vnetHdr: false, multiQueue: false, tunFlags: undefined}

/** The device view; `tunFlags` (sysfs) adds what netlink cannot report (napi), otherwise left out as unknown. */
export function toDevice(link: LinkState, tunFlags?: number): TunDevice {
  if (!link.tun) throw new Error(`${link.name} is not a tun link`)
  return new DeviceView(link, link.tun, tunState(link, tunFlags, viewState))
}

// The class's fields are TunDevice's (declaration merging): nothing is emitted for them, the constructor sets them.
interface DeviceView extends TunDevice {}

/**
 * A TunDevice made by a constructor that sets every field, in the order JSON shows them (the registry's
 * sysfs flags after multiQueue). V8 gives a constructor's objects room for the fields it sets, so each
 * device is one object of its final size; an object literal of six fields grown to 25 had its property
 * store copied into a larger one about eight times (~800 bytes of garbage a device of a list).
 */
class DeviceView {
  constructor(link: LinkState, tun: TunLinkState, state: TunState) {
    const owner = idRef(tun.owner, userName)
    const group = idRef(tun.group, groupName)
    this.name = link.name
    this.index = link.index
    this.mode = tun.type
    this.pi = tun.pi
    this.vnetHdr = tun.vnetHdr
    this.multiQueue = tun.multiQueue
    addSysfsFields(this as unknown as Record<string, unknown>, state)
    this.persist = tun.persist
    this.owner = owner
    this.group = group
    this.anyUserMayAttach = !owner && !group
    this.up = (link.flags & C.IFF_UP) !== 0
    this.carrier = link.carrier ?? (link.flags & C.IFF_LOWER_UP) !== 0
    this.operstate = link.operstate
    this.flags = flagNames(link.flags)
    this.mtu = link.mtu
    this.minMtu = link.minMtu
    this.maxMtu = link.maxMtu
    this.txqueuelen = link.txqlen
    this.queues = tun.numQueues
    this.disabledQueues = tun.numDisabledQueues
    this.alias = link.alias
    if (tun.type === 'tap') this.mac = link.mac
    // Named by nameMasters() (services/devices.ts) or the doctor's dump: the link message gives only the index.
    this.master = link.master ? {name: `ifindex ${link.master}`, index: link.master} : null
  }
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

