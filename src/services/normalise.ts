/**
 * Any thrown value as a TunadmError with an exit code and, where we know them, a why and a fix.
 * Errors are classified by their type and code, never by their name's spelling: a malformed kernel
 * reply is an operation that failed (1), not a usage error (2).
 */
import {EXIT_FAILED, EXIT_USAGE, InvalidInputError, TunadmError} from '../errors'
import {isKernelError} from '../kernel/errno'
import {NetlinkParseError} from '../kernel/netlink-codec'
import {explainKernelError} from './explain'

export function normaliseError(e: unknown): TunadmError {
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
      return new InvalidInputError(`missing ${what}`, {code: 'USAGE', fix: 'see --help for the usage and examples'})
    }
    const msg = err.message.split('\n').filter((l) => l.trim() && !/See more help with/.test(l)).map((l) => l.trim()).join('; ')
    return new InvalidInputError(msg.replace(/^The following errors occurred:;\s*/, ''), {code: 'USAGE', fix: 'see --help for the accepted flags and examples'})
  }
  if (err.oclif?.exit !== undefined) return new TunadmError(err.message, {code: err.code ?? 'ERROR', exitCode: err.oclif.exit})
  return new TunadmError(err.message || String(err), {code: err.code ?? 'INTERNAL', exitCode: EXIT_FAILED, why: 'unexpected error (set TUNADM_DEBUG=1 for the stack trace)'})
}
