/**
 * Flag and argument definitions as plain data, with no oclif code behind them: the fast path parses
 * with them (cli/parse.ts) without loading oclif, and the full path turns each into oclif's own flag
 * (cli/oclif.ts), so help and the parsing of anything unusual stay oclif's.
 *
 * The builders are typed as oclif's (type-only imports), so a command's parsed flags are inferred as
 * before; at run time each returns its options with a `kind`.
 */
import type * as OclifFlags from '@oclif/core/flags'
import type * as OclifArgs from '@oclif/core/args'

export type FlagKind = 'string' | 'boolean' | 'integer'

/** What a definition holds at run time (the subset of oclif's options tunadm uses). */
export interface FlagSpec {
  kind: FlagKind
  char?: string
  aliases?: string[]
  multiple?: boolean
  allowNo?: boolean
  options?: readonly string[]
  exclusive?: string[]
  default?: unknown
  min?: number
  max?: number
  summary?: string
  description?: string
  helpGroup?: string
  helpValue?: string
  hidden?: boolean
}

export interface ArgSpec {
  kind: 'string'
  description?: string
  required?: boolean
  options?: readonly string[]
  /** Always true: oclif would otherwise read a left-out argument from stdin (a device name from a pipe). */
  ignoreStdin: true
}

/** The option keys whose semantics the fast parser knows; a definition with any other is refused at build. */
const KNOWN = new Set(['char', 'helpValue', 'aliases', 'multiple', 'allowNo', 'options', 'exclusive', 'default', 'min', 'max', 'summary', 'description', 'helpGroup', 'hidden'])

function define<T>(kind: FlagKind): T {
  return ((options: Record<string, unknown> = {}) => {
    for (const k of Object.keys(options)) if (!KNOWN.has(k)) throw new Error(`flag option "${k}" is not supported by tunadm's parser`)
    if (typeof options.default === 'function') throw new Error('flag defaults must be values')
    return {kind, ...options}
  }) as unknown as T
}

export const Flags = {
  string: define<typeof OclifFlags.string>('string'),
  boolean: define<typeof OclifFlags.boolean>('boolean'),
  integer: define<typeof OclifFlags.integer>('integer'),
}

/**
 * Arguments never come from stdin: oclif reads a left-out argument from a stdin that is not a terminal,
 * so `tunadm add -q --mode tap` inside a `while read` loop would have taken the loop's next line as the
 * device name (and waited 10 ms on every run for a pipe that says nothing).
 */
export const Args = {
  string: ((options: Record<string, unknown> = {}) => ({kind: 'string', ...options, ignoreStdin: true})) as unknown as typeof OclifArgs.string,
}
