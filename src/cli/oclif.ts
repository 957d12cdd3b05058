/**
 * The full path's side of a command: an oclif Command made from a tunadm command, with oclif's own
 * flag and argument objects made from the definitions of cli/spec.ts. oclif parses (and reports what it
 * cannot parse), renders help and dispatches; the tunadm command does the rest, exactly as on the fast path.
 */
import {Command} from '@oclif/core/command'
import * as OclifFlags from '@oclif/core/flags'
import * as OclifArgs from '@oclif/core/args'
import type {ArgSpec, FlagSpec} from './spec'
import type {ParsedInput, TunadmCommand} from '../base-command'

export type TunadmCommandClass = (new (argv: string[], parse: () => Promise<ParsedInput>) => TunadmCommand) & typeof TunadmCommand

function oclifFlags(specs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(specs as Record<string, FlagSpec>).map(([name, {kind, ...options}]) => {
    const make = OclifFlags[kind] as (o: object) => unknown
    return [name, make(options)]
  }))
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
