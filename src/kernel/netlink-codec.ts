/**
 * rtnetlink message encoding and decoding. Pure functions over Buffers: no sockets here, so every
 * path (including malformed input) is unit-tested without root.
 */
import * as C from './constants'
import {bytesToIp, ipTextAt} from '../model/ip'
import {formatMac} from '../model/mac'

export class NetlinkParseError extends Error {
  constructor(message: string) {
    super(`malformed netlink message: ${message}`)
    this.name = 'NetlinkParseError'
  }
}

const align4 = (n: number) => (n + 3) & ~3

/**
 * Little-endian reads by hand. Buffer's readUInt16LE and readUInt32LE check their arguments at every call,
 * which costs more than the read itself here: these run for every attribute of thousands of messages, in a
 * process too short for V8 to optimise them. Every caller has checked the bounds first.
 */
const le16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8)
const le32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000
const le32signed = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)

export interface NlMessage {
  type: number
  flags: number
  seq: number
  pid: number
  payload: Buffer
}

/**
 * Little-endian writes by hand, for the same reason as the reads: creating 1000 devices encodes some 3000
 * requests. `v` is a whole number that fits (the callers' values are lengths, types, flags and u32s).
 */
function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff
  b[o + 1] = (v >>> 8) & 0xff
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff
  b[o + 1] = (v >>> 8) & 0xff
  b[o + 2] = (v >>> 16) & 0xff
  b[o + 3] = (v >>> 24) & 0xff
}

export function encodeMessage(type: number, flags: number, seq: number, payload: Buffer): Buffer {
  const len = C.NLMSG_HDRLEN + payload.length
  const buf = Buffer.alloc(align4(len))
  put32(buf, 0, len)
  put16(buf, 4, type)
  put16(buf, 6, flags)
  put32(buf, 8, seq)
  buf.set(payload, C.NLMSG_HDRLEN)
  return buf
}

/**
 * Several requests in one datagram, each with its sequence number and `flags` added to its own: what
 * encodeMessage makes of each, concatenated, written into one buffer (a batch of 128 made 129 before).
 */
export function encodeMessages(requests: ReadonlyArray<{type: number; flags: number; payload: Uint8Array}>, seqs: readonly number[], flags: number): Buffer {
  let total = 0
  for (const r of requests) total += align4(C.NLMSG_HDRLEN + r.payload.length)
  const buf = Buffer.alloc(total)
  let off = 0
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i]
    const len = C.NLMSG_HDRLEN + r.payload.length
    put32(buf, off, len)
    put16(buf, off + 4, r.type)
    put16(buf, off + 6, r.flags | flags)
    put32(buf, off + 8, seqs[i])
    buf.set(r.payload, off + C.NLMSG_HDRLEN)
    off += align4(len)
  }
  return buf
}

/** Split one datagram into messages; throws NetlinkParseError on lengths that do not fit. */
export function decodeMessages(buf: Buffer, length = buf.length): NlMessage[] {
  const out: NlMessage[] = []
  let off = 0
  while (off + C.NLMSG_HDRLEN <= length) {
    const len = le32(buf, off)
    if (len < C.NLMSG_HDRLEN) throw new NetlinkParseError(`message length ${len} at offset ${off} is shorter than its header`)
    if (off + len > length) throw new NetlinkParseError(`message length ${len} at offset ${off} runs past the ${length}-byte datagram`)
    out.push({
      type: le16(buf, off + 4),
      flags: le16(buf, off + 6),
      seq: le32(buf, off + 8),
      pid: le32(buf, off + 12),
      payload: buf.subarray(off + C.NLMSG_HDRLEN, off + len),
    })
    off += align4(len)
  }
  if (off < length && length - off >= 4) throw new NetlinkParseError(`${length - off} trailing bytes after the last message`)
  return out
}

/**
 * Throws what decodeMessages would throw on this datagram, and nothing when it would decode it: the
 * messages' lengths walked without making them (their reader then walks them in place).
 */
export function checkMessages(buf: Uint8Array, length: number): void {
  let off = 0
  while (off + C.NLMSG_HDRLEN <= length) {
    const len = le32(buf, off)
    if (len < C.NLMSG_HDRLEN) throw new NetlinkParseError(`message length ${len} at offset ${off} is shorter than its header`)
    if (off + len > length) throw new NetlinkParseError(`message length ${len} at offset ${off} runs past the ${length}-byte datagram`)
    off += align4(len)
  }
  if (off < length && length - off >= 4) throw new NetlinkParseError(`${length - off} trailing bytes after the last message`)
}

/** NLMSG_ERROR payload: a negative errno (0 = ACK) followed by the offending header. */
export function decodeError(payload: Buffer): number {
  if (payload.length < 4) throw new NetlinkParseError('NLMSG_ERROR shorter than 4 bytes')
  return -le32signed(payload, 0) || 0 // not -0
}

/**
 * NLMSG_ERROR or NLMSG_DONE with the kernel's extended ACK: the errno, and the kernel's message
 * (NLMSGERR_ATTR_MSG) when it sent one. For NLMSG_ERROR the attributes follow the echoed request
 * (only its header when the reply is capped); for NLMSG_DONE they follow the errno.
 */
export function decodeStatus(msg: Pick<NlMessage, 'type' | 'flags' | 'payload'>): {errno: number; detail?: string} {
  const errno = decodeError(msg.payload)
  if (!(msg.flags & C.NLM_F_ACK_TLVS)) return {errno}
  let off = 4
  if (msg.type === C.NLMSG_ERROR) {
    if (msg.payload.length < 4 + C.NLMSG_HDRLEN) return {errno}
    off += msg.flags & C.NLM_F_CAPPED ? C.NLMSG_HDRLEN : align4(le32(msg.payload, 4))
  }
  if (off > msg.payload.length) return {errno}
  const detail = str(decodeAttrs(msg.payload, off).get(C.NLMSGERR_ATTR_MSG))
  return detail ? {errno, detail} : {errno}
}

// ---- attributes -------------------------------------------------------------------------------

export function attr(type: number, data: Uint8Array): Buffer {
  const len = 4 + data.length
  if (len > 0xffff) Buffer.alloc(2).writeUInt16LE(len) // throws the RangeError it always did: no 16-bit length fits
  const buf = Buffer.alloc(align4(len))
  put16(buf, 0, len)
  put16(buf, 2, type)
  buf.set(data, 4)
  return buf
}

export const attrU32 = (type: number, v: number) => {
  const buf = Buffer.alloc(8)
  put16(buf, 0, 8)
  put16(buf, 2, type)
  put32(buf, 4, v >>> 0)
  return buf
}
/** A NUL-terminated string attribute; an ASCII one written by hand (no Buffer.from or concat to compile at its first call). */
export const attrString = (type: number, s: string): Buffer => {
  let ascii = 4 + s.length + 1 <= 0xffff
  for (let i = 0; ascii && i < s.length; i++) ascii = s.charCodeAt(i) < 0x80
  if (!ascii) return attr(type, Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]))
  const len = 4 + s.length + 1
  const buf = Buffer.alloc(align4(len))
  put16(buf, 0, len)
  put16(buf, 2, type)
  for (let i = 0; i < s.length; i++) buf[4 + i] = s.charCodeAt(i)
  return buf
}
export const attrNested = (type: number, children: Buffer[]) => attr(type | C.NLA_F_NESTED, Buffer.concat(children))

/**
 * Attributes by type. Repeated types keep the last (rtnetlink does not repeat the ones we read).
 * With `wanted`, other types are skipped without being sliced out (link dumps carry large stats).
 */
export function decodeAttrs(buf: Buffer, start = 0, wanted?: ReadonlySet<number>): Map<number, Buffer> {
  const map = new Map<number, Buffer>()
  let off = start
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off)
    const type = buf.readUInt16LE(off + 2) & C.NLA_TYPE_MASK
    if (len < 4) throw new NetlinkParseError(`attribute ${type} at offset ${off} has length ${len}`)
    if (off + len > buf.length) throw new NetlinkParseError(`attribute ${type} at offset ${off} runs past its message`)
    if (!wanted || wanted.has(type)) map.set(type, buf.subarray(off + 4, off + len))
    off += align4(len)
  }
  return map
}

const u8 = (b?: Buffer) => (b && b.length >= 1 ? b.readUInt8(0) : undefined)
const u32 = (b?: Buffer) => (b && b.length >= 4 ? b.readUInt32LE(0) : undefined)
const str = (b?: Buffer) => {
  if (!b) return undefined
  const end = b.indexOf(0)
  return b.toString('utf8', 0, end < 0 ? b.length : end)
}

// ---- links ------------------------------------------------------------------------------------

export interface TunLinkData {
  type: 'tun' | 'tap'
  /** undefined = unset (the kernel reports (uid_t)-1, or leaves the attribute out). */
  owner?: number
  group?: number
  pi: boolean
  vnetHdr: boolean
  persist: boolean
  multiQueue: boolean
  numQueues?: number
  numDisabledQueues?: number
}

export interface Link {
  index: number
  name: string
  /** net_device flags (IFF_UP, ...). */
  flags: number
  /** ARPHRD_* hardware type. */
  hwType: number
  mtu?: number
  minMtu?: number
  maxMtu?: number
  txqlen?: number
  mac?: string
  operstate?: string
  carrier?: boolean
  alias?: string
  group?: number
  master?: number
  /** When the link is a port of a bridge, bond or vrf: the master's kind, and a bridge port's STP state. */
  port?: {kind: string; state?: string}
  /** IFLA_INFO_KIND: "tun", "bridge", "veth"...; undefined for physical devices and loopback. */
  kind?: string
  tun?: TunLinkData
}

export function encodeIfinfomsg(index = 0, family = C.AF_UNSPEC, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(C.IFINFOMSG_LEN)
  // By hand for the values every caller passes (Buffer's writers are compiled at their first call, ~0.1 ms
  // each in a start of add or del); anything else as Buffer writes it, or refuses it.
  if (family === (family & 0xff) && index === (index | 0) && flags === flags >>> 0 && change === change >>> 0) {
    b[0] = family
    put32(b, 4, index)
    put32(b, 8, flags)
    put32(b, 12, change)
    return b
  }
  b.writeUInt8(family, 0)
  b.writeInt32LE(index, 4)
  b.writeUInt32LE(flags, 8)
  b.writeUInt32LE(change, 12)
  return b
}

/**
 * The attributes of one message (or nested attribute) as offsets into the datagram, by type: decoding
 * 1000 links through a Map of subarrays per link cost ~9 ms; reading in place, a third of that. The same
 * checks as decodeAttrs; the last of a repeated type wins, as there. Types >= 128 are not kept (no
 * attribute tunadm reads is numbered that high).
 */
class AttrTable {
  private readonly at = new Int32Array(128)
  private readonly len = new Int32Array(128)
  private buf: Buffer = Buffer.alloc(0)

  /** `from`: where the message starts (offsets in errors are said from there). */
  scan(buf: Buffer, start: number, end: number, from = 0): this {
    // The loop runs ~40 times a link, mostly before V8 optimises anything: reads written out, no calls.
    const at = this.at
    const lens = this.len
    this.buf = buf
    at.fill(-1)
    let off = start
    while (off + 4 <= end) {
      const len = buf[off] | (buf[off + 1] << 8)
      const type = (buf[off + 2] | (buf[off + 3] << 8)) & C.NLA_TYPE_MASK
      if (len < 4) throw new NetlinkParseError(`attribute ${type} at offset ${off - from} has length ${len}`)
      if (off + len > end) throw new NetlinkParseError(`attribute ${type} at offset ${off - from} runs past its message`)
      if (type < 128) {
        at[type] = off + 4
        lens[type] = len - 4
      }
      off += (len + 3) & ~3
    }
    return this
  }

  has(type: number): boolean {
    return this.at[type] >= 0
  }
  start(type: number): number {
    return this.at[type]
  }
  end(type: number): number {
    return this.at[type] + this.len[type]
  }
  u8(type: number): number | undefined {
    return this.at[type] >= 0 && this.len[type] >= 1 ? this.buf[this.at[type]] : undefined
  }
  u32(type: number): number | undefined {
    return this.at[type] >= 0 && this.len[type] >= 4 ? le32(this.buf, this.at[type]) : undefined
  }
  str(type: number): string | undefined {
    if (this.at[type] < 0) return undefined
    const from = this.at[type]
    return textAt(this.buf, from, from + this.len[type])
  }
  bytes(type: number): Buffer | undefined {
    return this.at[type] >= 0 ? this.buf.subarray(this.at[type], this.at[type] + this.len[type]) : undefined
  }
  /** An address attribute as text, read in place (bytesToIp's). */
  ip(type: number): string {
    return ipTextAt(this.buf, this.at[type], this.len[type])
  }
  /** Whether two attributes present hold the same bytes. */
  same(a: number, b: number): boolean {
    const n = this.len[a]
    if (n !== this.len[b]) return false
    for (let i = 0, x = this.at[a], y = this.at[b]; i < n; i++) if (this.buf[x + i] !== this.buf[y + i]) return false
    return true
  }
}

type Sliceable = Buffer & {utf8Slice(from: number, to: number): string}
const hasUtf8Slice = typeof (Buffer.prototype as Partial<Sliceable>).utf8Slice === 'function'

/**
 * A string attribute's text, read in place up to its first NUL. utf8Slice is what toString('utf8', ...)
 * calls once it has checked its arguments (the same text), called directly: a list reads thousands of
 * short names. The bytes are decoded natively and the text cut at its first NUL, rather than the NUL looked
 * for byte by byte in V8's interpreter (an alias is some 30 bytes, on each of thousands of links): a NUL is
 * one byte and one character, never part of a longer UTF-8 sequence, so what comes before it decodes the
 * same either way. The NUL that ends the value, its last byte, is left out before decoding.
 */
function textAt(b: Buffer, from: number, to: number): string {
  const end = to > from && b[to - 1] === 0 ? to - 1 : to
  const s = hasUtf8Slice ? (b as Sliceable).utf8Slice(from, end) : b.toString('utf8', from, end)
  const nul = s.indexOf('\0')
  return nul < 0 ? s : s.slice(0, nul)
}

/*
 * Link messages are decoded in one pass over their attributes: a dump has ~40 attributes a link and
 * thousands of links, read in a process too short for V8 to optimise anything (a list turns the optimising
 * compilers off), so in the baseline tiers every call, property read and allocation counts. Each attribute
 * is taken as it is met, by a switch on its slot (V8 makes a jump table of a switch only when its cases
 * are numbers written out and close together, which attribute types are not: a table maps a type to its
 * slot); the last of a repeated type wins, and the checks are decodeAttrs' (a property test holds
 * decodeLink to a decoder written over decodeAttrs, at every alignment).
 */

/** type -> slot (0: not read), for every type (NLA_TYPE_MASK + 1 entries: no bounds check). */
const LINK_SLOTS = new Uint8Array(C.NLA_TYPE_MASK + 1)
;[
  C.IFLA_IFNAME, C.IFLA_MTU, C.IFLA_MIN_MTU, C.IFLA_MAX_MTU, C.IFLA_TXQLEN, C.IFLA_IFALIAS, C.IFLA_GROUP, C.IFLA_MASTER,
  C.IFLA_ADDRESS, C.IFLA_OPERSTATE, C.IFLA_CARRIER, C.IFLA_LINKINFO,
].forEach((type, i) => { LINK_SLOTS[type] = i + 1 })

/**
 * The message's memory as 32-bit words (attributes are 4-byte aligned, so an attribute's header, length
 * and type, or a u32 value is one read instead of four), for messages that start on a 4-byte boundary
 * of it: a receive buffer's, a pooled copy's. decodeLink copies any other first.
 */
let wordsOf: ArrayBufferLike | undefined
let words: Uint32Array = new Uint32Array(0)
function wordView(b: Buffer): Uint32Array {
  if (b.buffer !== wordsOf) {
    words = new Uint32Array(b.buffer, 0, b.buffer.byteLength >> 2)
    wordsOf = b.buffer
  }
  return words
}

/** An attribute at `off` that does not fit; its offset said from the message's start, `from`. */
function badAttribute(b: Buffer, off: number, from: number): NetlinkParseError {
  const len = le16(b, off)
  const type = le16(b, off + 2) & C.NLA_TYPE_MASK
  const at = off - from
  return new NetlinkParseError(len < 4 ? `attribute ${type} at offset ${at} has length ${len}` : `attribute ${type} at offset ${at} runs past its message`)
}

/** IFLA_INFO_DATA of a tun link, between start and end (none: start = end). */
function decodeTunData(b: Buffer, w: Uint32Array, start: number, end: number, from: number): TunLinkData {
  const base = b.byteOffset
  let type: number | undefined
  let owner: number | undefined
  let group: number | undefined
  let pi: number | undefined
  let vnetHdr: number | undefined
  let persist: number | undefined
  let multiQueue: number | undefined
  let queues: number | undefined
  let disabled: number | undefined
  let off = start
  while (off + 4 <= end) {
    const h = w[(base + off) >> 2]
    const len = h & 0xffff
    if (len < 4 || off + len > end) throw badAttribute(b, off, from)
    // As in decodeLink (the types are numbered 1 to 9: a jump table as they are).
    switch ((h >>> 16) & C.NLA_TYPE_MASK) {
      case 1: owner = len >= 8 ? w[(base + off + 4) >> 2] : undefined; break // IFLA_TUN_OWNER
      case 2: group = len >= 8 ? w[(base + off + 4) >> 2] : undefined; break // IFLA_TUN_GROUP
      case 3: type = len > 4 ? b[off + 4] : undefined; break // IFLA_TUN_TYPE
      case 4: pi = len > 4 ? b[off + 4] : undefined; break // IFLA_TUN_PI
      case 5: vnetHdr = len > 4 ? b[off + 4] : undefined; break // IFLA_TUN_VNET_HDR
      case 6: persist = len > 4 ? b[off + 4] : undefined; break // IFLA_TUN_PERSIST
      case 7: multiQueue = len > 4 ? b[off + 4] : undefined; break // IFLA_TUN_MULTI_QUEUE
      case 8: queues = len >= 8 ? w[(base + off + 4) >> 2] : undefined; break // IFLA_TUN_NUM_QUEUES
      case 9: disabled = len >= 8 ? w[(base + off + 4) >> 2] : undefined; break // IFLA_TUN_NUM_DISABLED_QUEUES
    }
    off += (len + 3) & ~3
  }
  return {
    type: type === C.IFF_TAP ? 'tap' : 'tun',
    owner: owner === C.ID_UNSET ? undefined : owner,
    group: group === C.ID_UNSET ? undefined : group,
    pi: pi === 1,
    vnetHdr: vnetHdr === 1,
    persist: persist === 1,
    multiQueue: multiQueue === 1,
    numQueues: queues,
    numDisabledQueues: disabled,
  }
}

export function decodeLink(payload: Buffer): Link {
  return decodeLinkAt(payload, 0, payload.length)
}

/**
 * The link message whose payload is b[from, end), read where it is: a dump's messages are decoded in the
 * receive buffer, without a Buffer made for each (offsets in errors are the payload's, as decodeLink's).
 */
export function decodeLinkAt(buf: Buffer, from: number, end: number): Link {
  if (end - from < C.IFINFOMSG_LEN) throw new NetlinkParseError(`ifinfomsg of ${end - from} bytes`)
  let b = buf
  if (((b.byteOffset + from) & 3) !== 0) {
    b = Buffer.alloc(end - from) // its own memory, at offset 0
    buf.copy(b, 0, from, end)
    end -= from
    from = 0
  }
  const w = wordView(b)
  const base = b.byteOffset
  let name = ''
  let mtu: number | undefined
  let minMtu: number | undefined
  let maxMtu: number | undefined
  let txqlen: number | undefined
  let alias: string | undefined
  let group: number | undefined
  let master: number | undefined
  let mac: string | undefined
  let oper = -1
  let carrier = -1
  let infoAt = -1
  let infoEnd = -1
  let off: number = from + C.IFINFOMSG_LEN
  while (off + 4 <= end) {
    const h = w[(base + off) >> 2]
    const len = h & 0xffff
    if (len < 4 || off + len > end) throw badAttribute(b, off, from)
    // A u8 needs one byte of value, a u32 four; a shorter one reads as absent.
    switch (LINK_SLOTS[(h >>> 16) & C.NLA_TYPE_MASK]) {
      case 0: break
      case 1: name = textAt(b, off + 4, off + len); break // IFLA_IFNAME
      case 2: mtu = len >= 8 ? w[(base + off + 4) >> 2] : undefined; break // IFLA_MTU
      case 3: minMtu = len >= 8 ? w[(base + off + 4) >> 2] : undefined; break // IFLA_MIN_MTU
      case 4: maxMtu = len >= 8 ? w[(base + off + 4) >> 2] : undefined; break // IFLA_MAX_MTU
      case 5: txqlen = len >= 8 ? w[(base + off + 4) >> 2] : undefined; break // IFLA_TXQLEN
      case 6: alias = textAt(b, off + 4, off + len) || undefined; break // IFLA_IFALIAS
      case 7: group = len >= 8 ? w[(base + off + 4) >> 2] : undefined; break // IFLA_GROUP
      case 8: master = len >= 8 ? w[(base + off + 4) >> 2] : undefined; break // IFLA_MASTER
      case 9: mac = len > 4 ? formatMac(b, off + 4, off + len) : undefined; break // IFLA_ADDRESS
      case 10: oper = len > 4 ? b[off + 4] : -1; break // IFLA_OPERSTATE
      case 11: carrier = len > 4 ? b[off + 4] : -1; break // IFLA_CARRIER
      case 12: infoAt = off + 4; infoEnd = off + len; break // IFLA_LINKINFO
    }
    off += (len + 3) & ~3
  }
  const index = le32signed(b, from + 4)
  const hwType = le16(b, from + 2)
  const flags = le32(b, from + 8)
  const operstate = oper < 0 ? undefined : C.OPERSTATES[oper] ?? String(oper)
  let kind: string | undefined
  let tun: TunLinkData | undefined
  let portKind: string | undefined
  let portAt = -1
  let portEnd = -1
  if (infoAt >= 0) {
    let dataAt = -1
    let dataEnd = -1
    for (let o = infoAt; o + 4 <= infoEnd;) {
      const h = w[(base + o) >> 2]
      const len = h & 0xffff
      if (len < 4 || o + len > infoEnd) throw badAttribute(b, o, from)
      switch ((h >>> 16) & C.NLA_TYPE_MASK) {
        case 1: kind = textAt(b, o + 4, o + len); break // IFLA_INFO_KIND
        case 2: dataAt = o + 4; dataEnd = o + len; break // IFLA_INFO_DATA
        case 4: portKind = textAt(b, o + 4, o + len); break // IFLA_INFO_SLAVE_KIND
        case 5: portAt = o + 4; portEnd = o + len; break // IFLA_INFO_SLAVE_DATA
      }
      o += (len + 3) & ~3
    }
    if (kind === 'tun') tun = dataAt >= 0 ? decodeTunData(b, w, dataAt, dataEnd, from) : decodeTunData(b, w, 0, 0, from)
    // A TUN/TAP device that is no port: its whole Link in one literal (no property store grown field by field).
    if (tun !== undefined && portKind === undefined && oper >= 0 && carrier >= 0) {
      return mac === undefined
        ? {index, hwType, flags, name, mtu, minMtu, maxMtu, txqlen, alias, group, master, operstate, carrier: carrier === 1, kind, tun}
        : {index, hwType, flags, name, mtu, minMtu, maxMtu, txqlen, alias, group, master, mac, operstate, carrier: carrier === 1, kind, tun}
    }
  }
  const link: Link = {index, hwType, flags, name, mtu, minMtu, maxMtu, txqlen, alias, group, master}
  if (mac !== undefined) link.mac = mac
  if (operstate !== undefined) link.operstate = operstate
  if (carrier >= 0) link.carrier = carrier === 1
  if (infoAt >= 0) {
    link.kind = kind
    if (tun !== undefined) link.tun = tun
    if (portKind !== undefined) {
      link.port = {kind: portKind}
      if (portKind === 'bridge' && portAt >= 0) {
        let st = -1
        for (let o = portAt; o + 4 <= portEnd;) {
          const h = w[(base + o) >> 2]
          const len = h & 0xffff
          if (len < 4 || o + len > portEnd) throw badAttribute(b, o, from)
          if (((h >>> 16) & C.NLA_TYPE_MASK) === C.IFLA_BRPORT_STATE) st = len > 4 ? b[o + 4] : -1
          o += (len + 3) & ~3
        }
        if (st >= 0) link.port.state = C.BRPORT_STATES[st] ?? String(st)
      }
    }
  }
  return link
}

// ---- addresses --------------------------------------------------------------------------------

export interface Address {
  family: 4 | 6
  index: number
  prefixLen: number
  /** The address of this host (IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6). */
  address: string
  /** The point-to-point peer, when IFA_ADDRESS differs from IFA_LOCAL. */
  peer?: string
  scope: number
  flags: number
  label?: string
}

export function encodeIfaddrmsg(family: 4 | 6, prefixLen: number, index: number, scope = C.RT_SCOPE_UNIVERSE): Buffer {
  const b = Buffer.alloc(C.IFADDRMSG_LEN)
  b.writeUInt8(family === 4 ? C.AF_INET : C.AF_INET6, 0)
  b.writeUInt8(prefixLen, 1)
  b.writeUInt8(C.IFA_F_PERMANENT, 2)
  b.writeUInt8(scope, 3)
  b.writeUInt32LE(index, 4)
  return b
}

export function decodeAddress(payload: Buffer): Address {
  return decodeAddressAt(payload, 0, payload.length)
}

/** The address message whose payload is b[from, end), read where it is (decodeLinkAt's way). */
export function decodeAddressAt(payload: Buffer, from: number, end: number): Address {
  if (end - from < C.IFADDRMSG_LEN) throw new NetlinkParseError(`ifaddrmsg of ${end - from} bytes`)
  const family = payload[from] === C.AF_INET6 ? 6 : 4
  // One pass over the attributes, each taken as it is met (a dump has an address or two per device,
  // thousands of them): the checks and the reading of decodeAttrs, the last of a repeated type winning.
  let localAt = -1
  let localLen = 0
  let addressAt = -1
  let addressLen = 0
  let labelAt = -1
  let labelEnd = -1
  let flags: number | undefined
  let off = from + C.IFADDRMSG_LEN
  while (off + 4 <= end) {
    const len = payload[off] | (payload[off + 1] << 8)
    const type = (payload[off + 2] | (payload[off + 3] << 8)) & C.NLA_TYPE_MASK
    if (len < 4) throw new NetlinkParseError(`attribute ${type} at offset ${off - from} has length ${len}`)
    if (off + len > end) throw new NetlinkParseError(`attribute ${type} at offset ${off - from} runs past its message`)
    switch (type) {
      case C.IFA_ADDRESS: addressAt = off + 4; addressLen = len - 4; break
      case C.IFA_LOCAL: localAt = off + 4; localLen = len - 4; break
      case C.IFA_LABEL: labelAt = off + 4; labelEnd = off + len; break
      case C.IFA_FLAGS: flags = len >= 8 ? le32(payload, off + 4) : undefined; break // a u32 needs four bytes
    }
    off += (len + 3) & ~3
  }
  const out: Address = {
    family,
    prefixLen: payload[from + 1],
    flags: flags ?? payload[from + 2],
    scope: payload[from + 3],
    index: le32(payload, from + 4),
    address: localAt >= 0 ? ipTextAt(payload, localAt, localLen) : addressAt >= 0 ? ipTextAt(payload, addressAt, addressLen) : '',
    label: labelAt >= 0 ? textAt(payload, labelAt, labelEnd) : undefined,
  }
  if (localAt >= 0 && addressAt >= 0 && !sameBytes(payload, localAt, addressAt, localLen, addressLen)) out.peer = ipTextAt(payload, addressAt, addressLen)
  return out
}

/** Whether b[x, x + xLen) and b[y, y + yLen) hold the same bytes. */
function sameBytes(b: Buffer, x: number, y: number, xLen: number, yLen: number): boolean {
  if (xLen !== yLen) return false
  for (let i = 0; i < xLen; i++) if (b[x + i] !== b[y + i]) return false
  return true
}

// ---- routes -----------------------------------------------------------------------------------

export interface Route {
  family: 4 | 6
  dst: string
  dstLen: number
  gateway?: string
  oif?: number
  table: number
  protocol: number
  scope: number
  type: number
  /** rtm_flags; RTNH_F_LINKDOWN (0x10) when the kernel marks the route linkdown. */
  flags: number
  priority?: number
  prefsrc?: string
}

export function encodeRtmsg(r: {family: 4 | 6; dstLen: number; table?: number; protocol?: number; scope?: number; type?: number}): Buffer {
  const b = Buffer.alloc(C.RTMSG_LEN)
  b.writeUInt8(r.family === 4 ? C.AF_INET : C.AF_INET6, 0)
  b.writeUInt8(r.dstLen, 1)
  b.writeUInt8(0, 2) // src_len
  b.writeUInt8(0, 3) // tos
  b.writeUInt8((r.table ?? C.RT_TABLE_MAIN) < 256 ? (r.table ?? C.RT_TABLE_MAIN) : 0, 4)
  b.writeUInt8(r.protocol ?? C.RTPROT_BOOT, 5)
  b.writeUInt8(r.scope ?? C.RT_SCOPE_UNIVERSE, 6)
  b.writeUInt8(r.type ?? C.RTN_UNICAST, 7)
  b.writeUInt32LE(0, 8)
  return b
}

const routeAttrs = new AttrTable()

export function decodeRoute(payload: Buffer): Route {
  if (payload.length < C.RTMSG_LEN) throw new NetlinkParseError(`rtmsg of ${payload.length} bytes`)
  const family = payload.readUInt8(0) === C.AF_INET6 ? 6 : 4
  const a = routeAttrs.scan(payload, C.RTMSG_LEN, payload.length)
  const dst = a.bytes(C.RTA_DST)
  const gw = a.bytes(C.RTA_GATEWAY)
  const src = a.bytes(C.RTA_PREFSRC)
  return {
    family,
    dstLen: payload.readUInt8(1),
    dst: dst ? bytesToIp(dst) : family === 4 ? '0.0.0.0' : '::',
    gateway: gw ? bytesToIp(gw) : undefined,
    oif: a.u32(C.RTA_OIF),
    table: a.u32(C.RTA_TABLE) ?? payload.readUInt8(4),
    protocol: payload.readUInt8(5),
    scope: payload.readUInt8(6),
    type: payload.readUInt8(7),
    flags: payload.readUInt32LE(8),
    priority: a.u32(C.RTA_PRIORITY),
    prefsrc: src ? bytesToIp(src) : undefined,
  }
}
