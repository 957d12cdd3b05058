/** The platform-neutral picture of a TUN/TAP device, as show, list and --json report it. */

/** A process holding a TUN/TAP device open (an fd attached to it). */
export interface Holder {
  pid: number
  command: string
  fd: number
  device: string
  /**
   * The kernel confirmed (TUNGETDEVNETNS) that this fd is attached to the device of this name in the
   * namespace looked at. Unset: it could not be asked (not root), so the name alone matched, and another
   * namespace's device of that name may be the one held.
   */
  verified?: boolean
  /** The process itself runs in another network namespace (slirp4netns and pasta do so by design). */
  elsewhere?: boolean
}

export type Mode = 'tun' | 'tap'
export const MODES: readonly Mode[] = ['tun', 'tap']

export interface IdRef {
  id: number
  /** undefined when the id has no entry in the user/group database (the account was removed). */
  name?: string
}

export interface AddressView {
  address: string
  prefixLen: number
  family: 4 | 6
  peer?: string
}

export interface RouteView {
  destination: string
  gateway?: string
  metric?: number
  /** The kernel marks routes via a device without carrier "linkdown": packets to them are dropped. */
  linkdown: boolean
  protocol: string
}

export interface TunDevice {
  name: string
  index: number
  mode: Mode
  pi: boolean
  vnetHdr: boolean
  multiQueue: boolean
  /** From sysfs tun_flags (netlink does not report them); absent when it could not be read. */
  napi?: boolean
  napiFrags?: boolean
  persist: boolean
  /** null: no owner set. */
  owner: IdRef | null
  group: IdRef | null
  /** Neither owner nor group: any user who can open /dev/net/tun may attach. */
  anyUserMayAttach: boolean
  up: boolean
  carrier: boolean
  operstate?: string
  /** Interface flags by name: up, promisc, noarp, multicast, allmulti, pointopoint... */
  flags: string[]
  mac?: string
  mtu?: number
  minMtu?: number
  maxMtu?: number
  txqueuelen?: number
  queues?: number
  disabledQueues?: number
  alias?: string
  /** The bridge, bond or vrf it is a port of (IFLA_MASTER); null: none. */
  master?: {name: string; index: number} | null
  addresses?: AddressView[]
  routes?: RouteView[]
  processes?: Holder[]
}

/**
 * The device's queues as the kernel counts them, and whether a program holds it. The kernel's own
 * witness comes first: a multi-queue device reports its attached and disabled queues
 * (IFLA_TUN_NUM_QUEUES, NUM_DISABLED_QUEUES); a single-queue one reports no count, and has carrier
 * exactly while a program holds it, unless that program (or `tunadm set --carrier off`) turned the
 * carrier off, which only a holder the kernel confirmed can show. File descriptors are not queues:
 * a program may hold several on one queue.
 */
export interface QueueState {
  /** Queues that pass packets (a single-queue device: 1 while held). */
  enabled: number
  /** Queues detached with TUNSETQUEUE IFF_DETACH_QUEUE: attached, but the kernel sends them nothing. */
  disabled: number
  held: boolean
}

export function queueState(d: Pick<TunDevice, 'multiQueue' | 'queues' | 'disabledQueues' | 'carrier' | 'processes'>): QueueState {
  if (d.multiQueue) {
    const enabled = d.queues ?? 0
    const disabled = d.disabledQueues ?? 0
    return {enabled, disabled, held: enabled + disabled > 0}
  }
  // A holder the kernel could not be asked about counts when it runs in this namespace (a user's own
  // program, seen without root); one elsewhere may hold another namespace's device of this name.
  const held = d.carrier || (d.processes ?? []).some((h) => h.verified || !h.elsewhere)
  return {enabled: held ? 1 : 0, disabled: 0, held}
}

/**
 * The holders of a device among the processes whose descriptors name it: those the kernel confirmed,
 * and those it could not be asked about as long as the device's own counts leave room for a holder
 * (a multi-queue device with no queue at all has none, whatever a name elsewhere says).
 */
export function holdersOf(d: Pick<TunDevice, 'multiQueue' | 'queues' | 'disabledQueues'>, candidates: Holder[]): Holder[] {
  const roomForMore = !d.multiQueue || (d.queues ?? 0) + (d.disabledQueues ?? 0) > 0
  return candidates.filter((h) => h.verified || roomForMore)
}

/**
 * Why a device must not be deleted or recreated now, or undefined when nothing is attached: a process
 * holds it (named), or the kernel counts an attachment no process here shows (the program runs in
 * another network namespace after the device moved, in a chroot, or as a user whose /proc cannot be
 * read). One rule for del, down, prune and apply --recreate; render/refusals.ts says it in words.
 */
export type Busy = {code: 'HELD'; holders: Holder[]} | {code: 'ATTACHED_UNSEEN'; multiQueue: boolean; queues: number; disabled: number}

/**
 * Held is the kernel's word (queue counts, a single-queue device's carrier) or a holder the kernel
 * confirmed (or, unconfirmable, one running in this namespace). A process elsewhere whose descriptor
 * merely bears the name may hold another namespace's device: it never makes an idle device busy.
 */
export function busy(d: Pick<TunDevice, 'multiQueue' | 'queues' | 'disabledQueues' | 'carrier'>, holders: Holder[]): Busy | undefined {
  const state = queueState({multiQueue: d.multiQueue, queues: d.queues, disabledQueues: d.disabledQueues, carrier: d.carrier, processes: holders})
  if (!state.held) return undefined
  // Name the holders that surely hold it (confirmed, or running here) before those that only may.
  const confirmed = holders.filter((h) => h.verified)
  const here = holders.filter((h) => !h.elsewhere)
  const named = confirmed.length ? confirmed : here.length ? here : holders
  if (named.length) return {code: 'HELD', holders: named}
  return {code: 'ATTACHED_UNSEEN', multiQueue: d.multiQueue, queues: state.enabled, disabled: state.disabled}
}

/** Mode from a conventional name (tun0, tap3, tun%d); undefined when the name does not say. */
export function modeFromName(name: string | undefined): Mode | undefined {
  if (!name) return undefined
  if (name.startsWith('tun')) return 'tun'
  if (name.startsWith('tap')) return 'tap'
  return undefined
}

export function describeOwnership(d: Pick<TunDevice, 'owner' | 'group'>): string {
  const who = (r: IdRef | null, kind: string) => (r ? `${kind} ${r.name ?? '(unknown)'} (${r.id})` : undefined)
  const parts = [who(d.owner, 'user'), who(d.group, 'group')].filter(Boolean)
  return parts.length ? parts.join(', ') : 'none: any user who can open /dev/net/tun may attach'
}
