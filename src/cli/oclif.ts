/**
 * The full path's side of a command: an oclif Command made from a tunadm command, with oclif's own
 * flag and argument objects made from the definitions of cli/spec.ts. oclif parses (and reports what it
 * cannot parse), renders help and dispatches; the tunadm command does the rest, exactly as on the fast path.
 */
import {Command} from '@oclif/core/command'
import * as OclifFlags from '@oclif/core/flags'
import * as OclifArgs from '@oclif/core/args'
import {CLIError} from '@oclif/core/errors'
import type {ArgSpec, FlagSpec} from './spec'
import type {ParsedInput, TunadmCommand} from '../base-command'

export type TunadmCommandClass = (new (argv: string[], parse: () => Promise<ParsedInput>) => TunadmCommand) & typeof TunadmCommand

function oclifFlags(specs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(specs as Record<string, FlagSpec>).map(([name, {kind, ...options}]) => {
    const make = OclifFlags[kind] as (o: object) => unknown
    return [name, make(kind === 'integer' ? {...options, parse: exactInteger(name)} : options)]
  }))
}

/**
 * oclif's integer parsing, except that a number too long to be held exactly (20 digits) is refused as
 * written, instead of going on as a nearby number that the error would then show.
 */
function exactInteger(name: string) {
  return async (input: string, _ctx: unknown, opts: {min?: number; max?: number}): Promise<number> => {
    if (!/^-?\d+$/.test(input)) throw new CLIError(`Expected an integer but received: ${input}`)
    const num = Number.parseInt(input, 10)
    if (!Number.isSafeInteger(num)) throw new CLIError(`--${name} ${input} is out of range: it has more digits than any value tunadm accepts`)
    if (opts.min !== undefined && num < opts.min) throw new CLIError(`Expected an integer greater than or equal to ${opts.min} but received: ${input}`)
    if (opts.max !== undefined && num > opts.max) throw new CLIError(`Expected an integer less than or equal to ${opts.max} but received: ${input}`)
    return num
  }
}

function oclifArgs(specs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(specs as Record<string, ArgSpec>).map(([name, {kind: _kind, ...options}]) => [name, OclifArgs.string(options)]))
}

export function toOclif(C: TunadmCommandClass): typeof Command {
  class Adapted extends Command {
    static summary = C.summary
    static description = C.description
    static examples = C.examples ?? []
    static strict = C.strict
    static hiddenAliases = C.hiddenAliases
    static enableJsonFlag = C.enableJsonFlag
    static baseFlags = oclifFlags(C.baseFlags) as typeof Command.baseFlags
    static flags = oclifFlags(C.flags) as typeof Command.flags
    static args = oclifArgs(C.args) as typeof Command.args

    async run(): Promise<void> {
      this.parsed = true
      const parse = async () => (await this.parse(Adapted)) as unknown as ParsedInput
      await new C(this.argv, parse).execute()
    }
  }
  return Adapted
}
