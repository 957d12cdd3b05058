/** Any thrown value as a TunadmError with an exit code and, where we know them, a why and a fix. */
import {EXIT_FAILED, EXIT_USAGE, InvalidInputError, TunadmError} from '../errors'
import {isKernelError} from '../kernel/errno'
import {explainKernelError} from './explain'

export function normaliseError(e: unknown): TunadmError {
  const err = (e instanceof Error ? e : new Error(String(e))) as Error & {oclif?: {exit?: number}; code?: string}
  if (err instanceof TunadmError) return err
  if (isKernelError(err)) return explainKernelError(err, {action: err.op}) as TunadmError
  if (err.oclif?.exit === EXIT_USAGE || err.name === 'FailedFlagValidationError' || /Parse|Flag|Arg/.test(err.name)) {
    const msg = err.message.split('\n').filter((l) => l.trim() && !/See more help with/.test(l)).map((l) => l.trim()).join('; ')
    return new InvalidInputError(msg.replace(/^The following errors occurred:;\s*/, ''), {code: 'USAGE', fix: 'see --help for the accepted flags and examples'})
  }
  if (err.oclif?.exit !== undefined) return new TunadmError(err.message, {code: err.code ?? 'ERROR', exitCode: err.oclif.exit})
  return new TunadmError(err.message || String(err), {code: err.code ?? 'INTERNAL', exitCode: EXIT_FAILED, why: 'unexpected error (set TUNADM_DEBUG=1 for the stack trace)'})
}

