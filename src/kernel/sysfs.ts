/**
 * sysfs `tun_flags`: every IFF_* flag of a TUN/TAP device, the one source of IFF_NAPI and IFF_NAPI_FRAGS
 * (rtnetlink has no IFLA_TUN_NAPI). Read per device and only where a setting needs it: about 40 us a
 * file, 40 ms for 1000 devices, so never as part of a dump.
 *
 * /sys shows the network namespace it was mounted in, not the one setns() moved this thread to: after
 * --netns, the first read makes a sysfs of the entered namespace mounted nowhere (openSysfsOfThisNetns),
 * or, on a kernel without the new mount API, mounts one over /sys in a private mount namespace (see
 * mountSysfsOfThisNetns). When neither is possible (not root), or /sys is not there, the flags
 * are unknown (undefined), never guessed; callers also check them against netlink's view of the device.
 */
import * as fs from 'node:fs'
import {enteredNetns, mountSysfsOfThisNetns, openSysfsOfThisNetns, readSmallFileAt} from './libc'

/** own: /sys is this namespace's; detached: virtualNet is in a sysfs of the entered one, mounted nowhere. */
let sysfsState: 'own' | 'detached' | 'mounted' | 'unavailable' | undefined
const buf = Buffer.alloc(32)
/**
 * Where every TUN/TAP device's directory is (a tun device has no parent device: /sys/class/net/NAME links
 * here), open once; -1 when it cannot be opened (the flags are then read by path).
 */
let virtualNet: number | undefined

/** The device's tun_flags, or undefined when they cannot be read for this network namespace. */
export function readTunFlags(name: string): number | undefined {
  const n = readAttr(name, 'tun_flags')
  return n === undefined ? undefined : parseFlags(n)
}

/**
 * addr_assign_type: how the device got its MAC (0 NET_ADDR_PERM, 1 NET_ADDR_RANDOM, 2 NET_ADDR_STOLEN,
 * 3 NET_ADDR_SET: set by hand), or undefined when it cannot be read for this network namespace.
 */
export function readAddrAssignType(name: string): number | undefined {
  const n = readAttr(name, 'addr_assign_type')
  const text = n === undefined ? '' : buf.toString('latin1', 0, n).trim()
  return /^\d$/.test(text) ? Number(text) : undefined
}

/** Read a small attribute of a virtual network device into buf: its length, or undefined. */
function readAttr(name: string, attr: string): number | undefined {
  if (sysfsState === undefined) {
    sysfsState = 'own'
    if (enteredNetns()) {
      try {
        virtualNet = openSysfsOfThisNetns('devices/virtual/net')
      } catch {
        virtualNet = undefined
      }
      if (virtualNet !== undefined) sysfsState = 'detached'
      else {
        try {
          mountSysfsOfThisNetns()
          sysfsState = 'mounted'
        } catch {
          sysfsState = 'unavailable'
        }
      }
    }
  }
  if (sysfsState === 'unavailable' || name.includes('/') || name === '.' || name === '..') return undefined
  if (virtualNet === undefined) {
    try {
      virtualNet = fs.openSync('/sys/devices/virtual/net', fs.constants.O_RDONLY | fs.constants.O_DIRECTORY)
    } catch {
      virtualNet = -1
    }
  }
  if (virtualNet >= 0) {
    const n = readSmallFileAt(virtualNet, `${name}/${attr}`, buf)
    return n < 0 ? undefined : n
  }
  let fd: number
  try {
    fd = fs.openSync(`/sys/class/net/${name}/${attr}`, 'r')
  } catch {
    return undefined
  }
  try {
    return fs.readSync(fd, buf, 0, buf.length, 0)
  } catch {
    return undefined
  } finally {
    fs.closeSync(fd)
  }
}

/** Bytes that String.prototype.trim() removes from latin1 text: tab, newline, VT, FF, CR, space, NBSP. */
const isSpace = (c: number) => (c >= 9 && c <= 13) || c === 32 || c === 160

/**
 * tun_flags as the kernel writes it: 0x1002 and a newline (spaces around allowed, anything else refused).
 * Read from the bytes themselves: once per device of a list, no string, no regex.
 */
function parseFlags(n: number): number | undefined {
  let from = 0
  let to = n
  while (from < to && isSpace(buf[from])) from++
  while (to > from && isSpace(buf[to - 1])) to--
  if (to - from < 3 || buf[from] !== 0x30 || (buf[from + 1] | 0x20) !== 0x78) return undefined
  let value = 0
  for (let i = from + 2; i < to; i++) {
    const c = buf[i]
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1
    if (digit < 0) return undefined
    value = value * 16 + digit
  }
  return value
}
