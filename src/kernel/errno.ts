/** Linux errno numbers we meet, with their symbolic names and strerror() texts. */
const TABLE: Record<number, [string, string]> = {
  1: ['EPERM', 'Operation not permitted'],
  2: ['ENOENT', 'No such file or directory'],
  3: ['ESRCH', 'No such process'],
  5: ['EIO', 'Input/output error'],
  6: ['ENXIO', 'No such device or address'],
  9: ['EBADF', 'Bad file descriptor'],
  11: ['EAGAIN', 'Resource temporarily unavailable'],
  12: ['ENOMEM', 'Cannot allocate memory'],
  13: ['EACCES', 'Permission denied'],
  14: ['EFAULT', 'Bad address'],
  16: ['EBUSY', 'Device or resource busy'],
  17: ['EEXIST', 'File exists'],
  19: ['ENODEV', 'No such device'],
  20: ['ENOTDIR', 'Not a directory'],
  22: ['EINVAL', 'Invalid argument'],
  23: ['ENFILE', 'Too many open files in system'],
  24: ['EMFILE', 'Too many open files'],
  25: ['ENOTTY', 'Inappropriate ioctl for device'],
  28: ['ENOSPC', 'No space left on device'],
  34: ['ERANGE', 'Numerical result out of range'],
  36: ['ENAMETOOLONG', 'File name too long'],
  71: ['EPROTO', 'Protocol error'],
  75: ['EOVERFLOW', 'Value too large for defined data type'],
  77: ['EBADFD', 'File descriptor in bad state'],
  93: ['EPROTONOSUPPORT', 'Protocol not supported'],
  95: ['EOPNOTSUPP', 'Operation not supported'],
  97: ['EAFNOSUPPORT', 'Address family not supported by protocol'],
  99: ['EADDRNOTAVAIL', 'Cannot assign requested address'],
  100: ['ENETDOWN', 'Network is down'],
  101: ['ENETUNREACH', 'Network is unreachable'],
  105: ['ENOBUFS', 'No buffer space available'],
  110: ['ETIMEDOUT', 'Connection timed out'],
  111: ['ECONNREFUSED', 'Connection refused'],
  113: ['EHOSTUNREACH', 'No route to host'],
}

/** Any other errno, named by Node's own table (libuv's names and words), so that none is a bare number. */
function fromNode(errno: number): [string, string] | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const {getSystemErrorMap} = require('node:util') as typeof import('node:util')
    const hit = getSystemErrorMap().get(-errno)
    return hit ? [hit[0], hit[1].charAt(0).toUpperCase() + hit[1].slice(1)] : undefined
  } catch {
    return undefined
  }
}

export function errnoName(errno: number): string {
  return (TABLE[errno] ?? fromNode(errno))?.[0] ?? `errno ${errno}`
}

export function errnoText(errno: number): string {
  return (TABLE[errno] ?? fromNode(errno))?.[1] ?? `error ${errno}`
}

/** Map a strerror() text (as printed by ip, socat, openvpn, qemu) to its symbolic name. */
export function errnoNameFromText(text: string): string | undefined {
  const lower = text.toLowerCase()
  for (const [sym, msg] of Object.values(TABLE)) if (lower.includes(msg.toLowerCase())) return sym
  return undefined
}

/** A failed system call: which operation, on what, and the errno the kernel returned. */
export class KernelError extends Error {
  readonly op: string
  readonly errno: number
  readonly code: string
  readonly target?: string
  /** The kernel's own words for it (netlink extended ACK), when it gave any. */
  readonly detail?: string

  constructor(op: string, errno: number, target?: string, detail?: string) {
    super(`${op}${target ? ` on ${target}` : ''}: ${errnoName(errno)} (${errnoText(errno)})${detail ? `: ${detail}` : ''}`)
    this.detail = detail
    this.name = 'KernelError'
    this.op = op
    this.errno = errno
    this.code = errnoName(errno)
    this.target = target
  }
}

export function isKernelError(err: unknown, code?: string): err is KernelError {
  return err instanceof Error && err.name === 'KernelError' && (code === undefined || (err as KernelError).code === code)
}
