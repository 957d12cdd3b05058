#!/usr/bin/env python3
"""Copy another process's descriptor (pidfd_getfd, as tunadm's holder scan does) and keep the copy.

Usage: copyfd.py PID FD COMM
Names itself COMM (/proc/self/comm), prints "copied" once it holds the copy, or "error ERRNO_NAME"
and exits 1; then holds the copy until stdin closes. Used by tests to stand still at the moment another
tunadm holds a copy of a holder's descriptor.
"""
import ctypes, errno, os, sys

SYS_PIDFD_GETFD = 438  # the same number on every architecture
pid, fd, comm = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
try:
    pidfd = os.pidfd_open(pid)
except OSError as e:
    print("error", errno.errorcode.get(e.errno, str(e.errno)), flush=True)
    sys.exit(1)
copy = libc.syscall(ctypes.c_long(SYS_PIDFD_GETFD), ctypes.c_long(pidfd), ctypes.c_long(fd), ctypes.c_long(0))
if copy < 0:
    print("error", errno.errorcode.get(ctypes.get_errno(), "?"), flush=True)
    sys.exit(1)
with open("/proc/self/comm", "w") as f:
    f.write(comm)
print("copied", flush=True)
try:
    sys.stdin.read()
except KeyboardInterrupt:
    pass
