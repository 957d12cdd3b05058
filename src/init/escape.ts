/**
 * Escaping of interpolated values, one function per context. Every value a generator writes passes
 * through one of these; where a context cannot express a value safely, the generator refuses.
 */
import {InvalidInputError} from '../errors'

/**
 * POSIX shell word: bare when only safe characters, else single-quoted ('it'\''s). A backslash is never
 * left before a closing quote ('tap\' means tap\ to the shell, but shellcheck's SC1003 reads it as a
 * failed escape of the quote): backslashes that end a quoted run are written outside it, escaped ('tap'\\).
 */
export function shQuote(value: string | number): string {
  const s = String(value)
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(s)) return s
  if (s === '') return `''`
  return s.split(`'`).map((run) => {
    const tail = /\\*$/.exec(run)![0]
    const body = run.slice(0, run.length - tail.length)
    return (body ? `'${body}'` : '') + tail.replace(/\\/g, '\\\\')
  }).join(`\\'`)
}

/** A shell command line from words. */
export const shCommand = (...words: Array<string | number>) => words.map(shQuote).join(' ')

/**
 * One word of a systemd Exec*= line: double-quoted when needed (backslash and quote escaped),
 * "%" doubled (specifiers) and, in arguments, "$" doubled (environment expansion).
 */
export function systemdArg(value: string, opts: {executable?: boolean} = {}): string {
  noLineBreaks(value, 'a systemd unit value')
  let s = value
  if (!/^[A-Za-z0-9_./:@+=,-]+$/.test(s)) s = `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
  s = s.replace(/%/g, '%%')
  // systemd expands $VAR in arguments, not in the program path.
  return opts.executable ? s : s.replace(/\$/g, '$$$$')
}

/** A free-text systemd unit value (Description=): specifiers escaped. */
export function systemdText(value: string): string {
  noLineBreaks(value, 'a systemd unit value')
  return value.replace(/%/g, '%%')
}

/** systemd-escape --path: /sys/devices/virtual/net/tap-0 -> sys-devices-virtual-net-tap\x2d0 */
export function systemdEscapePath(path: string): string {
  const trimmed = path.replace(/\/+/g, '/').replace(/^\/|\/$/g, '')
  if (trimmed === '') return '-'
  const bytes = Buffer.from(trimmed, 'utf8')
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]
    const ch = String.fromCharCode(c)
    if (ch === '/') out += '-'
    else if ((/[A-Za-z0-9:_]/.test(ch) || (ch === '.' && i > 0)) && c < 0x80) out += ch
    else out += `\\x${c.toString(16).padStart(2, '0')}`
  }
  return out
}

/** The systemd device unit of a network interface, for After=/BindsTo= in consumers' units. */
export const netDeviceUnit = (ifname: string) => `${systemdEscapePath(`/sys/devices/virtual/net/${ifname}`)}.device`

/** A value in a GKeyFile (NetworkManager keyfile): backslash escapes, a leading space kept. */
export function keyfileValue(value: string | number | boolean): string {
  const s = String(value)
  noLineBreaks(s, 'a keyfile value')
  return s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/^ /, '\\s')
}

/**
 * Names written bare into formats without a quoting rule (ifupdown stanzas, networkd [Match] lists
 * that treat "*?[" as globs, keyfile ids): only characters that mean nothing there.
 */
export function plainName(name: string, target: string): string {
  if (!/^[A-Za-z0-9_.@+-]+$/.test(name)) {
    throw new InvalidInputError(`the ${target} target cannot write the device name "${name}" safely`, {
      code: 'UNSAFE_NAME',
      why: `${target} files have no quoting for names; characters other than letters, digits and _ . @ + - could change their meaning`,
      fix: `rename the device in the config, or use --target sysv or openrc, whose scripts quote every value`,
    })
  }
  return name
}

function noLineBreaks(value: string, what: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\n\r\x00]/.test(value)) throw new InvalidInputError(`${JSON.stringify(value)} cannot go into ${what}: it contains a line break`, {code: 'UNSAFE_VALUE'})
}
