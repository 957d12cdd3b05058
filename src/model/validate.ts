/** Validation of user input, done before anything touches the kernel. Pure. */
import {InvalidInputError} from '../errors'
import {IFNAMSIZ, ID_UNSET} from './limits'

const MAX_NAME_BYTES = IFNAMSIZ - 1

/**
 * The kernel's dev_valid_name(): 1-15 bytes, not "." or "..", no '/', ':' or whitespace.
 * Longer names are rejected here: the kernel would silently truncate them.
 * With `template`, one "%d" is allowed (the kernel replaces it with the first free number).
 */
export function validateIfName(name: string, opts: {template?: boolean; what?: string} = {}): string {
  if (plainName(name)) return name
  const what = opts.what ?? 'device name'
  const rule = `a ${what} is 1 to ${MAX_NAME_BYTES} bytes, not "." or "..", without "/", ":" or white space`
  const bytes = Buffer.byteLength(name, 'utf8')
  if (bytes === 0) throw new InvalidInputError(`the ${what} is empty`, {code: 'INVALID_NAME', why: rule})
  if (bytes > MAX_NAME_BYTES) {
    throw new InvalidInputError(`the ${what} "${name}" is ${bytes} bytes long; the kernel allows at most ${MAX_NAME_BYTES}`, {
      code: 'INVALID_NAME', why: `${rule}. Other tools truncate longer names silently; tunadm refuses them`,
      fix: `choose a shorter name, e.g. "${Buffer.from(name).subarray(0, MAX_NAME_BYTES).toString('utf8').replace(/\uFFFD+$/, '')}"`,
    })
  }
  if (name === '.' || name === '..') throw new InvalidInputError(`"${name}" cannot be a ${what}`, {code: 'INVALID_NAME', why: rule})
  const bad = /[/:\s]/u.exec(name)
  if (bad) {
    const shown = bad[0] === '/' || bad[0] === ':' ? `"${bad[0]}"` : 'white space'
    throw new InvalidInputError(`the ${what} "${name}" contains ${shown}`, {code: 'INVALID_NAME', why: rule})
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) throw new InvalidInputError(`the ${what} ${JSON.stringify(name)} contains control characters`, {code: 'INVALID_NAME', why: rule})
  const percents = name.split('%').length - 1
  if (percents > 0) {
    if (!opts.template) throw new InvalidInputError(`the ${what} "${name}" contains "%"`, {code: 'INVALID_NAME', why: 'only a new device\'s name may be a template such as tap%d'})
    if (percents !== 1 || !name.includes('%d')) {
      throw new InvalidInputError(`the name template "${name}" must contain exactly one "%d"`, {code: 'INVALID_NAME', fix: 'e.g. tap%d: the kernel replaces %d with the first free number'})
    }
  }
  return name
}

/**
 * The names nearly everyone writes (tap0, vm-12, br_lan.5): 1-15 letters, digits, '-', '_' and '.', not
 * "." or "..". Every rule above holds for them, so they pass without the full check (a config of
 * thousands of devices checks each name).
 */
export const isPlainIfName = (name: string): boolean => plainName(name)

function plainName(name: string): boolean {
  const n = name.length
  if (n === 0 || n > MAX_NAME_BYTES) return false
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i)
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f || c === 0x2e)) return false
  }
  return name !== '.' && name !== '..'
}

export const isTemplate = (name: string) => name.includes('%d')

/**
 * A uid or gid given as a number: decimal digits only, 0 to 4294967294. 4294967295 is the
 * kernel's "unset", and larger values would wrap around (ip tuntap turns 4294967296 into root).
 */
export function parseNumericId(text: string, what: 'user' | 'group'): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined
  const n = Number(text)
  if (text.startsWith('-') || !Number.isSafeInteger(n) || n >= ID_UNSET || text.startsWith('+')) {
    throw new InvalidInputError(`${what} id "${text}" is out of range`, {
      code: 'INVALID_ID', why: `${what} ids are 0 to ${ID_UNSET - 1}; ${ID_UNSET} means "unset" to the kernel and larger values would wrap around`,
    })
  }
  return n
}

/** Names accepted by useradd/groupadd (and NSS sources): refuse junk before looking it up. */
export function looksLikeAccountName(text: string): boolean {
  return /^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\$?$/.test(text) && text.length <= 256
}
