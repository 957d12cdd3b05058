/**
 * Reading a config file as bytes, for the loader and for down: capped in size (TUNADM_MAX_CONFIG_BYTES), and
 * never a hang on a FIFO or a device put where the file should be. Small on purpose: down loads it without
 * the validator.
 */
import * as fs from 'node:fs'
import {InvalidInputError} from '../errors'

/** A cap from the environment (a positive whole number), else the default. */
export function envCap(name: string, dflt: number): number {
  const text = process.env[name]
  if (text === undefined) return dflt
  const v = Number(text)
  if (/^[0-9]+$/.test(text) && Number.isSafeInteger(v) && v > 0) return v
  throw new InvalidInputError(`${name}=${JSON.stringify(text)} is not a whole number above 0`, {
    code: 'INVALID_ENV', why: `${name} raises or lowers a cap tunadm keeps (default ${dflt}); written in plain digits, no units`,
    fix: `set it to a number such as ${name}=${dflt * 2}, or unset it: unset ${name}`,
  })
}

/** TUNADM_MAX_CONFIG_BYTES: the most of a config file tunadm reads (4 MiB unless raised). */
export const maxConfigBytes = (): number => envCap('TUNADM_MAX_CONFIG_BYTES', 4 << 20)

const tooLarge = (file: string, size: number | undefined, maxBytes: number) => new InvalidInputError(
  `the config file ${file} is ${size === undefined ? `more than ${maxBytes}` : size} bytes; tunadm reads at most ${maxBytes}`, {
    code: 'CONFIG_TOO_LARGE', why: 'a cap keeps a mistaken or hostile file from taking the machine\'s memory and time',
    fix: `use ranges (name: "tap{0..63}") to say more in less; or raise the cap: TUNADM_MAX_CONFIG_BYTES=${size ?? maxBytes * 2}`,
  })

/**
 * The file's bytes, never more than the cap. A regular file, or a pipe (--config <(...), /dev/stdin): opened
 * without blocking, so a FIFO nobody writes to is an empty read, not a hang; devices (/dev/zero) are refused.
 */
export function readCapped(file: string, maxBytes: number): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile() && !st.isFIFO()) {
      throw new InvalidInputError(`the config file ${file} is ${st.isDirectory() ? 'a directory' : 'not a regular file (a device or socket)'}`, {
        code: 'CONFIG_NOT_A_FILE', fix: 'pass --config FILE naming a YAML file (or a pipe, e.g. --config /dev/stdin)',
      })
    }
    if (st.isFile() && st.size > maxBytes) throw tooLarge(file, st.size, maxBytes)
    const chunks: Buffer[] = []
    const buf = Buffer.alloc(64 * 1024)
    let total = 0
    for (;;) {
      let n: number
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null)
      } catch (err) {
        // A pipe whose writer has not written yet.
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
        continue
      }
      if (n === 0) break
      total += n
      if (total > maxBytes) throw tooLarge(file, undefined, maxBytes)
      chunks.push(Buffer.from(buf.subarray(0, n)))
    }
    if (total === 0 && st.isFIFO()) {
      throw new InvalidInputError(`the config file ${file} is a pipe with nothing written to it`, {
        code: 'CONFIG_EMPTY_PIPE', why: 'no process had it open for writing, so there was nothing to read', fix: 'write the config into it as tunadm reads, e.g. --config <(cat FILE), or pass a regular file',
      })
    }
    return Buffer.concat(chunks, total)
  } finally {
    fs.closeSync(fd)
  }
}
