import * as C from '../../src/kernel/constants'
import {
  NetlinkParseError, attr, attrNested, attrString, attrU32, decodeAddress, decodeAttrs, decodeLink, decodeMessages,
  decodeRoute, encodeIfaddrmsg, encodeIfinfomsg, encodeMessage, encodeMessages, encodeRtmsg, decodeError, decodeStatus,
} from '../../src/kernel/netlink-codec'
import {ifreq, ifreqName, ifreqWithShort, ifreqShort, ifreqWithHwaddr, ifreqHwaddr, ifreqWithInt, ifreqInt, ifreqWithNewName} from '../../src/kernel/ifreq'
import {bytesToIp, ipToBytes, parsePrefix, networkOf, prefixesOverlap} from '../../src/model/ip'
import {setGroupRequest, setLinkRequest} from '../../src/kernel/netlink'

describe('struct ifreq', () => {
  test('is 40 bytes with the name NUL-terminated and the union at 16', () => {
    const b = ifreqWithShort('tun77', C.IFF_TUN | C.IFF_NO_PI)
    expect(b.length).toBe(40)
    expect(b.subarray(0, 6).toString('latin1')).toBe('tun77\0')
    expect(b.readUInt16LE(16)).toBe(0x1001)
    expect(ifreqName(b)).toBe('tun77')
    expect(ifreqShort(b)).toBe(0x1001)
  })
  test('round-trips ints, MACs and new names', () => {
    expect(ifreqInt(ifreqWithInt('tap0', 9000))).toBe(9000)
    const h = ifreqHwaddr(ifreqWithHwaddr('tap0', C.ARPHRD_ETHER, Buffer.from([2, 0, 0, 0, 0, 1])))
    expect(h).toEqual({family: 1, mac: Buffer.from([2, 0, 0, 0, 0, 1])})
    expect(ifreqWithNewName('a', 'b').toString('latin1', 16, 18)).toBe('b\0')
  })
  test('refuses to truncate a 16-byte name', () => {
    expect(() => ifreq('x'.repeat(16))).toThrow(RangeError)
    expect(ifreq('x'.repeat(15)).readUInt8(15)).toBe(0)
  })
  test('a full 16-byte name field without NUL decodes to 16 bytes', () => {
    const b = Buffer.alloc(40, 0x61)
    expect(ifreqName(b)).toBe('a'.repeat(16))
  })
})

function tunLinkPayload(opts: {owner?: number; group?: number; type?: number; port?: Buffer[]; master?: number} = {}): Buffer {
  const data = [attr(C.IFLA_TUN_TYPE, Buffer.from([opts.type ?? C.IFF_TAP])), attr(C.IFLA_TUN_PI, Buffer.from([0])),
    attr(C.IFLA_TUN_VNET_HDR, Buffer.from([1])), attr(C.IFLA_TUN_PERSIST, Buffer.from([1])), attr(C.IFLA_TUN_MULTI_QUEUE, Buffer.from([0])),
    attrU32(C.IFLA_TUN_NUM_QUEUES, 0)]
  if (opts.owner !== undefined) data.push(attrU32(C.IFLA_TUN_OWNER, opts.owner))
  if (opts.group !== undefined) data.push(attrU32(C.IFLA_TUN_GROUP, opts.group))
  return Buffer.concat([
    encodeIfinfomsg(7, C.AF_UNSPEC, C.IFF_UP | C.IFF_BROADCAST, 0),
    attrString(C.IFLA_IFNAME, 'tap0'), attrU32(C.IFLA_MTU, 1500), attr(C.IFLA_ADDRESS, Buffer.from([2, 0xab, 0, 0, 0, 1])),
    attr(C.IFLA_OPERSTATE, Buffer.from([2])), attr(C.IFLA_CARRIER, Buffer.from([0])),
    ...(opts.master !== undefined ? [attrU32(C.IFLA_MASTER, opts.master)] : []),
    attrNested(C.IFLA_LINKINFO, [attrString(C.IFLA_INFO_KIND, 'tun'), attrNested(C.IFLA_INFO_DATA, data), ...(opts.port ?? [])]),
  ])
}

describe('netlink messages', () => {
  test('encode/decode round trip, several messages in one datagram', () => {
    const a = encodeMessage(C.RTM_NEWLINK, C.NLM_F_MULTI, 5, tunLinkPayload())
    const b = encodeMessage(C.NLMSG_DONE, C.NLM_F_MULTI, 5, Buffer.alloc(4))
    const msgs = decodeMessages(Buffer.concat([a, b]))
    expect(msgs.map((m) => [m.type, m.seq])).toEqual([[C.RTM_NEWLINK, 5], [C.NLMSG_DONE, 5]])
  })
  test('a batch is written as one buffer, byte for byte the messages one by one, each padded to 4 bytes', () => {
    const requests = [
      {type: C.RTM_SETLINK, flags: 0, payload: Buffer.concat([encodeIfinfomsg(7), attr(C.IFLA_IFALIAS, Buffer.from('tunadm:x'))])},
      {type: C.RTM_NEWADDR, flags: C.NLM_F_CREATE | C.NLM_F_EXCL, payload: Buffer.from([1, 2, 3, 4, 5])},
      {type: C.RTM_DELLINK, flags: 0, payload: Buffer.alloc(0)},
    ]
    const flags = C.NLM_F_REQUEST | C.NLM_F_ACK
    expect(encodeMessages(requests, [9, 10, 0xfffffffe], flags)).toEqual(Buffer.concat(requests.map((r, i) => encodeMessage(r.type, r.flags | flags, [9, 10, 0xfffffffe][i], r.payload))))
    expect(attrU32(C.IFLA_GROUP, 0xfffffffe)).toEqual(attr(C.IFLA_GROUP, Buffer.from([0xfe, 0xff, 0xff, 0xff])))
    expect(() => attr(1, Buffer.alloc(0x10000))).toThrow(/out of range/)
  })
  test('a tun link decodes with its IFLA_TUN_* attributes; -1 owner means unset', () => {
    const link = decodeLink(tunLinkPayload({owner: 1000, group: 0xffffffff}))
    expect(link).toMatchObject({index: 7, name: 'tap0', mtu: 1500, mac: '02:ab:00:00:00:01', operstate: 'down', carrier: false, kind: 'tun'})
    expect(link.tun).toEqual({type: 'tap', owner: 1000, group: undefined, pi: false, vnetHdr: true, persist: true, multiQueue: false, numQueues: 0, numDisabledQueues: undefined})
    expect(decodeLink(tunLinkPayload({type: C.IFF_TUN})).tun?.type).toBe('tun')
  })
  test('a bridge port: IFLA_MASTER and the STP state from IFLA_INFO_SLAVE_DATA; other masters give only their kind', () => {
    const bridgePort = (state: number) => decodeLink(tunLinkPayload({master: 3, port: [attrString(C.IFLA_INFO_SLAVE_KIND, 'bridge'),
      attrNested(C.IFLA_INFO_SLAVE_DATA, [attr(C.IFLA_BRPORT_STATE, Buffer.from([state])), attrU32(2 /* IFLA_BRPORT_PRIORITY */, 32)])]}))
    expect(bridgePort(3)).toMatchObject({master: 3, port: {kind: 'bridge', state: 'forwarding'}})
    expect(['disabled', 'listening', 'learning', 'forwarding', 'blocking', '9'].map((_, i) => bridgePort(i === 5 ? 9 : i).port?.state))
      .toEqual(['disabled', 'listening', 'learning', 'forwarding', 'blocking', '9'])
    expect(decodeLink(tunLinkPayload({master: 4, port: [attrString(C.IFLA_INFO_SLAVE_KIND, 'bond')]})).port).toEqual({kind: 'bond'})
    const alone = decodeLink(tunLinkPayload())
    expect(alone.master).toBeUndefined()
    expect(alone.port).toBeUndefined()
  })
  test('malformed messages are rejected, not misread', () => {
    const good = encodeMessage(C.RTM_NEWLINK, 0, 1, tunLinkPayload())
    const short = Buffer.from(good)
    short.writeUInt32LE(8, 0)
    expect(() => decodeMessages(short)).toThrow(NetlinkParseError)
    const long = Buffer.from(good)
    long.writeUInt32LE(good.length + 100, 0)
    expect(() => decodeMessages(long)).toThrow('runs past')
    const badAttr = Buffer.concat([encodeIfinfomsg(), Buffer.from([2, 0, 3, 0])])
    expect(() => decodeLink(badAttr)).toThrow('has length 2')
    const overAttr = Buffer.concat([encodeIfinfomsg(), Buffer.from([40, 0, 3, 0, 0x61, 0, 0, 0])])
    expect(() => decodeLink(overAttr)).toThrow('runs past')
    expect(() => decodeLink(Buffer.alloc(8))).toThrow('ifinfomsg of 8 bytes')
    expect(() => decodeError(Buffer.alloc(2))).toThrow(NetlinkParseError)
  })
  test('NLMSG_ERROR carries a negative errno', () => {
    const p = Buffer.alloc(20)
    p.writeInt32LE(-16, 0)
    expect(decodeError(p)).toBe(16)
  })
  test('attributes are 4-byte aligned', () => {
    expect(attrString(1, 'ab').length).toBe(8)
    expect(decodeAttrs(Buffer.concat([attrString(1, 'abcde'), attrU32(2, 7)])).get(2)?.readUInt32LE(0)).toBe(7)
  })
  test('addresses with a peer and routes with linkdown decode', () => {
    const local = ipToBytes('10.0.0.1')
    const peer = ipToBytes('10.0.0.2')
    const a = decodeAddress(Buffer.concat([encodeIfaddrmsg(4, 32, 9), attr(C.IFA_LOCAL, local), attr(C.IFA_ADDRESS, peer)]))
    expect(a).toMatchObject({family: 4, index: 9, prefixLen: 32, address: '10.0.0.1', peer: '10.0.0.2'})
    const rt = Buffer.concat([encodeRtmsg({family: 6, dstLen: 64}), attr(C.RTA_DST, ipToBytes('fd00::')), attrU32(C.RTA_OIF, 9)])
    rt.writeUInt32LE(C.RTNH_F_LINKDOWN, 8)
    expect(decodeRoute(rt)).toMatchObject({family: 6, dst: 'fd00::', dstLen: 64, oif: 9, flags: C.RTNH_F_LINKDOWN, table: C.RT_TABLE_MAIN})
  })
})

describe('IP text and bytes', () => {
  test.each(['::', '::1', 'fd00::1', '2001:db8::8:800:200c:417a', '1:0:0:1::1', 'fe80::1:0:0:0'])('IPv6 %s round-trips', (t) => {
    expect(bytesToIp(ipToBytes(t))).toBe(t)
  })
  test('IPv4-mapped and full forms', () => {
    expect(bytesToIp(ipToBytes('::ffff:192.0.2.1'))).toBe('::ffff:c000:201')
    expect(bytesToIp(ipToBytes('2001:0db8:0000:0000:0000:0000:0000:0001'))).toBe('2001:db8::1')
  })
  test('prefixes', () => {
    expect(parsePrefix('192.168.0.1/24', '--address')).toMatchObject({family: 4, prefixLen: 24})
    expect(networkOf(parsePrefix('192.168.0.77/24', 'x')).address).toBe('192.168.0.0')
    expect(() => parsePrefix('192.168.0.1/33', '--address')).toThrow('allows 0 to 32')
    expect(() => parsePrefix('192.168.0.1', '--address')).toThrow('has no prefix length')
    expect(parsePrefix('10.0.0.2', '--peer', true).prefixLen).toBe(32)
    expect(() => parsePrefix('300.1.1.1/8', '--address')).toThrow('is not an address')
    expect(prefixesOverlap(parsePrefix('10.0.0.0/8', 'a'), parsePrefix('10.1.0.0/16', 'b'))).toBe(true)
    expect(prefixesOverlap(parsePrefix('10.0.0.0/16', 'a'), parsePrefix('10.1.0.0/16', 'b'))).toBe(false)
  })
})

describe('netlink errors with the kernel\'s extended ACK', () => {
  const msgAttr = (text: string) => attr(C.NLMSGERR_ATTR_MSG, Buffer.concat([Buffer.from(text), Buffer.alloc(1)]))
  const errno = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeInt32LE(-n)
    return b
  }
  const request = encodeMessage(C.RTM_NEWADDR, C.NLM_F_REQUEST | C.NLM_F_ACK, 9, Buffer.alloc(24))

  test('a capped NLMSG_ERROR: errno, the echoed header, then the message', () => {
    const payload = Buffer.concat([errno(22), request.subarray(0, C.NLMSG_HDRLEN), msgAttr('Invalid prefix length')])
    expect(decodeStatus({type: C.NLMSG_ERROR, flags: C.NLM_F_CAPPED | C.NLM_F_ACK_TLVS, payload})).toEqual({errno: 22, detail: 'Invalid prefix length'})
  })

  test('an uncapped NLMSG_ERROR: the whole request is echoed before the attributes', () => {
    const payload = Buffer.concat([errno(17), request, msgAttr('exists')])
    expect(decodeStatus({type: C.NLMSG_ERROR, flags: C.NLM_F_ACK_TLVS, payload})).toEqual({errno: 17, detail: 'exists'})
  })

  test('NLMSG_DONE of a dump can carry an errno and a message too', () => {
    expect(decodeStatus({type: C.NLMSG_DONE, flags: C.NLM_F_ACK_TLVS, payload: Buffer.concat([errno(95), msgAttr('dump not supported')])})).toEqual({errno: 95, detail: 'dump not supported'})
    expect(decodeStatus({type: C.NLMSG_DONE, flags: C.NLM_F_MULTI, payload: errno(0)})).toEqual({errno: 0})
  })

  test('without ACK_TLVS, or truncated, only the errno', () => {
    expect(decodeStatus({type: C.NLMSG_ERROR, flags: 0, payload: Buffer.concat([errno(1), request])})).toEqual({errno: 1})
    expect(decodeStatus({type: C.NLMSG_ERROR, flags: C.NLM_F_ACK_TLVS, payload: errno(1)})).toEqual({errno: 1})
    expect(() => decodeStatus({type: C.NLMSG_ERROR, flags: C.NLM_F_ACK_TLVS | C.NLM_F_CAPPED, payload: Buffer.concat([errno(1), request.subarray(0, 16), Buffer.from([50, 0, 1, 0])])})).toThrow(NetlinkParseError)
  })
})

describe('setGroupRequest', () => {
  it('is the RTM_SETLINK of the group alone, byte for byte', () => {
    // Made in memory that held something before (allocUnsafe): every byte must be written, none left over.
    const unsafe = Buffer.allocUnsafe
    const spy = jest.spyOn(Buffer, 'allocUnsafe').mockImplementation((n: number) => unsafe(n).fill(0xff))
    try {
      for (const [index, group] of [[5, 70000], [2147483647, 2147483647], [1, 0], [7, 0xffffffff], [123456, 65536]]) {
        const fast = setGroupRequest(index, 'tap0', group)
        const general = setLinkRequest(index, 'tap0', {group})
        expect(fast).toEqual(general)
        expect(fast.payload.equals(general.payload)).toBe(true)
      }
      expect(spy).toHaveBeenCalled()
    } finally {
      spy.mockRestore()
    }
  })
})
