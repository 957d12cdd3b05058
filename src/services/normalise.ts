/**
 * Any thrown value as a TunadmError with an exit code and, where we know them, a why and a fix.
 * Errors are classified by their type and code, never by their name's spelling: a malformed kernel
 * reply is an operation that failed (1), not a usage error (2).
 */
import {EXIT_FAILED, EXIT_USAGE, InvalidInputError, TunadmError} from '../errors'
import {isKernelError} from '../kernel/errno'
import {NetlinkParseError} from '../kernel/netlink-codec'
import {explainKernelError} from './explain'

/** The command line an error came from: its words and its flag definitions (to say which flag took a word). */
export interface CommandLine {
  argv: readonly string[]
  flags: Record<string, {kind?: string; multiple?: boolean; char?: string; aliases?: string[]}>
}

/**
 * A repeatable flag takes every word after it up to the next flag (oclif's rule), so in
 * `set --address 10.0.0.1/24 tap0` the device name became a second address. The last such word (the
 * name is written last).
 */
export function wordTakenByFlag(line: CommandLine): {flag: string; word: string} | undefined {
  const byName = new Map<string, string>()
  for (const [name, f] of Object.entries(line.flags)) {
    byName.set(`--${name}`, name)
    for (const a of f.aliases ?? []) byName.set(`--${a}`, name)
    if (f.char) byName.set(`-${f.char}`, name)
  }
  let current: string | undefined
  let taken = 0
  let last: {flag: string; word: string} | undefined
  for (const word of line.argv) {
    if (word === '--') return last
    if (word.startsWith('-') && word !== '-') {
      const [key, inline] = word.split(/=(.*)/s)
      const name = byName.get(key)
      const f = name ? line.flags[name] : undefined
      current = f && f.kind !== 'boolean' ? name : undefined
      taken = inline !== undefined ? 1 : 0
      continue
    }
    if (current === undefined) continue
    taken++
    if (taken > 1 && line.flags[current].multiple) last = {flag: current, word}
    if (!line.flags[current].multiple) current = undefined
  }
  return last
}

export function normaliseError(e: unknown, line?: CommandLine): TunadmError {
  const err = (e instanceof Error ? e : new Error(String(e))) as Error & {oclif?: {exit?: number}; code?: string}
  if (err instanceof TunadmError) return err
  if (isKernelError(err)) return explainKernelError(err, {action: err.op}) as TunadmError
  if (err instanceof NetlinkParseError) {
    return new TunadmError(err.message, {code: 'NETLINK_MALFORMED', why: 'the kernel\'s reply did not have the layout tunadm expects; nothing more was changed after it', fix: 'report it with the output of: uname -r; tunadm --version'})
  }
  // oclif marks the errors of parsing the command line (unknown flag, missing argument, bad value) with exit 2.
  if (err.oclif?.exit === EXIT_USAGE) {
    // A missing argument: oclif's text ("Missing 1 required arg:\nname  Device names.") said plainly.
    const missing = (err as {args?: Array<{name: string; description?: string}>}).args
    if (/^Missing \d+ required arg/.test(err.message) && missing?.length) {
      const what = missing.map((a) => `${a.name.toUpperCase()}${a.description ? ` (${a.description.replace(/\.$/, '').toLowerCase()})` : ''}`).join(', ')
      const taken = line && wordTakenByFlag(line)
      if (taken) {
        return new InvalidInputError(`missing ${what}: --${taken.flag} took "${taken.word}" as one more of its values`, {
          code: 'USAGE', why: `--${taken.flag} is repeatable, and a repeatable flag takes every word after it up to the next flag`,
          fix: `write ${missing.map((a) => a.name.toUpperCase()).join(' ')} before the flags, or give each value as --${taken.flag}=VALUE`,
        })
      }
      return new InvalidInputError(`missing ${what}`, {code: 'USAGE', fix: 'see --help for the usage and examples'})
    }
    const msg = err.message.split('\n').filter((l) => l.trim() && !/See more help with/.test(l)).map((l) => l.trim()).join('; ')
    return new InvalidInputError(msg.replace(/^The following errors occurred:;\s*/, ''), {code: 'USAGE', fix: 'see --help for the accepted flags and examples'})
  }
  if (err.oclif?.exit !== undefined) return new TunadmError(err.message, {code: err.code ?? 'ERROR', exitCode: err.oclif.exit})
  return new TunadmError(err.message || String(err), {code: err.code ?? 'INTERNAL', exitCode: EXIT_FAILED, why: 'unexpected error (set TUNADM_DEBUG=1 for the stack trace)'})
}
