/**
 * Read-only host inspection behind one injectable root directory, so tests can pass a fixture tree
 * instead of the real /proc, /sys, /dev and /etc.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {heldDeviceNetns} from '../kernel/tun'

export class Host {
  constructor(readonly root = '/') {}

  path(p: string): string {
    return this.root === '/' ? p : path.join(this.root, p)
  }

  read(p: string): string | undefined {
    try {
      return fs.readFileSync(this.path(p), 'utf8')
    } catch {
      return undefined
    }
  }

  /**
   * The directory's entries; none when it cannot be read (gone, not allowed). Out of descriptors or
   * memory (EMFILE, ENFILE, ENOMEM) is thrown, not taken for an empty directory: a scan of /proc that
   * cannot open a directory must not answer that nobody holds a device.
   */
  list(p: string): string[] {
    try {
      return fs.readdirSync(this.path(p))
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EMFILE' || code === 'ENFILE' || code === 'ENOMEM') throw err
      return []
    }
  }

  readlink(p: string): string | undefined {
    const r = this.readlinkOrCode(p)
    return r.target
  }

  /** The link's target, or the error code that refused it (EACCES, ENOENT...). */
  readlinkOrCode(p: string): {target?: string; code?: string} {
    try {
      return {target: fs.readlinkSync(this.path(p))}
    } catch (err) {
      return {code: (err as NodeJS.ErrnoException).code ?? 'EIO'}
    }
  }

  stat(p: string): fs.Stats | undefined {
    try {
      return fs.statSync(this.path(p))
    } catch {
      return undefined
    }
  }

  /**
   * The network namespace of the device that process `pid`'s TUN/TAP descriptor `fd` is attached to,
   * as the kernel says (TUNGETDEVNETNS); null when it holds no device any more; undefined when the kernel
   * cannot be asked (not root; a fixture tree).
   */
  tunDeviceNetns(pid: number, fd: number): string | null | undefined {
    if (this.root !== '/') return undefined
    try {
      return heldDeviceNetns(pid, fd)
    } catch {
      return undefined
    }
  }

  exists(p: string): boolean {
    return this.stat(p) !== undefined
  }
}

export const realHost = new Host('/')
