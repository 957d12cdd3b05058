/** Serialise commands that change many devices (apply, down): one at a time per host. */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {InvalidInputError, TunadmError} from '../errors'
import {tryLockExclusive} from '../kernel/libc'
import {fileError} from '../system/files'

/**
 * In a directory only root can create and write (0700 under /run, which is root's 0755): in /run/lock,
 * writable by every user, anyone could create tunadm's lock first and keep root's boot-time apply out.
 */
export const DEFAULT_LOCK_DIR = '/run/tunadm'
export const DEFAULT_LOCK_PATH = `${DEFAULT_LOCK_DIR}/tunadm.lock`

/**
 * The default lock's directory: made 0700 by root when absent; when present it must be a real directory
 * (not a link) of root's that nobody else may write, or the lock in it could be another user's.
 */
export function ensurePrivateDirectory(dir: string): void {
  try {
    fs.mkdirSync(dir, {mode: 0o700})
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(err, 'create the lock directory', dir)
  }
  const st = fs.lstatSync(dir)
  const problem = st.isSymbolicLink() ? 'is a symbolic link'
    : !st.isDirectory() ? 'is not a directory'
      : st.uid !== 0 ? `belongs to another user (uid ${st.uid})`
        : (st.mode & 0o022) !== 0 ? `is writable by others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`
          : undefined
  if (problem) {
    throw new TunadmError(`the lock directory ${dir} ${problem}`, {
      code: 'LOCK_DIR_UNSAFE', why: 'apply and down keep their lock there; a directory that is not root\'s alone lets another user take the lock first and keep every apply out',
      fix: `look at it (ls -ld ${dir}) and remove it: tunadm creates it again (mode 0700, root's); or point TUNADM_LOCK at another file`,
    })
  }
}

export interface Lock {
  release(): void
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/** TUNADM_LOCK, when set: an absolute path (set but empty, or relative, is a mistake said as such). */
export function lockPathFromEnv(): string {
  const v = process.env.TUNADM_LOCK
  if (v === undefined) return DEFAULT_LOCK_PATH
  if (v === '' || !v.startsWith('/') || v.endsWith('/')) {
    throw new InvalidInputError(`TUNADM_LOCK=${JSON.stringify(v)} is not ${v === '' ? 'a path: it is empty' : 'the absolute path of a file'}`, {
      code: 'INVALID_ENV', why: 'TUNADM_LOCK moves the lock that apply and down take so that two of them never race',
      fix: `set it to a file, e.g. TUNADM_LOCK=/run/user/$(id -u)/tunadm.lock, or unset it for ${DEFAULT_LOCK_PATH}: unset TUNADM_LOCK`,
    })
  }
  return v
}

/** Take the lock, waiting up to `waitSeconds` for another apply to finish. */
export function acquireLock(waitSeconds: number, lockPath = lockPathFromEnv()): Lock {
  const euid = process.geteuid?.() ?? 0
  // Not root: the lock is only the first thing refused; changing devices needs CAP_NET_ADMIN anyway. The
  // default lock is never made by another user (/run/lock is world-writable on Debian): root's applies
  // would then refuse a lock that user owns.
  const notRoot = (message: string) => new TunadmError(message, {
    code: 'EACCES',
    why: `this user (uid ${euid}) may not create the lock apply and down take so that two of them never race; changing devices needs root (CAP_NET_ADMIN) anyway`,
    fix: 'run it as root (sudo); a user given CAP_NET_ADMIN can point TUNADM_LOCK at a file it may write',
  })
  if (euid !== 0 && lockPath === DEFAULT_LOCK_PATH) throw notRoot(`cannot open the lock ${lockPath}: only root takes the default lock`)
  if (lockPath === DEFAULT_LOCK_PATH) ensurePrivateDirectory(DEFAULT_LOCK_DIR)
  let fd: number
  try {
    if (lockPath !== DEFAULT_LOCK_PATH) fs.mkdirSync(path.dirname(lockPath), {recursive: true})
    // O_NOFOLLOW: never open a link someone planted in place of the lock. O_RDONLY is enough for flock,
    // so a lock file on a read-only file system still works when it exists.
    // O_NONBLOCK: a FIFO planted in place of the lock (/run/lock is writable by every user) would block the open forever.
    fd = fs.openSync(lockPath, fs.constants.O_RDONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK, 0o600)
  } catch (err) {
    const e = fileError(err, 'open the lock', lockPath)
    if (e.code === 'EACCES' && euid !== 0) throw notRoot(e.message)
    throw new TunadmError(e.message, {code: e.code, why: `apply and down take this lock so that two of them never race; ${e.why}`, fix: `${e.fix}; or point TUNADM_LOCK at another file`})
  }
  checkLockFile(fd, lockPath)
  const deadline = Date.now() + waitSeconds * 1000
  for (;;) {
    if (tryLockExclusive(fd, lockPath)) break
    if (Date.now() >= deadline) {
      fs.closeSync(fd)
      throw new TunadmError(`another tunadm apply or down is running (lock ${lockPath} is held)`, {
        code: 'LOCKED', why: 'two applies at once would race on the same devices',
        fix: `wait for it to finish, or give --wait SECONDS (now ${waitSeconds})`,
      })
    }
    sleep(100)
  }
  return {release: () => fs.closeSync(fd)}
}

/**
 * The lock must be a regular file of root's or this user's: a FIFO or device planted there is no lock, and a file
 * another user made is one that user can hold for ever, keeping every apply out.
 */
function checkLockFile(fd: number, lockPath: string): void {
  const st = fs.fstatSync(fd)
  const euid = process.geteuid?.() ?? 0
  let problem: {code: string; message: string; why: string} | undefined
  if (!st.isFile()) {
    problem = {code: 'LOCK_NOT_A_FILE', message: `the lock ${lockPath} is not a regular file`, why: 'something else (a FIFO, a device, a directory) was put where apply and down keep their lock'}
  } else if (st.uid !== 0 && st.uid !== euid) {
    problem = {code: 'LOCK_FOREIGN', message: `the lock ${lockPath} belongs to another user (uid ${st.uid})`, why: 'whoever owns it can hold it for ever and keep every apply and down out'}
  }
  if (!problem) return
  fs.closeSync(fd)
  throw new TunadmError(problem.message, {code: problem.code, why: problem.why, fix: `look at it (ls -l ${lockPath}) and remove it: apply and down create it again; or point TUNADM_LOCK at another file`})
}
