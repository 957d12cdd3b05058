/**
 * Files tunadm writes as root (generated boot files, the apply lock), written so that nobody who can
 * plant a path in the target directory can redirect the write: a new file under an unpredictable
 * name opened with O_CREAT|O_EXCL|O_NOFOLLOW, its mode set on the descriptor, synced, then renamed
 * over the target. A target that is a symbolic link (or not a regular file) is refused.
 * Failures of the file system are said in words, with what to do (the errno alone is not enough).
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {TunadmError} from '../errors'

// Node opens every file with O_CLOEXEC already.
const {O_WRONLY, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY} = fs.constants

/** A file-system error as a TunadmError: what, the cause in words, and what to do. */
export function fileError(err: unknown, action: string, file: string): TunadmError {
  if (err instanceof TunadmError) return err
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO'
  const causes: Record<string, [string, string]> = {
    EACCES: ['permission denied: this user may not write there', 'run it as root (sudo), or choose a directory this user owns'],
    EPERM: ['the operation is not permitted (an immutable file, or not root)', 'run it as root (sudo); check lsattr for the immutable flag'],
    EROFS: ['the file system is mounted read-only', `remount it read-write, or write the files elsewhere with --output DIR and copy them`],
    ENOENT: ['a directory on the way does not exist', 'create the directory first, or choose another'],
    ENOTDIR: ['a component of the path is not a directory', 'check the path'],
    ELOOP: ['the path is a symbolic link, and tunadm does not write through links as root', `remove the link (ls -l ${file}) and run it again`],
    ENOSPC: ['the file system is full', 'free some space'],
    EISDIR: ['it is a directory', 'choose a file name'],
  }
  const [why, fix] = causes[code] ?? [`the system said ${code}: ${(err as Error).message}`, 'check the path and its permissions']
  return new TunadmError(`cannot ${action} ${file}: ${code}`, {code, why, fix})
}

/** The target must be absent or a regular file: never a link (which could point anywhere) or a device. */
function checkTarget(real: string, target = real): fs.Stats | undefined {
  let st: fs.Stats
  try {
    st = fs.lstatSync(real)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw fileError(err, 'inspect', target)
  }
  if (st.isSymbolicLink()) {
    throw new TunadmError(`${target} is a symbolic link; tunadm does not write through links`, {
      code: 'TARGET_IS_SYMLINK', why: 'as root, writing through a link someone planted would overwrite whatever it points to',
      fix: `look at it (ls -l ${target}); remove the link if it is not yours, then run it again`,
    })
  }
  if (!st.isFile()) throw new TunadmError(`${target} exists and is not a regular file`, {code: 'NOT_A_FILE', fix: 'move it away, or choose another directory'})
  return st
}

/** Read a file that may exist, refusing links; undefined when absent. */
export function readExisting(target: string, real = target): string | undefined {
  if (!checkTarget(real, target)) return undefined
  let fd: number
  try {
    fd = fs.openSync(real, O_RDONLY | O_NOFOLLOW)
  } catch (err) {
    throw fileError(err, 'read', target)
  }
  try {
    return fs.readFileSync(fd, 'utf8')
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * A directory to write into, pinned: opened once, and every later path goes through its descriptor
 * (/proc/self/fd/N/NAME, Linux's openat for Node), so swapping the directory for a link half-way
 * through cannot redirect the writes. A directory given as a link is followed only if root or this
 * user owns the link: one planted by someone else (who could point it at /etc) is refused.
 */
export interface PinnedDirectory {
  /** The path to use for file operations inside the directory. */
  at(name: string): string
  close(): void
}

export function pinDirectory(dir: string): PinnedDirectory {
  let lst: fs.Stats
  try {
    lst = fs.lstatSync(dir)
  } catch (err) {
    throw fileError(err, 'open the directory', dir)
  }
  const euid = process.geteuid?.() ?? 0
  if (lst.isSymbolicLink() && lst.uid !== 0 && lst.uid !== euid) {
    throw new TunadmError(`${dir} is a symbolic link owned by another user (uid ${lst.uid}); tunadm does not write through it`, {
      code: 'DIRECTORY_LINK_FOREIGN', why: 'whoever owns the link decides where it points: as root, the files could land anywhere, /etc included',
      fix: `look at it (ls -l ${dir}); give the directory it points to itself, if that is where the files belong`,
    })
  }
  let fd: number
  try {
    fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY)
  } catch (err) {
    throw fileError(err, 'open the directory', dir)
  }
  const proc = `/proc/self/fd/${fd}`
  let viaProc = false
  try {
    viaProc = fs.statSync(proc).ino === fs.fstatSync(fd).ino
  } catch {
    // no /proc: paths go through the name, still checked file by file
  }
  return {
    at: (name) => path.join(viaProc ? proc : dir, name),
    close: () => fs.closeSync(fd),
  }
}

/**
 * `bytes` random bytes: from /dev/urandom, which costs three system calls where loading node:crypto costs
 * some 10 ms of CPU (apply saves its record at every change, down picks a private link group).
 */
function randomBytes(bytes: number): Buffer {
  const buf = Buffer.alloc(bytes)
  try {
    const fd = fs.openSync('/dev/urandom', O_RDONLY)
    try {
      if (fs.readSync(fd, buf, 0, bytes, null) === bytes) return buf
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    // no /dev/urandom here: the library's generator
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (require('node:crypto') as typeof import('node:crypto')).randomBytes(bytes)
}

/** `bytes` random bytes as hex, for a temporary file's name. */
function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

/**
 * A uniformly random whole number in [min, max] (max - min < 2^32), as node:crypto's randomInt gives one,
 * from /dev/urandom: values of the last, incomplete span of 2^32 are drawn again, so that none is likelier.
 * `draw` gives 32 random bits (tests pass their own).
 */
export function randomInt(min: number, max: number, draw: () => number = () => randomBytes(4).readUInt32LE(0)): number {
  const span = max - min + 1
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || span < 1 || span > 0x100000000) throw new RangeError(`randomInt: no whole numbers from ${min} to ${max}`)
  const limit = Math.floor(0x100000000 / span) * span
  for (;;) {
    const v = draw()
    if (v < limit) return min + (v % span)
  }
}

/**
 * Write `content` to `target` with `mode`, atomically and without following any planted link.
 * `real` is the path used for the system calls when it differs from the one shown (a pinned directory).
 */
export function writeFileSafely(target: string, content: string, mode: number, real = target): void {
  checkTarget(real, target)
  const dir = path.dirname(real)
  const tmp = path.join(dir, `.${path.basename(target)}.${randomHex(8)}.tunadm-tmp`)
  let fd: number
  try {
    fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
  } catch (err) {
    throw fileError(err, 'write', target)
  }
  try {
    fs.writeFileSync(fd, content)
    fs.fchmodSync(fd, mode)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    fs.renameSync(tmp, real)
  } catch (err) {
    try {
      fs.closeSync(fd)
    } catch {
      // already closed
    }
    fs.rmSync(tmp, {force: true})
    throw fileError(err, 'write', target)
  }
  try {
    const dfd = fs.openSync(dir, O_RDONLY | O_DIRECTORY)
    fs.fsyncSync(dfd)
    fs.closeSync(dfd)
  } catch {
    // the rename is done; syncing the directory only makes it durable sooner
  }
}

/** Set the mode of an existing regular file through a descriptor, never through a path (no link is followed). */
export function chmodSafely(target: string, mode: number, real = target): void {
  checkTarget(real, target)
  let fd: number | undefined
  try {
    fd = fs.openSync(real, O_RDONLY | O_NOFOLLOW)
    fs.fchmodSync(fd, mode)
  } catch (err) {
    throw fileError(err, 'change the mode of', target)
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}
