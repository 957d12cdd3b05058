/** Entry point of the bundle: the command table (oclif's "explicit" strategy) and run(). */
// oclif's runner (configuration, plugins, help) is required only on the full path, below: the fast path
// for the hot commands never loads it.
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

export const COMMANDS = {
  add: Add,
  del: Del,
  doctor: Doctor,
  init: Init,
  list: List,
  show: Show,
  set: SetCommand,
  apply: Apply,
  down: Down,
  completion: Completion,
}

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

/** The commands people run most, and from scripts: started without oclif's Config.load. */
const FAST: ReadonlySet<string> = new Set(['add', 'del', 'delete', 'rm', 'list', 'ls', 'show', 'set', 'apply', 'down'])

/**
 * The fast path: for the hot commands, build the command object directly with a small stand-in for
 * oclif's Config (what Command uses of it: bin, userAgent, environment variable names, hooks) instead of
 * loading the whole configuration (package.json, plugins, the command manifest) at every start. Parsing,
 * flags, errors and output are oclif's and the command's own, so the result is the same byte for byte
 * (a test runs each command both ways). Help, versions and everything else take the full path, as does
 * every run with TUNADM_FULL_OCLIF=1.
 */
async function fastPath(argv: string[], dir: string): Promise<boolean> {
  const [id, ...rest] = argv
  if (!FAST.has(id) || process.env.TUNADM_FULL_OCLIF) return false
  if (rest.some((a) => a === '--help' || a === '-h' || a === '--version')) return false
  const cls = Object.values(COMMANDS).find((c) => c === COMMANDS[id as keyof typeof COMMANDS] || ((c as {hiddenAliases?: string[]}).hiddenAliases ?? []).includes(id))!
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const pkg = require(`${dir}/../package.json`) as {version: string}
  const config = {
    bin: 'tunadm',
    name: 'tunadm',
    version: pkg.version,
    userAgent: `tunadm/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`,
    scopedEnvVar: (k: string) => process.env[`TUNADM_${k}`],
    scopedEnvVarKey: (k: string) => `TUNADM_${k}`,
    scopedEnvVarKeys: (k: string) => [`TUNADM_${k}`],
    runHook: async () => ({successes: [], failures: []}),
  }
  const Cmd = cls as unknown as new (argv: string[], config: unknown) => {id: string; _run(): Promise<unknown>}
  const cmd = new Cmd(rest, config)
  cmd.id = COMMANDS[id as keyof typeof COMMANDS] ? id : Object.keys(COMMANDS).find((k) => COMMANDS[k as keyof typeof COMMANDS] === cls)!
  try {
    await cmd._run()
  } catch (err) {
    // Commands turn their errors into messages and exit codes themselves; this is for the unforeseen.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const {handle} = require('@oclif/core/handle') as typeof import('@oclif/core/handle')
    await handle(err as Error)
  }
  return true
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
  if (argv.includes('--json')) process.stdout.write(JSON.stringify(errorEnvelope(e), null, 2) + '\n')
  else process.stderr.write(formatError(e) + '\n')
  return true
}

export async function run(dir: string): Promise<void> {
  const argv = normaliseArgv(process.argv.slice(2))
  if (unknownCommand(argv)) return
  if (await fastPath(argv, dir)) return
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
    await flush()
  } catch (err) {
    await handle(err as Error)
  }
}
