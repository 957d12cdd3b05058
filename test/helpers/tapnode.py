#!/usr/bin/env python3
"""A tiny guest on a TAP device, as a VM would be: it attaches (IFF_TAP | IFF_NO_PI), answers ARP
requests and ICMP echo requests for its own address, and with a target pings it (ARP first).

Usage: tapnode.py NAME MAC IP [TARGET_IP]
       tapnode.py --wire NAME1 NAME2
Without a target it prints "attached NAME" and serves until stdin closes. With one it prints
"reply from TARGET_IP" once the echo reply comes back (exit 0), or "timeout" after 10 s (exit 1;
TAPNODE_TIMEOUT=SECONDS sets another limit).
--wire joins two taps as a cable would (a guest bridging its two NICs): every frame read from one is
written to the other, until stdin closes; two ports of one bridge joined so make a loop, which STP blocks.
Used by tests as an independent program on each port of a bridge (not tunadm's own code).
"""
import fcntl, os, select, socket, struct, sys, time

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x2, 0x1000


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def attach(tap):
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", tap.encode(), IFF_TAP | IFF_NO_PI))
        return fd
    except OSError as e:
        print("error", e.strerror, flush=True)
        sys.exit(1)


if sys.argv[1] == "--wire":
    ends = [attach(sys.argv[2]), attach(sys.argv[3])]
    print("attached", sys.argv[2], sys.argv[3], flush=True)
    while True:
        ready, _, _ = select.select(ends + [sys.stdin], [], [])
        if sys.stdin in ready and not sys.stdin.read(1):
            sys.exit(0)
        for i, end in enumerate(ends):
            if end in ready:
                os.write(ends[1 - i], os.read(end, 65536))

name, mac, ip = sys.argv[1], mac_bytes(sys.argv[2]), socket.inet_aton(sys.argv[3])
target = socket.inet_aton(sys.argv[4]) if len(sys.argv) > 4 else None
BROADCAST = b"\xff" * 6

fd = attach(name)


def arp(op, dst_mac, dst_ip):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, mac, ip, dst_mac if op == 2 else b"\0" * 6, dst_ip)
    return (dst_mac if op == 2 else BROADCAST) + mac + b"\x08\x06" + body


def ipv4(dst_mac, dst_ip, payload):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, 1, 0, ip, dst_ip)
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return dst_mac + mac + b"\x08\x00" + hdr + payload


def icmp(kind, ident, seq, data):
    msg = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + data
    return msg[:2] + struct.pack("!H", checksum(msg)) + msg[4:]


def handle(frame):
    """Answer what is asked of us; return (kind, sender ip, sender mac) for replies we wait for."""
    if len(frame) < 14:
        return None
    dst, src, ethertype = frame[:6], frame[6:12], frame[12:14]
    if ethertype == b"\x08\x06" and len(frame) >= 42:
        op, sha, spa, tpa = struct.unpack("!H", frame[20:22])[0], frame[22:28], frame[28:32], frame[38:42]
        if op == 1 and tpa == ip:
            os.write(fd, arp(2, sha, spa))
        if op == 2 and tpa == ip:
            return ("arp", spa, sha)
    if ethertype == b"\x08\x00" and dst == mac and len(frame) >= 42 and frame[23] == 1 and frame[30:34] == ip:
        ihl = (frame[14] & 0xF) * 4
        body = frame[14 + ihl:]
        if body[0] == 8:
            os.write(fd, ipv4(src, frame[26:30], icmp(0, struct.unpack("!H", body[4:6])[0], struct.unpack("!H", body[6:8])[0], body[8:])))
        if body[0] == 0:
            return ("echo", frame[26:30], src)
    return None


if target is None:
    print("attached", name, flush=True)
    while True:
        ready, _, _ = select.select([fd, sys.stdin], [], [])
        if sys.stdin in ready and not sys.stdin.read(1):
            sys.exit(0)
        if fd in ready:
            handle(os.read(fd, 65536))

deadline = time.time() + float(os.environ.get("TAPNODE_TIMEOUT", "10"))
peer_mac = None
next_send = 0.0
while time.time() < deadline:
    now = time.time()
    if now >= next_send:
        # Resend every half second: the port forwards only once the carrier is on and the bridge has seen it.
        os.write(fd, arp(1, BROADCAST, target) if peer_mac is None else ipv4(peer_mac, target, icmp(8, 0x7475, 1, b"tunadm-bridge")))
        next_send = now + 0.5
    ready, _, _ = select.select([fd], [], [], 0.1)
    if not ready:
        continue
    got = handle(os.read(fd, 65536))
    if got and got[1] == target:
        if got[0] == "arp" and peer_mac is None:
            peer_mac = got[2]
            next_send = 0.0
        elif got[0] == "echo":
            print("reply from", socket.inet_ntoa(target), flush=True)
            sys.exit(0)
print("timeout", "(arp answered)" if peer_mac else "(no arp reply)", flush=True)
sys.exit(1)
