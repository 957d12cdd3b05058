/** A small synchronous rtnetlink client: one request at a time, on this thread's network namespace. */
import * as C from './constants'
import {KernelError} from './errno'
import {bindSocket, closeFd, openSocket, recvBuffer, sendBuffer} from './libc'
import {
  Address, Link, NlMessage, Route, attr, attrNested, attrString, attrU32, decodeAddress, decodeError, decodeLink,
  decodeMessages, decodeRoute, encodeIfaddrmsg, encodeIfinfomsg, encodeMessage, encodeRtmsg,
} from './netlink-codec'
import {Prefix} from '../model/ip'

const RECV_SIZE = 64 * 1024

const opNames: Record<number, string> = {
  [C.RTM_GETLINK]: 'RTM_GETLINK', [C.RTM_DELLINK]: 'RTM_DELLINK', [C.RTM_SETLINK]: 'RTM_SETLINK',
  [C.RTM_NEWLINK]: 'RTM_NEWLINK', [C.RTM_NEWADDR]: 'RTM_NEWADDR', [C.RTM_DELADDR]: 'RTM_DELADDR',
  [C.RTM_GETADDR]: 'RTM_GETADDR', [C.RTM_NEWROUTE]: 'RTM_NEWROUTE', [C.RTM_DELROUTE]: 'RTM_DELROUTE',
  [C.RTM_GETROUTE]: 'RTM_GETROUTE',
}

export class Netlink {
  private fd: number
  private seq = Math.floor(Date.now() / 1000) & 0xffff
  private readonly rx = Buffer.alloc(RECV_SIZE)

  constructor() {
    this.fd = openSocket(C.AF_NETLINK, C.SOCK_RAW | C.SOCK_CLOEXEC, C.NETLINK_ROUTE, 'socket(AF_NETLINK)')
    const sa = Buffer.alloc(12)
    sa.writeUInt16LE(C.AF_NETLINK, 0)
    try {
      bindSocket(this.fd, sa, 'bind(AF_NETLINK)')
    } catch (err) {
      closeFd(this.fd)
      throw err
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
    this.each(type, flags, payload, (m) => out.push({...m, payload: Buffer.from(m.payload)}), target)
    return out
  }

  /**
   * Like request(), but hands each reply message to `visit` while its bytes are still in the receive
   * buffer (they are overwritten by the next recv): decode there, keep nothing that points into it.
   */
  each(type: number, flags: number, payload: Buffer, visit: (m: NlMessage) => void, target?: string): void {
    const seq = ++this.seq
    const op = opNames[type] ?? `netlink type ${type}`
    sendBuffer(this.fd, encodeMessage(type, flags | C.NLM_F_REQUEST, seq, payload), op)
    const dump = (flags & C.NLM_F_DUMP) === C.NLM_F_DUMP
    for (;;) {
      const n = recvBuffer(this.fd, this.rx, op)
      for (const msg of decodeMessages(this.rx, n)) {
        if (msg.seq !== seq) continue
        if (msg.type === C.NLMSG_DONE) return
        if (msg.type === C.NLMSG_ERROR) {
          const errno = decodeError(msg.payload)
          if (errno !== 0) throw new KernelError(op, errno, target)
          return
        }
        visit(msg)
        if (!dump && (msg.flags & C.NLM_F_MULTI) === 0 && (flags & C.NLM_F_ACK) === 0) return
      }
    }
  }

  /** Every link, or with `kind` only those of that kind (the kernel filters, as ip link show type KIND). */
  links(kind?: string): Link[] {
    const filter = kind ? attrNested(C.IFLA_LINKINFO, [attrString(C.IFLA_INFO_KIND, kind)]) : Buffer.alloc(0)
    const out: Link[] = []
    this.each(C.RTM_GETLINK, C.NLM_F_DUMP, Buffer.concat([encodeIfinfomsg(), filter]), (m) => {
      if (m.type === C.RTM_NEWLINK) out.push(decodeLink(m.payload))
    })
    return out
  }

  /** One link by name, or undefined when there is none. */
  link(name: string): Link | undefined {
    try {
      const msgs = this.request(C.RTM_GETLINK, 0, Buffer.concat([encodeIfinfomsg(), attrString(C.IFLA_IFNAME, name)]), name)
      return msgs.filter((m) => m.type === C.RTM_NEWLINK).map((m) => decodeLink(m.payload))[0]
    } catch (err) {
      if (err instanceof KernelError && err.code === 'ENODEV') return undefined
      throw err
    }
  }

  deleteLink(index: number, name: string): void {
    this.request(C.RTM_DELLINK, C.NLM_F_ACK, encodeIfinfomsg(index), name)
  }

  setAlias(index: number, name: string, alias: string): void {
    this.request(C.RTM_SETLINK, C.NLM_F_ACK, Buffer.concat([encodeIfinfomsg(index), attrString(C.IFLA_IFALIAS, alias)]), name)
  }

  /** IFLA_CARRIER through RTM_SETLINK: tun accepts "on" only while a queue is attached. */
  setCarrier(index: number, name: string, on: boolean): void {
    this.request(C.RTM_SETLINK, C.NLM_F_ACK, Buffer.concat([encodeIfinfomsg(index), attr(C.IFLA_CARRIER, Buffer.from([on ? 1 : 0]))]), name)
  }

  addresses(): Address[] {
    const out: Address[] = []
    this.each(C.RTM_GETADDR, C.NLM_F_DUMP, Buffer.alloc(C.IFADDRMSG_LEN), (m) => {
      if (m.type === C.RTM_NEWADDR) out.push(decodeAddress(m.payload))
    })
    return out
  }

  addAddress(index: number, name: string, local: Prefix, peer?: Prefix): void {
    this.changeAddress(C.RTM_NEWADDR, C.NLM_F_ACK | C.NLM_F_CREATE | C.NLM_F_EXCL, index, name, local, peer)
  }

  deleteAddress(index: number, name: string, local: Prefix, peer?: Prefix): void {
    this.changeAddress(C.RTM_DELADDR, C.NLM_F_ACK, index, name, local, peer)
  }

  private changeAddress(type: number, flags: number, index: number, name: string, local: Prefix, peer?: Prefix): void {
    const attrs = [attr(C.IFA_LOCAL, local.bytes), attr(C.IFA_ADDRESS, (peer ?? local).bytes)]
    if (local.family === 4 && !peer && local.prefixLen < 31) {
      const bcast = Buffer.from(local.bytes)
      for (let bit = local.prefixLen; bit < 32; bit++) bcast[bit >> 3] |= 0x80 >> (bit & 7)
      attrs.push(attr(C.IFA_BROADCAST, bcast))
    }
    this.request(type, flags, Buffer.concat([encodeIfaddrmsg(local.family, local.prefixLen, index), ...attrs]), name)
  }

  routes(family: 4 | 6 | 0 = 0): Route[] {
    const req = Buffer.alloc(C.RTMSG_LEN)
    req.writeUInt8(family === 4 ? C.AF_INET : family === 6 ? C.AF_INET6 : C.AF_UNSPEC, 0)
    const out: Route[] = []
    this.each(C.RTM_GETROUTE, C.NLM_F_DUMP, req, (m) => {
      if (m.type === C.RTM_NEWROUTE) out.push(decodeRoute(m.payload))
    })
    return out
  }

  addRoute(index: number, name: string, dst: Prefix, gateway?: Prefix, metric?: number): void {
    this.changeRoute(C.RTM_NEWROUTE, C.NLM_F_ACK | C.NLM_F_CREATE | C.NLM_F_EXCL, index, name, dst, gateway, metric)
  }

  deleteRoute(index: number, name: string, dst: Prefix, gateway?: Prefix, metric?: number): void {
    this.changeRoute(C.RTM_DELROUTE, C.NLM_F_ACK, index, name, dst, gateway, metric)
  }

  private changeRoute(type: number, flags: number, index: number, name: string, dst: Prefix, gateway?: Prefix, metric?: number): void {
    // For deletion, scope NOWHERE (255), protocol 0 and type 0 are the kernel's wildcards, as ip route del sends.
    const del = type === C.RTM_DELROUTE
    const msg = encodeRtmsg({
      family: dst.family,
      dstLen: dst.prefixLen,
      scope: del ? 255 : gateway ? C.RT_SCOPE_UNIVERSE : C.RT_SCOPE_LINK,
      protocol: del ? 0 : C.RTPROT_BOOT,
      type: del ? 0 : C.RTN_UNICAST,
    })
    const attrs = [attr(C.RTA_DST, dst.bytes), attrU32(C.RTA_OIF, index), attrU32(C.RTA_TABLE, C.RT_TABLE_MAIN)]
    if (gateway) attrs.push(attr(C.RTA_GATEWAY, gateway.bytes))
    if (metric !== undefined) attrs.push(attrU32(C.RTA_PRIORITY, metric))
    this.request(type, flags, Buffer.concat([msg, ...attrs]), name)
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
