/**
 * The fast path: a hot command started without oclif. It is taken only when cli/parse.ts reads the
 * arguments completely; help, versions, unknown commands and every argument list it declines go to the
 * full oclif path (cli.ts), which answers them as it always has. TUNADM_FULL_OCLIF=1 forces the full path.
 */
import {fastParse} from './parse'
import type {TunadmCommandClass} from './oclif'

export async function runFast(commands: Record<string, TunadmCommandClass>, argv: string[]): Promise<boolean> {
  const [id, ...rest] = argv
  if (id === undefined || process.env.TUNADM_FULL_OCLIF) return false
  const C = Object.hasOwn(commands, id) ? commands[id] : Object.values(commands).find((c) => c.hiddenAliases.includes(id))
  if (!C || rest.some((a) => a === '--help' || a === '-h' || a === '--version')) return false
  const parsed = fastParse(rest, C)
  if (!parsed) return false
  await new C(rest, async () => parsed).execute()
  return true
}
