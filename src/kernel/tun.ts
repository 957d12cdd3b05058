/** /dev/net/tun: create devices, change owner/group on an existing one, read the driver's features. */
import {IFF_TUN_EXCL, TUNGETDEVNETNS, TUNGETFEATURES, TUNSETCARRIER, TUNSETGROUP, TUNSETIFF, TUNSETOWNER, TUNSETPERSIST, ID_UNSET} from './constants'
import {borrowFd, closeFd, ioctlBuffer, ioctlNewFd, ioctlValue, openPath} from './libc'
import {ifreqName, ifreqWithShort} from './ifreq'

export const TUN_NODE = '/dev/net/tun'

/**
 * The name (/proc/PID/comm) tunadm gives itself before it copies another process's descriptor: "node"
 * would tell another tunadm's holder scan nothing. That scan copies each holder's descriptor for a moment
 * (heldDeviceNetns), so two tunadm commands running at once see each other holding the very file its owner
 * holds; system/holders.ts leaves such a copy out by this name. Only the scan names itself: the first
 * write costs ~0.4 ms, a percent of add's whole run, and tunadm's own attachments are never beside another
 * holder (a single-queue device takes one; del attaches only to an idle one).
 */
export const SELF_COMM = 'tunadm'
let named = false

function nameSelf(): void {
  if (named) return
  named = true
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const {writeFileSync} = require('node:fs') as typeof import('node:fs')
    writeFileSync('/proc/self/comm', SELF_COMM)
  } catch {
    // no /proc: the scan then shows "node", as before
  }
}

/**
 * An open /dev/net/tun file attached to one device. While it is open the device exists even
 * without PERSIST; closing it without PERSIST removes a device we just created. That gives
 * creation its rollback: persist is the last step.
 */
export class TunHandle {
  readonly fd: number
  readonly name: string
  private closed = false

  private constructor(fd: number, name: string) {
    this.fd = fd
    this.name = name
  }

  /**
   * Create a new device (IFF_TUN_EXCL: never attach to an existing one). `name` may be a template (tap%d)
   * or empty; `ifFlags` are TUNSETIFF's (IFF_TUN or IFF_TAP and the TUN flags, from model/settings.ts).
   */
  static create(name: string, ifFlags: number): TunHandle {
    return TunHandle.attach(name, ifFlags | IFF_TUN_EXCL, 'TUNSETIFF (create)')
  }

  /** Attach to an existing device, e.g. to change its owner. The flags must be all of the device's: the kernel sets them. */
  static attachExisting(name: string, ifFlags: number): TunHandle {
    return TunHandle.attach(name, ifFlags, 'TUNSETIFF (attach)')
  }

  private static attach(name: string, ifFlags: number, op: string): TunHandle {
    const fd = openPath(TUN_NODE)
    try {
      const req = ifreqWithShort(name, ifFlags)
      ioctlBuffer(fd, TUNSETIFF, req, op, name || '(kernel-chosen name)')
      return new TunHandle(fd, ifreqName(req))
    } catch (err) {
      closeFd(fd)
      throw err
    }
  }

  /** uid/gid undefined means "unset" (any user / any group). */
  setOwner(uid: number | undefined): void {
    ioctlValue(this.fd, TUNSETOWNER, uid ?? ID_UNSET, 'TUNSETOWNER', this.name)
  }

  setGroup(gid: number | undefined): void {
    ioctlValue(this.fd, TUNSETGROUP, gid ?? ID_UNSET, 'TUNSETGROUP', this.name)
  }

  setPersist(on: boolean): void {
    ioctlValue(this.fd, TUNSETPERSIST, on ? 1 : 0, 'TUNSETPERSIST', this.name)
  }

  setCarrier(on: boolean): void {
    const arg = Buffer.alloc(4)
    arg[0] = on ? 1 : 0 // a little-endian int, by hand (Buffer's writer is compiled at its first call)
    ioctlBuffer(this.fd, TUNSETCARRIER, arg, 'TUNSETCARRIER', this.name)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    closeFd(this.fd)
  }
}

/** TUNGETFEATURES: the IFF_* flags this kernel's driver accepts. */
export function tunFeatures(): number {
  const fd = openPath(TUN_NODE)
  try {
    const buf = Buffer.alloc(4)
    ioctlBuffer(fd, TUNGETFEATURES, buf, 'TUNGETFEATURES', TUN_NODE)
    return buf.readUInt32LE(0)
  } finally {
    closeFd(fd)
  }
}

/**
 * Errnos that say a descriptor no longer holds a device: the process exited (ESRCH), the descriptor was
 * closed (EBADF), its number now names a file that is not /dev/net/tun's (ENOTTY; tun's own unknown
 * ioctls fail with EINVAL), or the file is not attached any more (EBADFD: its device was deleted).
 */
const GONE = new Set([3, 9, 25, 77])

/**
 * The network namespace ("net:[INODE]", as /proc/PID/ns/net reads) of the device that process `pid`'s
 * descriptor `fd` is attached to: a copy of the descriptor (pidfd_getfd) asked with TUNGETDEVNETNS.
 * fdinfo's "iff:" gives only the name, which another namespace may use for another device; this is
 * the kernel's own answer. Needs ptrace rights over the process and CAP_NET_ADMIN over the device's
 * namespace (root). null when the descriptor holds no device any more (it was closed, or its process
 * or device is gone, since /proc named it); undefined when the kernel cannot be asked.
 */
export function heldDeviceNetns(pid: number, fd: number): string | null | undefined {
  nameSelf()
  const copy = borrowFd(pid, fd)
  if (copy < 0) return GONE.has(-copy) ? null : undefined
  try {
    const ns = ioctlNewFd(copy, TUNGETDEVNETNS)
    if (ns < 0) return GONE.has(-ns) ? null : undefined
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const {fstatSync} = require('node:fs') as typeof import('node:fs')
      return `net:[${fstatSync(ns).ino}]`
    } finally {
      closeFd(ns)
    }
  } finally {
    closeFd(copy)
  }
}
