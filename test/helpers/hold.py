#!/usr/bin/env python3
"""Attach to a TUN/TAP device and hold it until stdin closes or a signal arrives.

Usage: hold.py NAME tun|tap [multi_queue] [vnet_hdr] [pi]
(TUN_NODE=PATH opens another node for /dev/net/tun, as a program in a chroot does.)
Prints "attached NAME" once attached, or "error ERRNO_NAME" and exits 1. Used by tests as an
independent attaching program (not tunadm's own code).
"""
import errno, fcntl, os, struct, sys

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE, IFF_VNET_HDR = 0x1, 0x2, 0x1000, 0x100, 0x4000

name, mode = sys.argv[1], sys.argv[2]
extra = set(sys.argv[3:])
flags = IFF_TAP if mode == "tap" else IFF_TUN
if "pi" not in extra:
    flags |= IFF_NO_PI
if "multi_queue" in extra:
    flags |= IFF_MULTI_QUEUE
if "vnet_hdr" in extra:
    flags |= IFF_VNET_HDR
try:
    fd = os.open(os.environ.get("TUN_NODE", "/dev/net/tun"), os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), flags))
except OSError as e:
    print("error", errno.errorcode.get(e.errno, str(e.errno)), flush=True)
    sys.exit(1)
print("attached", name, flush=True)
try:
    sys.stdin.read()
except KeyboardInterrupt:
    pass
