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
import Import from './commands/import'
import Export from './commands/export'
import {errorEnvelope, formatError} from './base-command'
import {InvalidInputError} from './errors'
import {closest} from './model/closest'
import {toOclif} from './cli/oclif'
import {hoistGlobals, wantsJson} from './cli/argv'
import {usageProblem} from './cli/parse'
// For the build, which renders the prebuilt help without these (scripts/build.mjs).
export {CHANGES_HELP} from './cli/prebuilt'
import {err, out, routeProcessOutput} from './render/output'

const PLAIN = {add: Add, del: Del, doctor: Doctor, init: Init, list: List, show: Show, set: SetCommand, apply: Apply, down: Down, completion: Completion, import: Import, export: Export}

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
  if (first === 'help' && rest.length === 0) return ['--help']
  if (first === 'help' && rest.length === 1 && commandWords().includes(rest[0])) return [rest[0], '--help']
  return argv
}

const PLAIN_BY_WORD = (word: string) => Object.entries(PLAIN).find(([id, C]) => id === word || C.hiddenAliases.includes(word))

/**
 * What the command line gets wrong before any command runs: no command, an unknown one (with the
 * nearest), words after --version or help CMD, a value given to a switch, words beyond a command's
 * arguments. Said here, plainly and as JSON under --json, rather than in oclif's words (or not at all:
 * oclif reads `list tun77` as a command "list:tun77", and `del x --force=yes` as a device "yes").
 */
export function preflight(argv: string[]): InvalidInputError | undefined {
  const [first, ...rest] = argv
  if (first === undefined || first === '--help') return undefined
  if (first === '--version') {
    return rest.length === 0 ? undefined : new InvalidInputError(`--version takes nothing else (got ${rest.map((w) => `"${w}"`).join(', ')})`, {code: 'USAGE', fix: 'tunadm --version'})
  }
  if (first === 'help') {
    const unknown = rest.find((w) => !commandWords().includes(w)) ?? rest[1]
    const near = closest(unknown, commandWords())
    return new InvalidInputError(rest.length > 1 && commandWords().includes(rest[0]) ? `help takes one command (got ${rest.map((w) => `"${w}"`).join(', ')})` : `there is no command "${unknown}"${near ? `; did you mean "${near}"?` : ''}`, {
      code: rest.length > 1 && commandWords().includes(rest[0]) ? 'USAGE' : 'UNKNOWN_COMMAND', fix: `the commands are: ${Object.keys(COMMANDS).join(', ')}; see tunadm help COMMAND`,
    })
  }
  if (first.startsWith('-')) {
    if (argv[argv.length - 1] === '--netns') return new InvalidInputError('--netns needs a value: the name of a network namespace', {code: 'USAGE', fix: 'tunadm --netns NAME COMMAND; see ip netns list'})
    const onlyGlobals = argv.every((w, i) => /^(--json|--netns(=.*)?)$/.test(w) || argv[i - 1] === '--netns')
    return new InvalidInputError(onlyGlobals ? 'no command given' : `"${first}" is not a flag tunadm takes before a command`, {
      code: 'USAGE',
      why: onlyGlobals ? undefined : 'before the command come only --json (-j), --netns (-n) NAME, --help (-h) and --version (-v)',
      fix: `put the command first, e.g. tunadm ${onlyGlobals ? argv.join(' ') + ' ' : ''}list; the commands are: ${Object.keys(COMMANDS).join(', ')}`,
    })
  }
  const found = PLAIN_BY_WORD(first)
  if (!found) {
    const near = closest(first, commandWords())
    return new InvalidInputError(`there is no command "${first}"${near ? `; did you mean "${near}"?` : ''}`, {
      code: 'UNKNOWN_COMMAND', fix: `the commands are: ${Object.keys(COMMANDS).join(', ')}; see tunadm --help`,
    })
  }
  const end = rest.indexOf('--')
  if (rest.some((w, i) => w === '--help' && (end === -1 || i < end))) return undefined // oclif's help
  return usageProblem(first, rest, found[1])
}

function refuse(e: InvalidInputError, json: boolean): void {
  process.exitCode = e.exitCode
  if (json) out(JSON.stringify(errorEnvelope(e), null, 2) + '\n')
  else err(formatError(e) + '\n')
}

export async function run(dir: string): Promise<void> {
  routeProcessOutput() // oclif's output through the same writer as tunadm's: one way to fail
  const raw = process.argv.slice(2)
  const argv = normaliseArgv(hoistGlobals(raw))
  const problem = preflight(argv)
  if (problem) return refuse(problem, wantsJson(raw) || process.env.TUNADM_CONTENT_TYPE?.toLowerCase() === 'json')
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
  await flush() // what oclif itself printed (help, versions) through process.stdout
}
