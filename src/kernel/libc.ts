/**
 * The only place that loads libc through koffi. Functions are bound lazily on first use so that
 * commands that never touch the kernel (help, init) do not pay for it.
 *
 * koffi.errno() reads the live errno: every wrapper reads it immediately after the failing call,
 * before any other JavaScript runs, and throws a KernelError naming the operation.
 */
import {KernelError} from './errno'
import {O_CLOEXEC, O_NONBLOCK, O_RDWR, O_RDONLY, CLONE_NEWNET, SOL_SOCKET, SO_ATTACH_FILTER} from './constants'

/* eslint-disable @typescript-eslint/no-explicit-any */
type Fn = (...args: any[]) => any

interface Libc {
  koffi: any
  open: Fn
  close: Fn
  ioctlPtr: Fn
  ioctlInt: Fn
  socket: Fn
  setns: Fn
  send: Fn
  recv: Fn
  bind: Fn
  setsockopt: Fn
  getsockopt: Fn
  setsockoptFilter: Fn
  flock: Fn
  syscall3: Fn
  getpwnam: Fn
  getpwuid: Fn
  getgrnam: Fn
  getgrgid: Fn
  passwd: any
  group: any
  sockFprog: any
}

let libc: Libc | undefined
/** koffi's handle on the symbols load() binds from, for the functions bound where they are used. */
let libHandle: any

/**
 * koffi's native module, loaded directly when it is where koffi's own package put it for this platform
 * (about 7 ms less than koffi's JS loader, which probes several places); otherwise through koffi.
 * The direct one is used only if its version is koffi's. Looked for first beside the bundle (dist/../
 * node_modules, as npm and the Debian package install it) and opened with process.dlopen: resolving the
 * package and require()'s path handling of a .node file cost about 1 ms more.
 */
function loadKoffi(): any {
  /* eslint-disable @typescript-eslint/no-var-requires */
  const {platform, arch} = process
  const path = require('node:path') as typeof import('node:path')
  const fs = require('node:fs') as typeof import('node:fs')
  const native = (dir: string, open: (file: string) => any): any => {
    const {version} = JSON.parse(fs.readFileSync(path.join(dir, '..', '..', 'koffi', 'package.json'), 'utf8')) as {version: string}
    const mod = open(`${dir}/${platform}_${arch}/koffi.node`)
    return mod && typeof mod.load === 'function' && mod.version === version ? mod : undefined
  }
  try {
    const found = native(path.join(__dirname, '..', 'node_modules', '@koromix', `koffi-${platform}-${arch}`), (file) => {
      const mod = {exports: {} as any}
      process.dlopen(mod, file)
      return mod.exports
    })
    if (found) return found
  } catch {
    // not beside the bundle (the sources run by the tests, another layout)
  }
  try {
    // Found without require.resolve('koffi'): koffi's package.json has "exports", whose resolver costs ~1 ms to load.
    const found = native(path.dirname(require.resolve(`@koromix/koffi-${platform}-${arch}/package.json`)), require)
    if (found) return found
  } catch {
    // not there (another libc, another layout): koffi finds it
  }
  return require('koffi')
  /* eslint-enable @typescript-eslint/no-var-requires */
}

/**
 * How to bind each function, on its first use: a command binds only what it calls (add and del some ten
 * of these; binding one costs koffi a parse of its prototype and a trampoline, ~30 us each).
 */
const BINDINGS: {[K in Exclude<keyof Libc, 'koffi'>]: (lib: any, koffi: any, l: Libc) => any} = {
  open: (lib) => lib.func('int open(const char *path, int flags, int mode)'),
  close: (lib) => lib.func('int close(int fd)'),
  // ioctl is variadic in C; we bind one fixed prototype per argument kind.
  ioctlPtr: (lib) => lib.func('ioctl', 'int', ['int', 'unsigned long', 'void *']),
  ioctlInt: (lib) => lib.func('ioctl', 'int', ['int', 'unsigned long', 'unsigned long']),
  socket: (lib) => lib.func('int socket(int domain, int type, int protocol)'),
  setns: (lib) => lib.func('int setns(int fd, int nstype)'),
  send: (lib) => lib.func('long send(int fd, void *buf, size_t len, int flags)'),
  recv: (lib) => lib.func('long recv(int fd, void *buf, size_t len, int flags)'),
  bind: (lib) => lib.func('int bind(int fd, void *addr, uint32_t len)'),
  setsockopt: (lib) => lib.func('int setsockopt(int fd, int level, int name, void *value, uint32_t len)'),
  getsockopt: (lib) => lib.func('int getsockopt(int fd, int level, int name, void *value, void *len)'),
  // SO_ATTACH_FILTER's struct sock_fprog, its filter a Buffer (koffi passes a Buffer where a pointer goes).
  setsockoptFilter: (lib, koffi, l) => lib.func('setsockopt', 'int', ['int', 'int', 'int', koffi.pointer(l.sockFprog), 'uint32_t']),
  flock: (lib) => lib.func('int flock(int fd, int op)'),
  // syscall() is variadic; pidfd_open and pidfd_getfd take at most three integers.
  syscall3: (lib) => lib.func('syscall', 'long', ['long', 'long', 'long', 'long']),
  getpwnam: (lib, koffi, l) => lib.func('getpwnam', koffi.pointer(l.passwd), ['const char *']),
  getpwuid: (lib, koffi, l) => lib.func('getpwuid', koffi.pointer(l.passwd), ['uint32_t']),
  getgrnam: (lib, koffi, l) => lib.func('getgrnam', koffi.pointer(l.group), ['const char *']),
  getgrgid: (lib, koffi, l) => lib.func('getgrgid', koffi.pointer(l.group), ['uint32_t']),
  // Anonymous structs: koffi's names are one registry per process, and a second load() (a test file's own
  // module registry, in the same jest worker) would define the name again and fail.
  passwd: (_lib, koffi) => koffi.struct({
    pw_name: 'const char *', pw_passwd: 'const char *', pw_uid: 'uint32_t', pw_gid: 'uint32_t',
    pw_gecos: 'const char *', pw_dir: 'const char *', pw_shell: 'const char *',
  }),
  group: (_lib, koffi) => koffi.struct({
    gr_name: 'const char *', gr_passwd: 'const char *', gr_gid: 'uint32_t', gr_mem: 'void *',
  }),
  sockFprog: (_lib, koffi) => koffi.struct({len: 'uint16_t', filter: 'void *'}),
}

function load(): Libc {
  if (libc) return libc
  const koffi = loadKoffi()
  // The process's own symbols (libc is always loaded into Node): no dlopen, 3 ms less than load('libc.so.6').
  let lib: any
  try {
    lib = koffi.load(null)
    lib.func('int getpid()')
  } catch {
    lib = koffi.load('libc.so.6')
  }
  const l = {koffi} as Libc
  libHandle = lib
  for (const name of Object.keys(BINDINGS) as Array<keyof typeof BINDINGS>) {
    // Bound at the first read, then kept as a plain value.
    Object.defineProperty(l, name, {
      configurable: true, enumerable: true,
      get() {
        const value = BINDINGS[name](lib, koffi, l)
        Object.defineProperty(l, name, {value, enumerable: true})
        return value
      },
    })
  }
  libc = l
  return l
}

function check(ret: number | bigint, op: string, target?: string): number {
  const n = Number(ret)
  if (n < 0) throw new KernelError(op, load().koffi.errno(), target)
  return n
}

export function openPath(path: string, write = true): number {
  const l = load()
  return check(l.open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0), `open ${path}`)
}

export function closeFd(fd: number): void {
  load().close(fd)
}

/** ioctl whose third argument points to a buffer the kernel reads and/or fills. */
export function ioctlBuffer(fd: number, request: number, buf: Buffer, op: string, target?: string): number {
  const l = load()
  return check(l.ioctlPtr(fd, request, buf), op, target)
}

/** ioctl whose third argument is an integer passed by value (TUNSETPERSIST, TUNSETOWNER, TUNSETGROUP). */
export function ioctlValue(fd: number, request: number, value: number, op: string, target?: string): number {
  const l = load()
  return check(l.ioctlInt(fd, request, value), op, target)
}

export function openSocket(domain: number, type: number, protocol: number, op = 'socket'): number {
  const l = load()
  return check(l.socket(domain, type, protocol), op)
}

export function bindSocket(fd: number, addr: Buffer, op = 'bind'): void {
  const l = load()
  check(l.bind(fd, addr, addr.length), op)
}

export function sendBuffer(fd: number, buf: Buffer, op: string): number {
  const l = load()
  return check(l.send(fd, buf, buf.length, 0), op)
}

/** recv(); with MSG_TRUNC the result is the datagram's real length, which may exceed the buffer. */
export function recvBuffer(fd: number, buf: Buffer, op: string, flags = 0): number {
  const l = load()
  return check(l.recv(fd, buf, buf.length, flags), op)
}

/** setsockopt() with an int value. */
export function setSocketInt(fd: number, level: number, name: number, value: number, op: string): void {
  const l = load()
  const v = Buffer.alloc(4)
  if (value === (value | 0)) for (let i = 0; i < 4; i++) v[i] = (value >>> (8 * i)) & 0xff
  else v.writeInt32LE(value) // refused as it always was
  check(l.setsockopt(fd, level, name, v, 4), op)
}

/** Attach a classic BPF program (struct sock_filter[], 8 bytes each) to a socket; the kernel copies it. */
export function attachSocketFilter(fd: number, program: Buffer, op: string): void {
  const l = load()
  check(l.setsockoptFilter(fd, SOL_SOCKET, SO_ATTACH_FILTER, {len: program.length / 8, filter: program}, 16), op)
}

const SYS_PIDFD_OPEN = 434
const SYS_PIDFD_GETFD = 438

/**
 * A copy of another process's file descriptor (pidfd_open + pidfd_getfd, kernel 5.6+), or the kernel's
 * errno, negated, when it refuses: ESRCH (the process has exited), EBADF (the descriptor is closed),
 * EPERM (no ptrace rights over the process), ENOSYS (an older kernel). The caller closes the copy.
 */
export function borrowFd(pid: number, fd: number): number {
  const l = load()
  const pidfd = Number(l.syscall3(SYS_PIDFD_OPEN, pid, 0, 0))
  if (pidfd < 0) return -l.koffi.errno()
  try {
    const copy = Number(l.syscall3(SYS_PIDFD_GETFD, pidfd, fd, 0))
    return copy < 0 ? -l.koffi.errno() : copy
  } finally {
    l.close(pidfd)
  }
}

/** ioctl with no argument that returns a new fd (TUNGETDEVNETNS), or the kernel's errno, negated. */
export function ioctlNewFd(fd: number, request: number): number {
  const l = load()
  const n = Number(l.ioctlInt(fd, request, 0))
  return n < 0 ? -l.koffi.errno() : n
}

/** getsockopt() of a 64-bit value (SO_NETNS_COOKIE), as text: JSON has no 64-bit numbers. */
export function getSocketU64(fd: number, level: number, name: number, op: string): string {
  const l = load()
  const v = Buffer.alloc(8)
  const len = Buffer.alloc(4)
  len.writeUInt32LE(8)
  check(l.getsockopt(fd, level, name, v, len), op)
  return v.readBigUInt64LE().toString()
}

const LOCK_EX = 2
const LOCK_NB = 4

/**
 * An exclusive advisory lock on an open file (flock). Returns false when another process holds it.
 * The kernel drops the lock when the holder exits, however it exits: no stale lock files.
 */
export function tryLockExclusive(fd: number, target: string): boolean {
  const l = load()
  if (l.flock(fd, LOCK_EX | LOCK_NB) === 0) return true
  const errno = l.koffi.errno()
  if (errno === 11) return false // EWOULDBLOCK
  throw new KernelError('flock', errno, target)
}

/**
 * Move this thread into the network namespace at `path` (e.g. /run/netns/NAME). setns() affects only
 * the calling thread, which is Node's main thread: every later socket and /dev/net/tun open happens
 * there, so they all land in the namespace.
 */
export function enterNetnsPath(path: string, label: string): void {
  const l = load()
  netnsEntered = true
  // Non-blocking: a FIFO put in place of the namespace file opens at once, and setns() then refuses it.
  const fd = check(l.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0), `open ${path}`, label)
  try {
    check(l.setns(fd, CLONE_NEWNET), 'setns', label)
  } finally {
    l.close(fd)
  }
}

let netnsEntered = false

/** Whether this thread entered another network namespace (--netns): /sys then shows the old one's devices. */
export const enteredNetns = (): boolean => netnsEntered

const CLONE_NEWNS = 0x00020000
const MS_NOSUID = 0x2
const MS_NODEV = 0x4
const MS_NOEXEC = 0x8
const MS_REC = 0x4000
const MS_SLAVE = 0x80000
const MNT_DETACH = 2

/**
 * Give this thread a /sys of the network namespace it is in, as ip netns exec does: a private mount
 * namespace (unshare(CLONE_NEWNS) affects only the calling thread, Node's main thread, where every
 * synchronous read runs), every mount made a slave first so that nothing propagates back to the host,
 * then a new sysfs over /sys (a sysfs shows the network namespace of the thread that mounts it).
 * Needs CAP_SYS_ADMIN. Bound here, not in load(): only a read of sysfs after --netns needs them.
 */
export function mountSysfsOfThisNetns(): void {
  const l = load()
  const lib = l.koffi.load(null)
  const unshare = lib.func('int unshare(int flags)')
  const mount = lib.func('int mount(const char *source, const char *target, const char *type, unsigned long flags, const void *data)')
  const umount2 = lib.func('int umount2(const char *target, int flags)')
  check(unshare(CLONE_NEWNS), 'unshare(CLONE_NEWNS)')
  check(mount(null, '/', null, MS_REC | MS_SLAVE, null), 'mount --make-rslave /')
  umount2('/sys', MNT_DETACH) // may not be a mount point; mounting over it is then enough
  check(mount('sysfs', '/sys', 'sysfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, null), 'mount sysfs /sys')
}

const FSOPEN_CLOEXEC = 0x1
const FSCONFIG_CMD_CREATE = 6
const FSMOUNT_CLOEXEC = 0x1
const MOUNT_ATTR_NOSUID = 0x2
const MOUNT_ATTR_NODEV = 0x4
const MOUNT_ATTR_NOEXEC = 0x8
/** The same on every architecture (the numbers from 424 on are shared). */
const SYS_FSOPEN = 430
const SYS_FSCONFIG = 431
const SYS_FSMOUNT = 432

/**
 * A directory of a new sysfs of the network namespace this thread is in (a sysfs shows the namespace of
 * the thread that makes it), mounted nowhere: fsopen, fsconfig and fsmount (Linux 5.2+) make it, and the
 * directory `sub` opened in it keeps it until closed. No mount namespace is made or changed, and it costs
 * about half of mountSysfsOfThisNetns. Its descriptor, or undefined where the kernel refuses (an older
 * kernel, no CAP_SYS_ADMIN), for mountSysfsOfThisNetns to try.
 */
export function openSysfsOfThisNetns(sub: string): number | undefined {
  const l = load()
  const at = readAtFns()
  const fsopen = libHandle.func('syscall', 'long', ['long', 'const char *', 'unsigned int'])
  const fsconfig = libHandle.func('syscall', 'long', ['long', 'int', 'unsigned int', 'void *', 'void *', 'int'])
  const fsmount = libHandle.func('syscall', 'long', ['long', 'int', 'unsigned int', 'unsigned int'])
  const fs = Number(fsopen(SYS_FSOPEN, 'sysfs', FSOPEN_CLOEXEC))
  if (fs < 0) return undefined
  try {
    if (Number(fsconfig(SYS_FSCONFIG, fs, FSCONFIG_CMD_CREATE, null, null, 0)) < 0) return undefined
    const mnt = Number(fsmount(SYS_FSMOUNT, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC))
    if (mnt < 0) return undefined
    try {
      const dir = at.openat(mnt, sub, O_RDONLY | O_CLOEXEC)
      return dir < 0 ? undefined : dir
    } finally {
      l.close(mnt)
    }
  } finally {
    l.close(fs)
  }
}

let readAt: {openat: Fn; read: Fn} | undefined
const readAtFns = (): {openat: Fn; read: Fn} => {
  load()
  readAt ??= {openat: libHandle.func('int openat(int dirfd, const char *path, int flags)'), read: libHandle.func('long read(int fd, void *buf, size_t len)')}
  return readAt
}

/**
 * Read a small file at `path` relative to the directory open as `dirFd` into `buf`: the bytes read, or -1
 * when it cannot be opened or read. For sysfs attributes read once per device: openat(2) from the directory
 * skips walking the path (and /sys/class/net's symlink) at every file, and three plain calls cost a
 * fraction of fs.openSync, readSync and closeSync.
 */
export function readSmallFileAt(dirFd: number, path: string, buf: Buffer): number {
  const l = load()
  const at = readAtFns()
  const fd = at.openat(dirFd, path, O_RDONLY | O_CLOEXEC)
  if (fd < 0) return -1
  try {
    return Number(at.read(fd, buf, buf.length))
  } finally {
    l.close(fd)
  }
}

export interface PasswdEntry { name: string; uid: number; gid: number }
export interface GroupEntry { name: string; gid: number; members: string[] }

function decodeGroup(l: Libc, ptr: unknown): GroupEntry | undefined {
  if (!ptr) return undefined
  const g = l.koffi.decode(ptr, l.group)
  const members: string[] = []
  if (g.gr_mem) {
    for (let i = 0; i < 65536; i++) {
      const p = l.koffi.decode(g.gr_mem, i * 8, 'void *')
      if (!p) break
      members.push(l.koffi.decode(p, 'const char *'))
    }
  }
  return {name: g.gr_name, gid: g.gr_gid, members}
}

/** Account look-ups go through libc so that NSS sources (LDAP, sssd, systemd-userdb) count too. */
export function lookupUserByName(name: string): PasswdEntry | undefined {
  const l = load()
  const p = l.getpwnam(name)
  if (!p) return undefined
  const e = l.koffi.decode(p, l.passwd)
  return {name: e.pw_name, uid: e.pw_uid, gid: e.pw_gid}
}

export function lookupUserById(uid: number): PasswdEntry | undefined {
  const l = load()
  const p = l.getpwuid(uid)
  if (!p) return undefined
  const e = l.koffi.decode(p, l.passwd)
  return {name: e.pw_name, uid: e.pw_uid, gid: e.pw_gid}
}

export function lookupGroupByName(name: string): GroupEntry | undefined {
  const l = load()
  return decodeGroup(l, l.getgrnam(name))
}

export function lookupGroupById(gid: number): GroupEntry | undefined {
  const l = load()
  return decodeGroup(l, l.getgrgid(gid))
}
