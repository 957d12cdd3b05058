/**
 * struct ifreq (40 bytes on 64-bit Linux): ifr_name[16] then a union at offset 16.
 * Pure encode/decode, no kernel access, so it is unit-tested without root.
 */
import {IFNAMSIZ, IFREQ_SIZE} from './constants'

const UNION = IFNAMSIZ

export function ifreq(name = ''): Buffer {
  const buf = Buffer.alloc(IFREQ_SIZE)
  // Written in place (no Buffer of its own: creating 1000 devices builds thousands of these). write() stops
  // at the 40 bytes and never splits a character, so a name of 16 bytes or more always shows as such.
  // The caller validated the name; refuse here too rather than truncate silently.
  if (buf.write(name, 0, 'utf8') >= IFNAMSIZ) throw new RangeError(`interface name "${name}" is longer than ${IFNAMSIZ - 1} bytes`)
  return buf
}

export function ifreqName(buf: Buffer): string {
  const end = buf.indexOf(0, 0)
  return buf.toString('utf8', 0, end < 0 || end > IFNAMSIZ ? IFNAMSIZ : end)
}

export function ifreqWithShort(name: string, value: number): Buffer {
  const buf = ifreq(name)
  buf.writeUInt16LE(value & 0xffff, UNION)
  return buf
}

export function ifreqShort(buf: Buffer): number {
  return buf.readUInt16LE(UNION)
}

export function ifreqWithInt(name: string, value: number): Buffer {
  const buf = ifreq(name)
  buf.writeInt32LE(value, UNION)
  return buf
}

export function ifreqInt(buf: Buffer): number {
  return buf.readInt32LE(UNION)
}

/** ifr_newname for SIOCSIFNAME sits in the union. */
export function ifreqWithNewName(name: string, newName: string): Buffer {
  const buf = ifreq(name)
  const bytes = Buffer.from(newName, 'utf8')
  if (bytes.length >= IFNAMSIZ) throw new RangeError(`interface name "${newName}" is longer than ${IFNAMSIZ - 1} bytes`)
  bytes.copy(buf, UNION)
  return buf
}

/** ifr_hwaddr is a struct sockaddr: sa_family (u16) then 14 bytes of data. */
export function ifreqWithHwaddr(name: string, family: number, mac: Uint8Array): Buffer {
  const buf = ifreq(name)
  buf.writeUInt16LE(family, UNION)
  Buffer.from(mac).copy(buf, UNION + 2)
  return buf
}

export function ifreqHwaddr(buf: Buffer): {family: number; mac: Buffer} {
  return {family: buf.readUInt16LE(UNION), mac: Buffer.from(buf.subarray(UNION + 2, UNION + 8))}
}
