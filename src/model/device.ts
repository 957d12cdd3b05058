/** The platform-neutral picture of a TUN/TAP device, as show, list and --json report it. */

/** A process holding a TUN/TAP device open (an fd attached to it). */
export interface Holder {
  pid: number
  command: string
  fd: number
  device: string
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
 * How many file descriptors are attached. The kernel counts queues only for multi-queue devices; a
 * single-queue device has carrier exactly while a program holds it (unless that program turned its
 * carrier off with TUNSETCARRIER), so the carrier says it where /proc cannot be read (not root).
 */
export function attachedQueues(d: Pick<TunDevice, 'multiQueue' | 'queues' | 'carrier' | 'processes'>): number {
  const seen = d.processes?.length ?? 0
  return Math.max(seen, d.multiQueue ? d.queues ?? 0 : d.carrier ? 1 : 0)
}

/**
 * Why a device must not be deleted or recreated now, or undefined when nothing is attached: a process
 * holds it (named), or the kernel counts an attachment no process here shows (the program runs in
 * another network namespace after the device moved, in a chroot, or as a user whose /proc cannot be
 * read). One rule for del, down, prune and apply --recreate; render/refusals.ts says it in words.
 */
export type Busy = {code: 'HELD'; holders: Holder[]} | {code: 'ATTACHED_UNSEEN'; multiQueue: boolean; queues: number}

export function busy(d: Pick<TunDevice, 'multiQueue' | 'queues' | 'carrier'>, holders: Holder[]): Busy | undefined {
  if (holders.length > 0) return {code: 'HELD', holders}
  const queues = attachedQueues(d)
  return queues > 0 ? {code: 'ATTACHED_UNSEEN', multiQueue: d.multiQueue, queues} : undefined
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
