/**
 * Errors that reach the user. Every one says what happened, why, and what to do,
 * and carries the exit code documented in the README and tunadm(8) (src/man/facts.ts):
 *   0 success, 1 the operation failed, 2 invalid input or usage, 130 cancelled at a prompt.
 */
export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2
/** Ctrl-C at a prompt: the shell's code for a process ended by SIGINT. */
export const EXIT_CANCELLED = 130

export class TunadmError extends Error {
  readonly exitCode: number
  /** Stable machine-readable code, e.g. "EEXIST" or "INVALID_NAME". */
  readonly code: string
  /** Why it happened, in words. */
  readonly why?: string
  /** What to do about it; may hold commands. */
  readonly fix?: string

  constructor(message: string, opts: {code: string; exitCode?: number; why?: string; fix?: string}) {
    super(message)
    this.name = 'TunadmError'
    this.code = opts.code
    this.exitCode = opts.exitCode ?? EXIT_FAILED
    this.why = opts.why
    this.fix = opts.fix
  }

  toJSON(): Record<string, unknown> {
    return {code: this.code, message: this.message, why: this.why, fix: this.fix, exitCode: this.exitCode}
  }
}

/** Invalid input: detected before anything was changed. Exit code 2. */
export class InvalidInputError extends TunadmError {
  constructor(message: string, opts: {code?: string; why?: string; fix?: string} = {}) {
    super(message, {code: opts.code ?? 'INVALID_INPUT', exitCode: EXIT_USAGE, why: opts.why, fix: opts.fix})
    this.name = 'InvalidInputError'
  }
}
