/**
 * The fast path: a hot command started without oclif. It is taken only when cli/parse.ts reads the
 * arguments completely; help, versions, unknown commands and every argument list it declines go to the
 * full oclif path (cli.ts), which answers them as it always has. TUNADM_FULL_OCLIF=1 forces the full path.
 */
import {fastParse} from './parse'
import type {TunadmCommandClass} from './oclif'
import {servePrebuilt} from './prebuilt'
import {hoistGlobals} from './argv'

/**
 * The run() of a fast bundle: a prebuilt page if argv asks for one (true), else one of `commands` if the
 * fast parser reads argv (the process ends when it has run). False: the full path (dist/cli.js) must
 * answer. `dir` holds prebuilt.json.
 */
export async function runBundle(commands: Record<string, TunadmCommandClass>, raw: string[], dir: string): Promise<boolean> {
  const argv = hoistGlobals(raw)
  return servePrebuilt(argv, dir) || runFast(commands, argv)
}

/** One of `commands` run and the process ended with its exit code; false when the fast parser declines argv. */
export async function runFast(commands: Record<string, TunadmCommandClass>, argv: string[]): Promise<false> {
  const [id, ...rest] = argv
  if (id === undefined || process.env.TUNADM_FULL_OCLIF) return false
  const C = Object.hasOwn(commands, id) ? commands[id] : Object.values(commands).find((c) => c.hiddenAliases.includes(id))
  if (!C || rest.some((a) => a === '--help' || a === '-h' || a === '--version')) return false
  const parsed = fastParse(rest, C)
  if (!parsed) return false
  await new C(rest, async () => parsed).execute()
  // The command is done and its output written (or waiting in the 'exit' handler that writes it): end
  // the process here, with its exit code, rather than let Node take its heap down piece by piece (the
  // kernel frees it at once). After a list of 1000 devices: half the munmap calls, and 2-5 ms less CPU
  // in interleaved runs. A fast command has nothing left for the event loop once run() has returned.
  process.exit()
}
