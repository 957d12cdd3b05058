/**
 * Output to stdout and stderr with write(2) on the descriptors themselves: Node's process.stdout and
 * process.stderr load the stream, net and tty modules when first touched (about 3 ms, a seventh of
 * Node's own start-up), and on Linux they write synchronously anyway, so order is the same either way.
 * A reader that went away (tunadm list | head -1) is not an error: the rest is dropped, as before.
 * Like C's stdio, stdout is buffered when it is not a terminal (an apply of 1000 devices made 1000
 * write calls): written out before anything goes to stderr (so the order of the two on one pipe, 2>&1,
 * is kept), when 20 ms have passed since the first line waiting, when the buffer is large, and at exit.
 * As with stdio, a process killed by a signal loses what was still waiting; the devices never depend on
 * it (the next apply reports their state). A write that fails (a full disk, a read-only file system, a
 * closed descriptor) is said in one line on stderr and makes the exit code 1; a reader that left is quiet.
 * The full path sends oclif's own output (help, versions) through here too (routeProcessOutput).
 */
import * as fs from 'node:fs'

const gone = new Set<number>()
const pause = new Int32Array(new SharedArrayBuffer(4))
/** Set when output could not be written (other than to a reader that left): the exit code becomes 1. */
let failedWrite = false

/**
 * Write all of text, or give up on the descriptor: a reader that went away (EPIPE) is no error and is
 * left quietly; any other failure (a full disk, a read-only file system, a closed descriptor) is said in
 * one line on stderr, and the exit code becomes 1. Never throws: output failing is not a crash.
 */
function write(fd: 1 | 2, text: string): void {
  if (gone.has(fd) || text === '') return
  let buf = Buffer.from(text, 'utf8')
  while (buf.length > 0) {
    try {
      buf = buf.subarray(fs.writeSync(fd, buf))
    } catch (e) {
      const error = e as NodeJS.ErrnoException
      // A descriptor someone left non-blocking: wait for the reader, as Node's streams do.
      if (error.code === 'EAGAIN') {
        Atomics.wait(pause, 0, 0, 1)
        continue
      }
      gone.add(fd)
      if (error.code === 'EPIPE') return
      failedWrite = true
      const why = /^[A-Z0-9]+: (.*?)(, write)?$/.exec(error.message ?? '')?.[1] ?? error.message
      write(2, `tunadm: cannot write to standard ${fd === 1 ? 'output' : 'error'}: ${error.code ?? 'error'} (${why})\n`)
      return
    }
  }
}

let pending = ''
let since = 0
let buffered: boolean | undefined
/** How long a line may wait for others to share its write. */
const FLUSH_MS = 20

function flush(): void {
  if (pending === '') return
  const text = pending
  pending = ''
  write(1, text)
}

process.on('exit', () => {
  flush()
  if (failedWrite) process.exitCode = 1
})

export function out(text: string): void {
  buffered ??= !isTerminal(1)
  if (!buffered) return write(1, text)
  const now = Date.now()
  if (pending === '') since = now
  pending += text
  if (pending.length >= 64 * 1024 || now - since >= FLUSH_MS) flush()
}

export function err(text: string): void {
  flush()
  write(2, text)
}

/** Major number 1: /dev/null, /dev/zero and the other memory devices, never a terminal. */
const MEM_MAJOR = 1
/** Linux's major(): bits 8-19 and 32-43 of a device number. */
const majorOf = (rdev: number) => ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 0x100000000) & ~0xfff)

/** What /proc/self/fd/N reads for a descriptor that is no file of a path: never a terminal. */
const NOT_A_PATH = ['pipe:', 'socket:', 'anon_inode:']

/**
 * Whether fd is a terminal, without loading the tty module where the answer is plain: a pipe or a file
 * is no terminal, nor is /dev/null (a memory device, where scripts send the output); only another
 * character device needs isatty(3). A pipe or a socket (a script's $(...), a service's journal) is told
 * by its /proc link, at a third of fstat's cost (Node builds a Stats of it, compiled at its first call).
 */
export function isTerminal(fd: 0 | 1 | 2): boolean {
  try {
    const target = fs.readlinkSync(`/proc/self/fd/${fd}`)
    for (const kind of NOT_A_PATH) if (target.startsWith(kind)) return false
  } catch {
    // no /proc: fstat says
  }
  try {
    const st = fs.fstatSync(fd)
    if (!st.isCharacterDevice() || majorOf(st.rdev) === MEM_MAJOR) return false
  } catch {
    return false
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (require('node:tty') as typeof import('node:tty')).isatty(fd)
}

/**
 * Send what goes through process.stdout and process.stderr (oclif's help and messages, console.log)
 * through this writer, so both paths fail alike. The full path only: touching process.stdout loads the
 * stream modules the fast path avoids.
 */
export function routeProcessOutput(): void {
  const via = (sink: (text: string) => void) => ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
    sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8'))
    const done = typeof encoding === 'function' ? encoding : cb
    if (typeof done === 'function') process.nextTick(done as () => void)
    return true
  }) as typeof process.stdout.write
  process.stdout.write = via(out)
  process.stderr.write = via(err)
}
