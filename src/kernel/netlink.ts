/** A small synchronous rtnetlink client: one request at a time, on this thread's network namespace. */
import * as C from './constants'
import {KernelError} from './errno'
import {attachSocketFilter, bindSocket, closeFd, getSocketU64, openSocket, recvBuffer, sendBuffer, setSocketInt} from './libc'
import {FILTER_MAX_RANGES, ignoreLinksProgram} from './netlink-filter'
import {TunadmError} from '../errors'
import {
  Address, Link, NlMessage, Route, attr, attrNested, attrString, attrU32, checkMessages, decodeAddressAt, decodeLink, decodeLinkAt,
  decodeMessages, decodeRoute, decodeStatus, encodeIfaddrmsg, encodeIfinfomsg, encodeMessage, encodeMessages, encodeRtmsg,
} from './netlink-codec'
import {Prefix} from '../model/ip'

const RECV_SIZE = 64 * 1024

const opNames: Record<number, string> = {
  [C.RTM_GETLINK]: 'RTM_GETLINK', [C.RTM_DELLINK]: 'RTM_DELLINK', [C.RTM_SETLINK]: 'RTM_SETLINK',
  [C.RTM_NEWLINK]: 'RTM_NEWLINK', [C.RTM_NEWADDR]: 'RTM_NEWADDR', [C.RTM_DELADDR]: 'RTM_DELADDR',
  [C.RTM_GETADDR]: 'RTM_GETADDR', [C.RTM_NEWROUTE]: 'RTM_NEWROUTE', [C.RTM_DELROUTE]: 'RTM_DELROUTE',
  [C.RTM_GETROUTE]: 'RTM_GETROUTE',
}

/** One request of a batch: sent with others in one datagram, answered by its own ACK. */
export interface NlRequest {
  type: number
  flags: number
  payload: Buffer
  /** What it acts on, for messages (a device name). */
  target?: string
}

/** A reply message where it lies: its type, and its payload buf[start, end) (the header just before it). */
export type AtVisitor = (type: number, buf: Buffer, start: number, end: number) => void

/** A little-endian u32, read by hand (Buffer's reader checks its arguments at each of thousands of calls). */
const le32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000

/** A dump the kernel reported as changed while it ran (NLM_F_DUMP_INTR): repeat it. */
class DumpInterrupted extends Error {}

const DUMP_ATTEMPTS = 5
/** Requests per datagram in a batch: their ACKs must fit the socket's receive buffer. */
const BATCH_SIZE = 128
/**
 * RTM_GETLINKs per datagram: their answers (a link each, ~1-2 KB, charged to the socket at their allocated
 * size, up to ~5 KB) must fit the receive buffer of 208 KB: 128 of them did not (down failed with ENOBUFS on
 * a host with some 100 other links).
 */
const INDEX_BATCH = 24

export class Netlink {
  private fd: number
  private seq = Math.floor(Date.now() / 1000) & 0xffff
  private rx = Buffer.alloc(RECV_SIZE)

  constructor() {
    this.fd = openSocket(C.AF_NETLINK, C.SOCK_RAW | C.SOCK_CLOEXEC, C.NETLINK_ROUTE, 'socket(AF_NETLINK)')
    const sa = Buffer.alloc(12)
    sa[0] = C.AF_NETLINK // sa_family, little-endian u16 (no Buffer writer to compile at every start)
    try {
      bindSocket(this.fd, sa, 'bind(AF_NETLINK)')
      // The kernel's own words on errors (since 4.12), and errors that do not echo the whole request.
      // Older kernels refuse the options: the errno is then all we get.
      for (const opt of [C.NETLINK_EXT_ACK, C.NETLINK_CAP_ACK]) {
        try {
          setSocketInt(this.fd, C.SOL_NETLINK, opt, 1, 'setsockopt(SOL_NETLINK)')
        } catch {
          // optional
        }
      }
    } catch (err) {
      closeFd(this.fd)
      throw err
    }
  }

  /** The network namespace's cookie (unique until reboot), or undefined on kernels before 5.14. */
  netnsCookie(): string | undefined {
    try {
      return getSocketU64(this.fd, C.SOL_SOCKET, C.SO_NETNS_COOKIE, 'getsockopt(SO_NETNS_COOKIE)')
    } catch {
      return undefined
    }
  }

  close(): void {
    if (this.fd >= 0) closeFd(this.fd)
    this.fd = -1
  }

  /**
   * Send one request and collect the reply messages: for a dump, until NLMSG_DONE; otherwise until
   * the ACK. A negative errno in NLMSG_ERROR becomes a KernelError naming the operation and target.
   */
  request(type: number, flags: number, payload: Buffer, target?: string): NlMessage[] {
    const out: NlMessage[] = []
    this.each(type, flags, payload, (m) => {
      // A copy (the receive buffer is reused), made as Buffer.from(m.payload) makes it.
      const copy = Buffer.allocUnsafe(m.payload.length)
      copy.set(m.payload)
      out.push({...m, payload: copy})
    }, target)
    return out
  }

  /**
   * Like request(), but hands each reply message to `visit` while its bytes are still in the receive
   * buffer (they are overwritten by the next recv): decode there, keep nothing that points into it.
   * A dump that the kernel marks as interrupted (the tables changed while it ran) is repeated;
   * `restart` is called first so that the caller can drop what it collected.
   */
  each(type: number, flags: number, payload: Buffer, visit: (m: NlMessage) => void, target?: string, restart?: () => void): void {
    this.eachAt(type, flags, payload, (mtype, buf, start, end) => {
      // Its header is the 16 bytes before the payload.
      const h = start - C.NLMSG_HDRLEN
      visit({type: mtype, flags: buf[h + 6] | (buf[h + 7] << 8), seq: le32(buf, h + 8), pid: le32(buf, h + 12), payload: buf.subarray(start, end)})
    }, target, restart)
  }

  /**
   * each(), with each reply message handed over as where it lies in the receive buffer (its type and its
   * payload, buf[start, end), the header just before it), valid until the visitor returns: no message
   * object or Buffer made for each of the thousands of messages of a dump.
   */
  eachAt(type: number, flags: number, payload: Buffer, visit: AtVisitor, target?: string, restart?: () => void): void {
    const op = opNames[type] ?? `netlink type ${type}`
    for (let attempt = 1; ; attempt++) {
      try {
        this.once(type, flags, payload, visit, op, target)
        return
      } catch (err) {
        if (!(err instanceof DumpInterrupted)) throw err
        if (attempt >= DUMP_ATTEMPTS) {
          throw new TunadmError(`the kernel's ${op} dump kept changing while it was read (${attempt} attempts)`, {
            code: 'DUMP_INTERRUPTED', why: 'devices, addresses or routes were being added or removed at the same time', fix: 'try again when the other changes are done',
          })
        }
        restart?.()
      }
    }
  }

  private once(type: number, flags: number, payload: Buffer, visit: AtVisitor, op: string, target?: string): void {
    const seq = this.nextSeq()
    sendBuffer(this.fd, encodeMessage(type, flags | C.NLM_F_REQUEST, seq, payload), op)
    const dump = (flags & C.NLM_F_DUMP) === C.NLM_F_DUMP
    let interrupted = false
    for (;;) {
      const n = this.receiveLength(op)
      const rx = this.rx
      // The datagram's messages checked as decodeMessages checks them, then walked in place, headers read by hand.
      checkMessages(rx, n)
      for (let off = 0; off + C.NLMSG_HDRLEN <= n;) {
        const len = le32(rx, off)
        const mtype = rx[off + 4] | (rx[off + 5] << 8)
        const mflags = rx[off + 6] | (rx[off + 7] << 8)
        const mseq = le32(rx, off + 8)
        const start = off + C.NLMSG_HDRLEN
        const end = off + len
        off += (len + 3) & ~3
        if (mseq !== seq) continue
        if (mflags & C.NLM_F_DUMP_INTR) interrupted = true
        if (mtype === C.NLMSG_DONE || mtype === C.NLMSG_ERROR) {
          const {errno, detail} = decodeStatus({type: mtype, flags: mflags, payload: rx.subarray(start, end)})
          if (errno !== 0) throw new KernelError(op, errno, target, detail)
          if (interrupted) throw new DumpInterrupted()
          return
        }
        if (!interrupted) visit(mtype, rx, start, end)
        if (!dump && (mflags & C.NLM_F_MULTI) === 0 && (flags & C.NLM_F_ACK) === 0) return
      }
    }
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0 || 1
    return this.seq
  }

  /** One datagram's messages; a datagram larger than the buffer is read again into a bigger one. */
  private receive(op: string): NlMessage[] {
    return decodeMessages(this.rx, this.receiveLength(op))
  }

  /** One datagram into this.rx (made larger when it does not fit), and its length. */
  private receiveLength(op: string): number {
    for (;;) {
      const n = recvBuffer(this.fd, this.rx, op, C.MSG_PEEK | C.MSG_TRUNC)
      if (n > this.rx.length) {
        this.rx = Buffer.alloc(n)
        continue
      }
      recvBuffer(this.fd, this.rx, op)
      return n
    }
  }

  /**
   * Send many requests, up to BATCH_SIZE per datagram, and collect their answers. The kernel runs the
   * requests of a datagram in order, within the send, and answers a failed one with its error whether
   * asked to or not: so only the last of each datagram asks for an ACK, and when that arrives every
   * earlier error has arrived before it (one answer per datagram instead of one per request: 1000
   * requests are 8 reads, not 2000). Returns, per request, undefined or the KernelError it got.
   */
  batch(requests: NlRequest[]): Array<KernelError | undefined> {
    const results: Array<KernelError | undefined> = new Array(requests.length).fill(undefined)
    for (let start = 0; start < requests.length; start += BATCH_SIZE) {
      const end = Math.min(start + BATCH_SIZE, requests.length)
      const bySeq = new Map<number, number>()
      const chunk = requests.slice(start, end)
      const seqs = chunk.map((_, i) => {
        const seq = this.nextSeq()
        bySeq.set(seq, start + i)
        return seq
      })
      const lastSeq = seqs[seqs.length - 1]
      const datagram = encodeMessages(chunk, seqs, C.NLM_F_REQUEST)
      // The last request alone asks for its ACK: its header is the datagram's last, at its aligned length from the end.
      const last = chunk[chunk.length - 1]
      // (Its u16 flags written by hand: Buffer's writer is compiled at its first call, ~0.1 ms in a start of del.)
      const flagsAt = datagram.length - ((C.NLMSG_HDRLEN + last.payload.length + 3) & ~3) + 6
      const ackFlags = (last.flags | C.NLM_F_REQUEST | C.NLM_F_ACK) & 0xffff
      datagram[flagsAt] = ackFlags & 0xff
      datagram[flagsAt + 1] = ackFlags >>> 8
      sendBuffer(this.fd, datagram, 'netlink batch')
      for (let done = false; !done;) {
        for (const msg of this.receive('netlink batch')) {
          const i = bySeq.get(msg.seq)
          if (i === undefined || msg.type !== C.NLMSG_ERROR) continue
          if (msg.seq === lastSeq) done = true
          const {errno, detail} = decodeStatus(msg)
          const r = requests[i]
          if (errno !== 0) results[i] = new KernelError(opNames[r.type] ?? `netlink type ${r.type}`, errno, r.target, detail)
        }
      }
    }
    return results
  }

  /**
   * Every link, or with `kind` only those of that kind (the kernel filters, as ip link show type KIND).
   * `counted` is told the number of links read so far after each one (a caller can tune itself for a long dump).
   */
  links(kind?: string, counted?: (n: number) => void): Link[] {
    let out: Link[] = []
    this.eachLink(kind, (link) => {
      out.push(link)
      counted?.(out.length)
    }, () => { out = [] })
    return out
  }

  /**
   * links(), each link handed to `visit` as soon as it is decoded, and kept nowhere here: a caller that
   * makes something else of each (list's device views) lets the links go while the dump is read, rather
   * than holding thousands of them for the young-generation collections to copy. `restart` is called
   * before an interrupted dump is read again (drop what was made of it).
   */
  eachLink(kind: string | undefined, visit: (link: Link) => void, restart: () => void): void {
    const filter = kind ? attrNested(C.IFLA_LINKINFO, [attrString(C.IFLA_INFO_KIND, kind)]) : Buffer.alloc(0)
    // Without the counters (we never read them) each link's message is about half as long.
    const mask = attrU32(C.IFLA_EXT_MASK, C.RTEXT_FILTER_SKIP_STATS)
    this.eachAt(C.RTM_GETLINK, C.NLM_F_DUMP, Buffer.concat([encodeIfinfomsg(), filter, mask]), (type, buf, start, end) => {
      if (type === C.RTM_NEWLINK) visit(decodeLinkAt(buf, start, end))
    }, undefined, restart)
  }

  /**
   * The links with these ifindexes as they are now, asked for together (many requests per datagram):
   * faster than a dump when they are few among many. A link that is gone is left out.
   *
   * Each request is answered once, by the link or by an error (no ACK asked for besides), and every answer
   * of a datagram is queued on the socket within the send: INDEX_BATCH of them fit the default receive
   * buffer (net.core.rmem_default) with room to spare. If the kernel still had to drop some (a smaller
   * buffer: ENOBUFS), what is queued is thrown away and the links are asked for again one at a time.
   */
  linksByIndex(indexes: number[]): Link[] {
    try {
      return this.linksByIndexIn(indexes, INDEX_BATCH)
    } catch (err) {
      if (!(err instanceof KernelError && err.code === 'ENOBUFS')) throw err
      this.discard()
      return this.linksByIndexIn(indexes, 1)
    }
  }

  private linksByIndexIn(indexes: number[], per: number): Link[] {
    const out: Link[] = []
    const mask = attrU32(C.IFLA_EXT_MASK, C.RTEXT_FILTER_SKIP_STATS)
    for (let start = 0; start < indexes.length; start += per) {
      const pending = new Set<number>()
      const msgs = indexes.slice(start, start + per).map((index) => {
        const seq = this.nextSeq()
        pending.add(seq)
        return encodeMessage(C.RTM_GETLINK, C.NLM_F_REQUEST, seq, Buffer.concat([encodeIfinfomsg(index), mask]))
      })
      sendBuffer(this.fd, Buffer.concat(msgs), 'RTM_GETLINK')
      while (pending.size > 0) {
        for (const msg of this.receive('RTM_GETLINK')) {
          if (!pending.has(msg.seq)) continue
          if (msg.type === C.RTM_NEWLINK) {
            pending.delete(msg.seq)
            out.push(decodeLink(msg.payload))
          } else if (msg.type === C.NLMSG_ERROR) {
            pending.delete(msg.seq)
            const {errno, detail} = decodeStatus(msg)
            if (errno !== 0 && errno !== 19 /* ENODEV: gone */) throw new KernelError('RTM_GETLINK', errno, undefined, detail)
          }
        }
      }
    }
    return out
  }

  /** Throw away whatever is queued on the socket (answers to requests given up on). */
  private discard(): void {
    for (;;) {
      try {
        recvBuffer(this.fd, this.rx, 'recv', C.MSG_DONTWAIT | C.MSG_TRUNC)
      } catch (err) {
        if (err instanceof KernelError && err.code === 'ENOBUFS') continue
        if (err instanceof KernelError && err.code === 'EAGAIN') return
        throw err
      }
    }
  }

  /** One link by name, or undefined when there is none. */
  link(name: string): Link | undefined {
    try {
      // An ifinfomsg of zeros, then the name.
      const nameAttr = attrString(C.IFLA_IFNAME, name)
      const payload = Buffer.alloc(C.IFINFOMSG_LEN + nameAttr.length)
      payload.set(nameAttr, C.IFINFOMSG_LEN)
      const msgs = this.request(C.RTM_GETLINK, 0, payload, name)
      return msgs.filter((m) => m.type === C.RTM_NEWLINK).map((m) => decodeLink(m.payload))[0]
    } catch (err) {
      if (err instanceof KernelError && err.code === 'ENODEV') return undefined
      throw err
    }
  }

  /** One link by ifindex, or undefined when there is none. */
  linkAt(index: number): Link | undefined {
    try {
      const msgs = this.request(C.RTM_GETLINK, 0, encodeIfinfomsg(index), `ifindex ${index}`)
      return msgs.filter((m) => m.type === C.RTM_NEWLINK).map((m) => decodeLink(m.payload))[0]
    } catch (err) {
      if (err instanceof KernelError && err.code === 'ENODEV') return undefined
      throw err
    }
  }

  deleteLink(index: number, name: string): void {
    this.request(C.RTM_DELLINK, C.NLM_F_ACK, encodeIfinfomsg(index), name)
  }

  /** Delete every device in link group `group` with one request (as ip link del group N). */
  deleteGroup(group: number, label: string): void {
    this.request(C.RTM_DELLINK, C.NLM_F_ACK, Buffer.concat([encodeIfinfomsg(), attrU32(C.IFLA_GROUP, group)]), label)
  }

  setAlias(index: number, name: string, alias: string): void {
    this.send(setLinkRequest(index, name, {alias}))
  }

  /** IFLA_CARRIER through RTM_SETLINK: tun accepts "on" only while a queue is attached. */
  setCarrier(index: number, name: string, on: boolean): void {
    this.send(setLinkRequest(index, name, {carrier: on}))
  }

  addresses(): Address[] {
    let out: Address[] = []
    this.eachAt(C.RTM_GETADDR, C.NLM_F_DUMP, Buffer.alloc(C.IFADDRMSG_LEN), (type, buf, start, end) => {
      if (type === C.RTM_NEWADDR) out.push(decodeAddressAt(buf, start, end))
    }, undefined, () => { out = [] })
    return out
  }

  addAddress(index: number, name: string, local: Prefix, peer?: Prefix): void {
    this.send(addressRequest(true, index, name, local, peer))
  }

  deleteAddress(index: number, name: string, local: Prefix, peer?: Prefix): void {
    this.send(addressRequest(false, index, name, local, peer))
  }

  /** One request on its own, its error thrown. */
  send(r: NlRequest): void {
    this.request(r.type, r.flags | C.NLM_F_ACK, r.payload, r.target)
  }

  routes(family: 4 | 6 | 0 = 0): Route[] {
    return this.routeDump(family, () => true)
  }

  /**
   * The unicast routes of the main table, the only ones tunadm manages: the others (the local table's
   * route per address, multicast, broadcast: most of a dump) are skipped by their header, undecoded.
   */
  mainUnicastRoutes(): Route[] {
    return this.routeDump(0, (p) => p[4] === C.RT_TABLE_MAIN && p[7] === C.RTN_UNICAST)
  }

  private routeDump(family: 4 | 6 | 0, wanted: (payload: Buffer) => boolean): Route[] {
    const req = Buffer.alloc(C.RTMSG_LEN)
    req[0] = family === 4 ? C.AF_INET : family === 6 ? C.AF_INET6 : C.AF_UNSPEC
    let out: Route[] = []
    this.each(C.RTM_GETROUTE, C.NLM_F_DUMP, req, (m) => {
      // A message too short for its header is decoded, so that it fails as malformed rather than being skipped.
      if (m.type === C.RTM_NEWROUTE && (m.payload.length < C.RTMSG_LEN || wanted(m.payload))) out.push(decodeRoute(m.payload))
    }, undefined, () => { out = [] })
    return out
  }

  addRoute(index: number, name: string, dst: Prefix, gateway?: Prefix, metric?: number): void {
    this.send(routeRequest(true, index, name, dst, gateway, metric))
  }

  deleteRoute(index: number, name: string, dst: Prefix, gateway?: Prefix, metric?: number): void {
    this.send(routeRequest(false, index, name, dst, gateway, metric))
  }
}

/** RTM_SETLINK of the given attributes (MTU, txqueuelen, alias, link group, carrier, master: an ifindex, 0 for none). */
export function setLinkRequest(index: number, name: string, a: {mtu?: number; txqlen?: number; alias?: string; group?: number; carrier?: boolean; master?: number}): NlRequest {
  const attrs: Buffer[] = []
  if (a.mtu !== undefined) attrs.push(attrU32(C.IFLA_MTU, a.mtu))
  if (a.txqlen !== undefined) attrs.push(attrU32(C.IFLA_TXQLEN, a.txqlen))
  // Without the NUL, as ip sends it: the kernel's policy counts a NUL against the 255 bytes an alias may have.
  if (a.alias !== undefined) attrs.push(attr(C.IFLA_IFALIAS, Buffer.from(a.alias, 'utf8')))
  if (a.group !== undefined) attrs.push(attrU32(C.IFLA_GROUP, a.group))
  if (a.carrier !== undefined) attrs.push(attr(C.IFLA_CARRIER, Buffer.from([a.carrier ? 1 : 0])))
  if (a.master !== undefined) attrs.push(attrU32(C.IFLA_MASTER, a.master))
  return {type: C.RTM_SETLINK, flags: 0, payload: Buffer.concat([encodeIfinfomsg(index), ...attrs]), target: name}
}

/** RTM_SETLINK of the link group alone, written in one buffer (down moves 1000 devices with it). */
export function setGroupRequest(index: number, name: string, group: number): NlRequest {
  // Written byte by byte: Buffer's write methods check their arguments at every call, a thousand devices.
  const payload = Buffer.allocUnsafe(C.IFINFOMSG_LEN + 8)
  putLE32(payload, 0, 0) // family, pad, type
  putLE32(payload, 4, index)
  putLE32(payload, 8, 0) // flags
  putLE32(payload, 12, 0) // change
  putLE32(payload, C.IFINFOMSG_LEN, 8 | (C.IFLA_GROUP << 16)) // the attribute's length and type
  putLE32(payload, C.IFINFOMSG_LEN + 4, group)
  return {type: C.RTM_SETLINK, flags: 0, payload, target: name}
}

/** A 32-bit value (signed or not: its low 32 bits) at `o`, little-endian. */
function putLE32(b: Buffer, o: number, v: number): void {
  b[o] = v & 0xff
  b[o + 1] = (v >>> 8) & 0xff
  b[o + 2] = (v >>> 16) & 0xff
  b[o + 3] = (v >>> 24) & 0xff
}

export function deleteLinkRequest(index: number, name: string): NlRequest {
  return {type: C.RTM_DELLINK, flags: 0, payload: encodeIfinfomsg(index), target: name}
}

/** RTM_NEWADDR (exclusive) or RTM_DELADDR; `peer` is IFA_ADDRESS of a point-to-point address. */
export function addressRequest(add: boolean, index: number, name: string, local: Prefix, peer?: Prefix): NlRequest {
  const attrs = [attr(C.IFA_LOCAL, local.bytes), attr(C.IFA_ADDRESS, (peer ?? local).bytes)]
  if (add && local.family === 4 && !peer && local.prefixLen < 31) {
    const bcast = Buffer.from(local.bytes)
    for (let bit = local.prefixLen; bit < 32; bit++) bcast[bit >> 3] |= 0x80 >> (bit & 7)
    attrs.push(attr(C.IFA_BROADCAST, bcast))
  }
  return {
    type: add ? C.RTM_NEWADDR : C.RTM_DELADDR,
    flags: add ? C.NLM_F_CREATE | C.NLM_F_EXCL : 0,
    payload: Buffer.concat([encodeIfaddrmsg(local.family, local.prefixLen, index), ...attrs]),
    target: name,
  }
}

/** RTM_NEWROUTE (exclusive, main table) or RTM_DELROUTE of one route through device `index`. */
export function routeRequest(add: boolean, index: number, name: string, dst: Prefix, gateway?: Prefix, metric?: number): NlRequest {
  // For deletion, scope NOWHERE (255), protocol 0 and type 0 are the kernel's wildcards, as ip route del sends.
  const msg = encodeRtmsg({
    family: dst.family,
    dstLen: dst.prefixLen,
    scope: add ? (gateway ? C.RT_SCOPE_UNIVERSE : C.RT_SCOPE_LINK) : 255,
    protocol: add ? C.RTPROT_BOOT : 0,
    type: add ? C.RTN_UNICAST : 0,
  })
  const attrs = [attr(C.RTA_DST, dst.bytes), attrU32(C.RTA_OIF, index), attrU32(C.RTA_TABLE, C.RT_TABLE_MAIN)]
  if (gateway) attrs.push(attr(C.RTA_GATEWAY, gateway.bytes))
  if (metric !== undefined) attrs.push(attrU32(C.RTA_PRIORITY, metric))
  return {type: add ? C.RTM_NEWROUTE : C.RTM_DELROUTE, flags: add ? C.NLM_F_CREATE | C.NLM_F_EXCL : 0, payload: Buffer.concat([msg, ...attrs]), target: name}
}

/**
 * The kernel's announcements of links that are new or changed (RTNLGRP_LINK), from the moment this is
 * made, read without waiting: what a dump cannot show, because a dump is read in parts while the links
 * keep changing. RTM_NEWLINK (a link added or changed) is kept, and RTM_DELLINK when asked for.
 */
export class LinkWatch {
  private fd: number
  private rx = Buffer.alloc(RECV_SIZE)
  /** A socket filter is attached (ignore()). */
  private filtered = false
  /** A filter for an earlier set could not be taken off. */
  private blind = false

  constructor() {
    this.fd = openSocket(C.AF_NETLINK, C.SOCK_RAW | C.SOCK_CLOEXEC, C.NETLINK_ROUTE, 'socket(AF_NETLINK)')
    const sa = Buffer.alloc(12)
    sa.writeUInt16LE(C.AF_NETLINK, 0)
    sa.writeUInt32LE(C.RTMGRP_LINK, 8)
    try {
      bindSocket(this.fd, sa, 'bind(AF_NETLINK, RTMGRP_LINK)')
      try {
        // Room for a burst of announcements (as root the kernel's limit does not apply); without it, an
        // overflow is reported by drain() and nothing is assumed.
        setSocketInt(this.fd, C.SOL_SOCKET, C.SO_RCVBUFFORCE, 8 << 20, 'setsockopt(SO_RCVBUFFORCE)')
      } catch {
        // not root: the default size
      }
    } catch (err) {
      closeFd(this.fd)
      throw err
    }
  }

  /**
   * From now on the kernel drops the announcements of these links (by ifindex) before they reach the
   * socket (a socket filter, kernel/netlink-filter.ts), in place of any earlier such set: what drain()
   * would pass over unread when given them as `skip`. Only a saving: drain() still passes over what its
   * `skip` names, and when the filter cannot be attached (or holds only part of the set), what the
   * kernel keeps is read and passed over as before. Returns whether a filter was attached.
   */
  ignore(indexes: ReadonlySet<number>): boolean {
    // The kernel charges a filter to the socket's option memory (net.core.optmem_max, 20 KB on kernels
    // before 6.9): a program that does not fit is tried again with fewer ranges, the largest.
    for (const ranges of [FILTER_MAX_RANGES, 200, 50, 10, 1]) {
      const program = ignoreLinksProgram(indexes, ranges)
      if (!program) break
      try {
        attachSocketFilter(this.fd, program, 'setsockopt(SO_ATTACH_FILTER)')
        this.filtered = true
        return true
      } catch {
        // a smaller one
      }
    }
    // No filter for this set: an earlier one must not go on dropping what is not in it.
    if (this.filtered) {
      try {
        setSocketInt(this.fd, C.SOL_SOCKET, C.SO_DETACH_FILTER, 0, 'setsockopt(SO_DETACH_FILTER)')
        this.filtered = false
      } catch {
        this.blind = true // what it drops is unknown from here on: every drain() says announcements were lost
      }
    }
    return false
  }

  /**
   * The links announced since the last call; undefined when the kernel dropped announcements (ENOBUFS).
   * Links in `skip` (by ifindex) are not decoded: 1000 of one's own devices moved cost ~10 ms to decode.
   * With `deleted`, the links announced as deleted (RTM_DELLINK, sent whether a link was up or not, with
   * its last state) are put there.
   */
  drain(skip?: ReadonlySet<number>, deleted?: Link[]): Link[] | undefined {
    const out: Link[] = []
    let lost = this.blind
    for (;;) {
      let n: number
      try {
        n = recvBuffer(this.fd, this.rx, 'recv(RTMGRP_LINK)', C.MSG_DONTWAIT)
      } catch (err) {
        if (err instanceof KernelError && err.code === 'ENOBUFS') {
          lost = true
          continue
        }
        if (err instanceof KernelError && err.code === 'EAGAIN') break
        throw err
      }
      // The kernel sends each announcement on its own: one of the config's own devices, or of a kind not
      // asked for, is passed over by its header alone (a down of 1000 reads ~3000 of them).
      // The header read by hand (Buffer's read methods check their arguments at each of thousands of calls).
      const rx = this.rx
      if (n >= C.NLMSG_HDRLEN + 8 && ((((rx[0] | (rx[1] << 8) | (rx[2] << 16)) + rx[3] * 0x1000000) + 3) & ~3) >= n) {
        const type = rx[4] | (rx[5] << 8)
        const at = C.NLMSG_HDRLEN + 4
        if ((type !== C.RTM_NEWLINK && (type !== C.RTM_DELLINK || !deleted)) || skip?.has(rx[at] | (rx[at + 1] << 8) | (rx[at + 2] << 16) | (rx[at + 3] << 24))) continue
      }
      for (const m of decodeMessages(this.rx, n)) {
        // ifinfomsg: family, pad, type (u16), then the ifindex (s32) at offset 4.
        if (m.type !== C.RTM_NEWLINK && (m.type !== C.RTM_DELLINK || !deleted)) continue
        if (skip?.has(m.payload.readInt32LE(4))) continue
        if (m.type === C.RTM_NEWLINK) out.push(decodeLink(m.payload))
        else deleted!.push(decodeLink(m.payload))
      }
    }
    return lost ? undefined : out
  }

  close(): void {
    if (this.fd >= 0) closeFd(this.fd)
    this.fd = -1
  }
}

/** Run `fn` with a netlink socket that is closed afterwards, whatever happens. */
export function withNetlink<T>(fn: (nl: Netlink) => T): T {
  const nl = new Netlink()
  try {
    return fn(nl)
  } finally {
    nl.close()
  }
}
