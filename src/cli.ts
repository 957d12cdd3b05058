/**
 * Entry point of the full bundle (dist/cli.js): the command table (oclif's "explicit" strategy) and run().
 * bin/run.js comes here for help, versions, the commands that are not hot, and whatever the fast path
 * (fast.ts, dist/fast.js) declined to parse.
 */
import Add from './commands/add'
import Del from './commands/del'
import Doctor from './commands/doctor'
import Init from './commands/init'
import List from './commands/list'
import Show from './commands/show'
import SetCommand from './commands/set'
import Apply from './commands/apply'
import Down from './commands/down'
import Completion from './commands/completion'
import {errorEnvelope, formatError} from './base-command'
import {InvalidInputError} from './errors'
import {closest} from './model/closest'
import {toOclif} from './cli/oclif'
// For the build, which renders the prebuilt help without these (scripts/build.mjs).
export {CHANGES_HELP} from './cli/prebuilt'
import {err, out} from './render/output'

const PLAIN = {add: Add, del: Del, doctor: Doctor, init: Init, list: List, show: Show, set: SetCommand, apply: Apply, down: Down, completion: Completion}

export const COMMANDS = Object.fromEntries(Object.entries(PLAIN).map(([id, C]) => [id, toOclif(C)])) as Record<keyof typeof PLAIN, ReturnType<typeof toOclif>>

/** Every word that names a command: ids and aliases. */
function commandWords(): string[] {
  return Object.entries(COMMANDS).flatMap(([id, cls]) => [id, ...((cls as {hiddenAliases?: string[]}).hiddenAliases ?? [])])
}

/**
 * What people type that oclif does not take as it is: `help CMD` (oclif reads "help:CMD"), `-v` and
 * `version`. Anything else goes to oclif unchanged.
 */
export function normaliseArgv(argv: string[]): string[] {
  const [first, ...rest] = argv
  if (first === '-v' || first === 'version') return ['--version', ...rest]
  if (first === 'help') return rest.length && commandWords().includes(rest[0]) ? [rest[0], '--help'] : ['--help']
  return argv
}

/** An unknown command: one clear error with the nearest command, as JSON under --json; exit 2. */
function unknownCommand(argv: string[]): boolean {
  const [first] = argv
  if (first === undefined || first.startsWith('-') || commandWords().includes(first)) return false
  const near = closest(first, commandWords())
  const e = new InvalidInputError(`there is no command "${first}"${near ? `; did you mean "${near}"?` : ''}`, {
    code: 'UNKNOWN_COMMAND', fix: `the commands are: ${Object.keys(COMMANDS).join(', ')}; see tunadm --help`,
  })
  process.exitCode = e.exitCode
  if (argv.includes('--json')) out(JSON.stringify(errorEnvelope(e), null, 2) + '\n')
  else err(formatError(e) + '\n')
  return true
}

export async function run(dir: string): Promise<void> {
  const argv = normaliseArgv(process.argv.slice(2))
  if (unknownCommand(argv)) return
  /* eslint-disable @typescript-eslint/no-var-requires */
  const {run: oclifRun} = require('@oclif/core/run') as typeof import('@oclif/core/run')
  const {flush} = require('@oclif/core/flush') as typeof import('@oclif/core/flush')
  const {handle} = require('@oclif/core/handle') as typeof import('@oclif/core/handle')
  const {settings} = require('@oclif/core/settings') as typeof import('@oclif/core/settings')
  /* eslint-enable @typescript-eslint/no-var-requires */
  // The bundle is compiled: oclif must never look for TypeScript sources (it would under NODE_ENV=test or
  // development, and warn to every user that typescript is missing).
  settings.enableAutoTranspile = false
  try {
    // No user-installed plugins: tunadm runs as root and as users whose HOME may not be theirs (sudo).
    await oclifRun(argv, {root: dir, userPlugins: false})
  } catch (error) {
    await handle(error as Error)
  }
  try {
    await flush() // what oclif itself printed (help, versions) through process.stdout
  } catch (error) {
    err(`tunadm: cannot write the output: ${(error as Error).message}\n`)
    process.exitCode = 1
  }
}
