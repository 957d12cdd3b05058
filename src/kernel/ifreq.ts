/**
 * struct ifreq (40 bytes on 64-bit Linux): ifr_name[16] then a union at offset 16.
 * Pure encode/decode, no kernel access, so it is unit-tested without root.
 */
import {IFNAMSIZ, IFREQ_SIZE} from './constants'

const UNION = IFNAMSIZ

/*
 * Bytes written and read by hand where a name is ASCII and for the union's integers: Buffer's write,
 * toString, indexOf and readX/writeX are JavaScript of Node's that V8 compiles at their first call in
 * each process (50-150 us each), where add or del makes one or two ifreqs.
 */

export function ifreq(name = ''): Buffer {
  const buf = Buffer.alloc(IFREQ_SIZE)
  // Written in place (no Buffer of its own: creating 1000 devices builds thousands of these). write() stops
  // at the 40 bytes and never splits a character, so a name of 16 bytes or more always shows as such.
  // The caller validated the name; refuse here too rather than truncate silently.
  let ascii = name.length < IFNAMSIZ
  for (let i = 0; ascii && i < name.length; i++) ascii = name.charCodeAt(i) < 0x80
  if (ascii) {
    for (let i = 0; i < name.length; i++) buf[i] = name.charCodeAt(i)
    return buf
  }
  if (buf.write(name, 0, 'utf8') >= IFNAMSIZ) throw new RangeError(`interface name "${name}" is longer than ${IFNAMSIZ - 1} bytes`)
  return buf
}

export function ifreqName(buf: Buffer): string {
  let end = 0
  while (end < IFNAMSIZ && buf[end] !== 0) end++
  let text = ''
  for (let i = 0; i < end; i++) {
    if (buf[i] >= 0x80) return buf.toString('utf8', 0, end)
    text += String.fromCharCode(buf[i])
  }
  return text
}

export function ifreqWithShort(name: string, value: number): Buffer {
  const buf = ifreq(name)
  buf[UNION] = value & 0xff
  buf[UNION + 1] = (value >>> 8) & 0xff
  return buf
}

export function ifreqShort(buf: Buffer): number {
  return buf[UNION] | (buf[UNION + 1] << 8)
}

export function ifreqWithInt(name: string, value: number): Buffer {
  const buf = ifreq(name)
  // Anything but a plain 32-bit integer as Buffer takes it (and refuses it).
  if (value !== (value | 0)) buf.writeInt32LE(value, UNION)
  else for (let i = 0; i < 4; i++) buf[UNION + i] = (value >>> (8 * i)) & 0xff
  return buf
}

export function ifreqInt(buf: Buffer): number {
  return buf[UNION] | (buf[UNION + 1] << 8) | (buf[UNION + 2] << 16) | (buf[UNION + 3] << 24)
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
