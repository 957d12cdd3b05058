#!/usr/bin/env python3
"""Attach to a TUN/TAP device and hold it until stdin closes or a signal arrives.

Usage: hold.py NAME tun|tap [multi_queue] [vnet_hdr] [pi] [queues=N] [fds=N] [detach_all] [carrier_off]
(TUN_NODE=PATH opens another node for /dev/net/tun, as a program in a chroot does.)
queues=N attaches N queues (multi_queue); fds=N keeps N descriptors on the first one (dup);
detach_all disables every queue (TUNSETQUEUE IFF_DETACH_QUEUE); carrier_off turns the carrier off
(TUNSETCARRIER 0), as a client does while its peer is away.
Prints "attached NAME" once attached, or "error ERRNO_NAME" and exits 1. Used by tests as an
independent attaching program (not tunadm's own code).
"""
import errno, fcntl, os, struct, sys

TUNSETIFF = 0x400454CA
TUNSETQUEUE = 0x400454D9
TUNSETCARRIER = 0x400454E2
IFF_DETACH_QUEUE = 0x400
IFF_TUN, IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE, IFF_VNET_HDR = 0x1, 0x2, 0x1000, 0x100, 0x4000

name, mode = sys.argv[1], sys.argv[2]
extra = set(a for a in sys.argv[3:] if "=" not in a)
opts = dict(a.split("=", 1) for a in sys.argv[3:] if "=" in a)
flags = IFF_TAP if mode == "tap" else IFF_TUN
if "pi" not in extra:
    flags |= IFF_NO_PI
if "multi_queue" in extra:
    flags |= IFF_MULTI_QUEUE
if "vnet_hdr" in extra:
    flags |= IFF_VNET_HDR
held = []
try:
    for _ in range(int(opts.get("queues", "1"))):
        fd = os.open(os.environ.get("TUN_NODE", "/dev/net/tun"), os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), flags))
        held.append(fd)
    for _ in range(int(opts.get("fds", "1")) - 1):
        held.append(os.dup(held[0]))
    if "carrier_off" in extra:
        fcntl.ioctl(held[0], TUNSETCARRIER, struct.pack("i", 0))
    if "detach_all" in extra:
        for fd in held[: int(opts.get("queues", "1"))]:
            fcntl.ioctl(fd, TUNSETQUEUE, struct.pack("16sH22x", b"", IFF_DETACH_QUEUE))
except OSError as e:
    print("error", errno.errorcode.get(e.errno, str(e.errno)), flush=True)
    sys.exit(1)
print("attached", name, flush=True)
try:
    sys.stdin.read()
except KeyboardInterrupt:
    pass
