/**
 * tunadm's record of the devices each config made, per network namespace: the second witness (with the
 * link group) that a device is a config's when an admin changed its alias. One small JSON file per
 * namespace under /run/tunadm (TUNADM_STATE_DIR moves it), written by root only, as every file root
 * writes: O_CREAT|O_EXCL|O_NOFOLLOW under a random name, then renamed. /run is emptied at boot, as the
 * kernel's devices are.
 *
 * Devices are known by ifindex: the kernel never gives a namespace's index to another device until it
 * wraps at 2^31. The namespace is known by its inode (the file's name) and its cookie (in the file): a
 * namespace that died and whose inode a new one got has another cookie, and its record is ignored.
 *
 * Reading never fails the command: a record that is missing, unreadable, or not root's is no witness.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {writeFileSafely} from './files'

export const DEFAULT_STATE_DIR = '/run/tunadm'

interface RecordFile {
  version: 1
  /** The namespace's cookie (SO_NETNS_COOKIE), when the kernel has one. */
  netns?: string
  /** ifindex -> the marker of the config that made (or adopted) it, and its name then. */
  devices: Record<string, {by: string; name: string}>
  /** marker -> the link group the config's devices were put in (and whether the file named it). */
  groups: Record<string, {group: number; explicit: boolean}>
}

const stateDir = (): string => process.env.TUNADM_STATE_DIR ?? DEFAULT_STATE_DIR

export class OwnerRecord {
  private dirty = false
  /** Why the record could not be read, for a warning. */
  problem?: string
  /**
   * The record's path when it exists but this user may not read it (root's directory, a dry run as
   * another user): the second witness is then unknown, not absent.
   */
  unreadable?: string

  private constructor(private readonly file: string | undefined, private readonly data: RecordFile) {}

  /** An empty record that is never saved (tests, dry runs without a namespace identity). */
  static empty(): OwnerRecord {
    return new OwnerRecord(undefined, {version: 1, devices: {}, groups: {}})
  }

  /** The record of the current network namespace (the one this thread is in). */
  static read(cookie: string | undefined): OwnerRecord {
    let ino: number
    try {
      ino = fs.statSync('/proc/self/ns/net').ino
    } catch {
      return OwnerRecord.empty()
    }
    const file = path.join(stateDir(), `netns-${ino}.json`)
    const fresh = new OwnerRecord(file, {version: 1, netns: cookie, devices: {}, groups: {}})
    let text: string
    try {
      const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK)
      try {
        const st = fs.fstatSync(fd)
        // Only root's own file is a witness: anyone who could write it could claim devices.
        if (!st.isFile() || st.uid !== 0 || (st.mode & 0o022) !== 0 || st.size > 16 << 20) {
          fresh.problem = `${file} is not a regular file of root's, writable by root only; it is ignored`
          return fresh
        }
        text = fs.readFileSync(fd, 'utf8')
      } finally {
        fs.closeSync(fd)
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EACCES') fresh.unreadable = file
      else if (code !== 'ENOENT') fresh.problem = `cannot read ${file} (${code ?? (err as Error).message}); it is ignored`
      return fresh
    }
    try {
      const data = JSON.parse(text) as RecordFile
      if (data?.version !== 1 || typeof data.devices !== 'object' || typeof data.groups !== 'object') throw new Error('not a record')
      // Another namespace that got this one's inode: its record says nothing about ours.
      if (cookie !== undefined && data.netns !== undefined && data.netns !== cookie) return fresh
      return new OwnerRecord(file, {version: 1, netns: cookie ?? data.netns, devices: data.devices, groups: data.groups})
    } catch {
      fresh.problem = `${file} is not a tunadm record; it is ignored (and replaced at the next change)`
      return fresh
    }
  }

  /** The marker of the config that made device `index`, if tunadm recorded one. */
  madeBy(index: number): string | undefined {
    return this.data.devices[index]?.by
  }

  /** Whether link group `group` is recorded as another config's. */
  groupTakenByOther(group: number, marker: string): boolean {
    return Object.entries(this.data.groups).some(([m, g]) => m !== marker && g.group === group)
  }

  /** The group recorded for the config with `marker`. */
  groupOf(marker: string): number | undefined {
    return this.data.groups[marker]?.group
  }

  set(index: number, name: string, marker: string): void {
    const cur = this.data.devices[index]
    if (cur?.by === marker && cur.name === name) return
    this.data.devices[index] = {by: marker, name}
    this.dirty = true
  }

  drop(index: number): void {
    if (!(index in this.data.devices)) return
    delete this.data.devices[index]
    this.dirty = true
  }

  setGroup(marker: string, group: number | undefined, explicit: boolean): void {
    const cur = this.data.groups[marker]
    if (group === undefined) {
      if (!cur) return
      delete this.data.groups[marker]
    } else {
      if (cur?.group === group && cur.explicit === explicit) return
      this.data.groups[marker] = {group, explicit}
    }
    this.dirty = true
  }

  /** Forget devices that are gone (any config's), and configs that have no device left. */
  keepOnly(present: Set<number>): void {
    // The devices kept, into a new object: a down of 1000 devices deleted a key at a time, each delete
    // slower than copying an entry. Integer keys come in ascending order either way: the same file.
    const kept: RecordFile['devices'] = {}
    let dropped = false
    for (const index of Object.keys(this.data.devices)) {
      if (present.has(Number(index))) kept[index] = this.data.devices[index]
      else dropped = true
    }
    if (dropped) {
      this.data.devices = kept
      this.dirty = true
    }
    const live = new Set(Object.values(this.data.devices).map((d) => d.by))
    for (const marker of Object.keys(this.data.groups)) {
      if (!live.has(marker)) {
        delete this.data.groups[marker]
        this.dirty = true
      }
    }
  }

  /**
   * Write the record if it changed; an empty one is removed. Only root writes it (as root, the directory
   * is made 0755 and must be root's and not a link). Returns a warning when it could not be written.
   */
  save(): string | undefined {
    if (!this.dirty || !this.file || (process.geteuid?.() ?? 0) !== 0) return undefined
    const dir = path.dirname(this.file)
    try {
      if (Object.keys(this.data.devices).length === 0) {
        fs.rmSync(this.file, {force: true})
        this.dirty = false
        return undefined
      }
      fs.mkdirSync(dir, {recursive: true, mode: 0o700}) // as the lock's (services/lock.ts): root's alone
      const st = fs.lstatSync(dir)
      if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0) {
        return `${dir} is not a directory of root's, writable by root only: tunadm's record of its devices is not written (a device whose alias is changed will then be foreign)`
      }
      writeFileSafely(this.file, JSON.stringify(this.data) + '\n', 0o644)
      this.dirty = false
      return undefined
    } catch (err) {
      return `cannot write tunadm's record of its devices (${this.file}): ${(err as Error).message}`
    }
  }
}
