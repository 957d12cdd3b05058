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
 * (a new link is always announced; a changed one only while it is up). Right before deleting, the
 * verified devices are moved (by ifindex, which the kernel does not reuse) into a fresh private group: a
 * random number that no link has. Then every other link (those read at the start and those announced
 * since) is asked for again, all in one go, and the announcements are read again: only when none of them
 * is in the private group is it deleted, with one request; otherwise the devices are deleted one by one
 * by ifindex. Between the move and the delete there is no dump of the config's own devices, so the
 * private group exists for well under a millisecond when few other links exist; a program would have to
 * see it and move a link into it within that time, on purpose: only a privileged one could, and it could
 * delete the device itself. A bridge moved into the config's own group, by an admin or a script, is never
 * at risk. A dump afterwards names any device that vanished meanwhile, so even a lost race is said.
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
  /** `skip`: ifindexes whose announcements need not be read. */
  drain(skip?: ReadonlySet<number>): LinkState[] | undefined
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

  const moved: LinkState[] = []
  const moveErrors = io.setGroup(targets, group)
  targets.forEach((t, i) => {
    const err = moveErrors[i]
    if (!err) moved.push(t)
    else if (err.code !== 'ENODEV') result.errors.set(t.index, err) // gone meanwhile: nothing to delete
  })
  if (moved.length === 0) return result

  const ours = new Set(moved.map((t) => t.index))
  const others = [...all.keys()].filter((index) => !ours.has(index))
  const now = io.current(others)
  const announced = watch.drain(ours) // the config's own devices are expected in the group
  const inGroup = (ls: LinkState[]) => ls.filter((l) => l.group === group && (!ours.has(l.index) || l.kind !== 'tun'))
  const intruders = [...inGroup(now), ...inGroup(announced ?? [])].filter((l, i, list) => list.findIndex((x) => x.index === l.index) === i)
  if (intruders.length) {
    result.warnings.push(`the private link group ${group} tunadm moved the devices into also held ${someNames(intruders.map((l) => l.name))}, which tunadm did not put there: deleted one by one instead, and ${intruders.length === 1 ? 'it was' : 'they were'} left alone`)
    return oneByOne(io, moved, result)
  }
  if (announced === undefined) return oneByOne(io, moved, result) // announcements lost: nothing can be promised
  const still = moved
  const before = [...new Map([...now, ...announced.filter((l) => !ours.has(l.index))].map((l) => [l.index, l])).values()]
  try {
    io.deleteGroup(group)
  } catch {
    // Refused as a whole (EOPNOTSUPP, EPERM): one by one says which device and why.
    return oneByOne(io, still, result)
  }
  const after = io.links()
  const left = new Set(after.map((l) => l.index))
  const survivors = still.filter((t) => left.has(t.index))
  const vanished = before.filter((l) => l.group !== group && !left.has(l.index))
  if (vanished.length) {
    result.warnings.push(`${someNames(vanished.map((l) => l.name))} disappeared while tunadm deleted link group ${group}: another program deleted ${vanished.length === 1 ? 'it' : 'them'}, or moved ${vanished.length === 1 ? 'it' : 'them'} into that group in the instant between tunadm's check and the delete`)
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
