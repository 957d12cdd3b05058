/**
 * Deleting many devices at once without ever deleting one that is not ours.
 *
 * One RTM_DELLINK per device costs the kernel ~18 ms each (it waits for the network stack to let go of
 * every device separately); one RTM_DELLINK for a link group unregisters them together (1000 in a few
 * hundred ms). But the kernel deletes whatever is in the group when the request arrives, of any kind,
 * and the config's own group is known to everyone (ip link show group N): a bridge an admin or a script
 * moves into it after tunadm read the links would go too.
 *
 * So the group that is deleted is never the config's, and is never shown for longer than it takes to
 * delete it. Before tunadm reads the links at all, it starts listening to the kernel's link announcements
 * (a new link is always announced, and a deleted one; a changed one only while it is up). Right before
 * deleting, the verified devices are moved (by ifindex, which the kernel does not reuse) into a fresh
 * private group: a random number from 65536 to 2^31-1 that no link has. The announcements of those moves
 * are read first; then every other link (those read at the start and those announced since) is asked for
 * again, all in one go, and the announcements are read once more: only when none of them is in the
 * private group is it deleted, with one request; otherwise the devices are deleted one by one by ifindex.
 * The announcements of the config's own devices (their moves, and later their going down and their
 * deletion: ~3000 for 1000 devices) are passed over unread by every read after the moves, so the kernel
 * is asked to drop them before they are queued (a socket filter: LinkWatch.ignore); a device whose move
 * failed is one of the others again, and the filter is set anew without it before the check.
 *
 * What remains, and cannot be closed from user space: the kernel offers no delete of a set of ifindexes,
 * and no group delete that checks what it deletes; a link that is down is moved without an announcement.
 * So a link moved into the private group between the last check (a few links asked for: well under a
 * millisecond) and the delete goes with the config's devices. A program would have to find a group that
 * existed for that instant and move a link into it: only a privileged one can (CAP_NET_ADMIN, which could
 * delete the link itself), and only on purpose or by copying groups blindly. It is never lost without a
 * word: the kernel announces every deleted link with the group it had, and a link of the private group
 * that was not the config's is named in a warning (when those announcements were lost, a link that
 * vanished meanwhile is named with both possible causes). A bridge moved into the config's own group,
 * by an admin or a script, is never at risk.
 */
import {LinkState} from '../model/state'
import {KernelError} from '../kernel/errno'
import {DERIVED_GROUP_MIN, LINK_GROUP_MAX} from '../model/identity'
import {someNames} from './ownership'

/** What the deletion needs from the kernel; a fake in tests plays the races. */
export interface DeleteIo {
  /** A fresh dump of every link. */
  links(): LinkState[]
  /** These links as they are now (by ifindex); those that are gone are left out. */
  current(indexes: number[]): LinkState[]
  /** Put each device (by ifindex) in `group`; per device undefined or the error. */
  setGroup(targets: LinkState[], group: number): Array<KernelError | undefined>
  /** RTM_DELLINK of a whole group. */
  deleteGroup(group: number): void
  /** RTM_DELLINK of each device by ifindex; per device undefined or the error. */
  deleteEach(targets: LinkState[]): Array<{code: string} | undefined>
  /** A random whole number in [min, max]. */
  random(min: number, max: number): number
}

export interface DeleteResult {
  /** Devices that could not be deleted, by ifindex (a KernelError, or a TunadmError from execute). */
  errors: Map<number, KernelError | {code: string}>
  /** All went with one request for a private group. */
  byGroup: boolean
  /** The private group used, if any. */
  group?: number
  warnings: string[]
}

/** Below this many devices one by one is as fast (and needs no dumps). */
export const GROUP_DELETE_MIN = 2

/** Whether group deletion is allowed: TUNADM_GROUP_DELETE=0 turns it off (benchmarks measure both ways). */
export const groupDeleteEnabled = (): boolean => process.env.TUNADM_GROUP_DELETE !== '0'

/** Links the kernel announced since the watch started (undefined when it dropped some): services/apply.ts opens it before reading the links. */
export interface Announcements {
  /**
   * The links announced as new or changed. `skip`: ifindexes whose announcements need not be read;
   * `deleted`: where the links announced as deleted go (as they were when deleted, with their group).
   */
  drain(skip?: ReadonlySet<number>, deleted?: LinkState[]): LinkState[] | undefined
  /**
   * The announcements of these links (by ifindex) need not be read from now on, in place of any earlier
   * set (the kernel may drop them unread): only ever links that every later drain() is given as `skip`.
   */
  ignore?(indexes: ReadonlySet<number>): void
}

/**
 * Delete `targets` (devices already verified as the config's, TUN/TAP, not held). `known` is every link
 * read after `watch` started listening.
 */
export function deleteDevices(io: DeleteIo, targets: LinkState[], known: LinkState[], watch: Announcements | undefined, opts: {groupDelete?: boolean} = {}): DeleteResult {
  const result: DeleteResult = {errors: new Map(), byGroup: false, warnings: []}
  if (targets.length === 0) return result
  if (targets.length < GROUP_DELETE_MIN || opts.groupDelete === false || !watch) return oneByOne(io, targets, result)
  const early = watch.drain()
  if (early === undefined) return oneByOne(io, targets, result) // announcements lost: the links read are not all there is

  const all = new Map([...known, ...early].map((l) => [l.index, l]))
  const used = new Set([...all.values()].map((l) => l.group ?? 0))
  let group = 0
  for (let i = 0; i < 100 && (group === 0 || used.has(group)); i++) group = io.random(DERIVED_GROUP_MIN, LINK_GROUP_MAX)
  if (used.has(group)) return oneByOne(io, targets, result)
  result.group = group

  // The announcements of the moves (and, later, of the deletions) of the devices to move are passed over
  // by every drain() that follows: the kernel may drop them before they are queued (~3000 for 1000 devices).
  const targeted = new Set(targets.map((t) => t.index))
  watch.ignore?.(targeted)
  const moved: LinkState[] = []
  const moveErrors = io.setGroup(targets, group)
  targets.forEach((t, i) => {
    const err = moveErrors[i]
    if (!err) moved.push(t)
    else if (err.code !== 'ENODEV') result.errors.set(t.index, err) // gone meanwhile: nothing to delete
  })
  if (moved.length === 0) return result

  const ours = new Set(moved.map((t) => t.index))
  // A device whose move failed is one of the others from here on: its announcements are read again (what
  // was dropped meanwhile, the check below reads from the kernel itself, as it reads every other link).
  if (ours.size !== targeted.size) watch.ignore?.(ours)
  const others = [...all.keys()].filter((index) => !ours.has(index))
  // The moves of the config's own devices first (1000 announcements take a while to read): the check
  // that follows, and so the instant between it and the delete, is then as short as it can be.
  const announced = watch.drain(ours) // the config's own devices are expected in the group
  const now = io.current(others)
  const lastly = announced && watch.drain(ours)
  const seen = announced && lastly ? [...announced, ...lastly] : undefined
  const inGroup = (ls: LinkState[]) => ls.filter((l) => l.group === group && (!ours.has(l.index) || l.kind !== 'tun'))
  const intruders = [...inGroup(now), ...inGroup(seen ?? [])].filter((l, i, list) => list.findIndex((x) => x.index === l.index) === i)
  if (intruders.length) {
    result.warnings.push(`the private link group ${group} tunadm moved the devices into also held ${someNames(intruders.map((l) => l.name))}, which tunadm did not put there: deleted one by one instead, and ${intruders.length === 1 ? 'it was' : 'they were'} left alone`)
    return oneByOne(io, moved, result)
  }
  if (seen === undefined) return oneByOne(io, moved, result) // announcements lost: nothing can be promised
  const still = moved
  const before = [...new Map([...now, ...seen.filter((l) => !ours.has(l.index))].map((l) => [l.index, l])).values()]
  try {
    io.deleteGroup(group)
  } catch {
    // Refused as a whole (EOPNOTSUPP, EPERM): one by one says which device and why.
    return oneByOne(io, still, result)
  }
  // What the delete took, in the kernel's own words: every deleted link is announced (up or down) with
  // the group it had. One that is not the config's was moved into the private group in the instant
  // between the check and the delete: it cannot be saved, but it is named exactly.
  const deleted: LinkState[] = []
  const told = watch.drain(ours, deleted) !== undefined
  const taken = deleted.filter((l) => l.group === group).filter((l, i, list) => list.findIndex((x) => x.index === l.index) === i)
  const after = io.links()
  const left = new Set(after.map((l) => l.index))
  const survivors = still.filter((t) => left.has(t.index))
  const plural = (ls: LinkState[], one: string, many: string) => (ls.length === 1 ? one : many)
  if (taken.length) {
    result.warnings.push(`${someNames(taken.map((l) => l.name))} disappeared while tunadm deleted link group ${group}: another program moved ${plural(taken, 'it', 'them')} into that group in the instant between tunadm's check and the delete, and the kernel deleted ${plural(taken, 'it', 'them')} with the config's devices`)
  } else if (!told) {
    // The announcements were lost: a link that vanished may have been deleted by another program, or by this delete.
    const vanished = before.filter((l) => l.group !== group && !left.has(l.index))
    if (vanished.length) {
      result.warnings.push(`${someNames(vanished.map((l) => l.name))} disappeared while tunadm deleted link group ${group}: another program deleted ${plural(vanished, 'it', 'them')}, or moved ${plural(vanished, 'it', 'them')} into that group in the instant between tunadm's check and the delete`)
    }
  }
  result.byGroup = survivors.length === 0
  return survivors.length ? oneByOne(io, survivors, result) : result
}

function oneByOne(io: DeleteIo, targets: LinkState[], result: DeleteResult): DeleteResult {
  const errors = io.deleteEach(targets)
  targets.forEach((t, i) => {
    const err = errors[i]
    if (err && err.code !== 'ENODEV') result.errors.set(t.index, err)
  })
  return result
}
