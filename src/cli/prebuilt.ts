/**
 * Output that depends on nothing but the build, printed without oclif from dist/prebuilt.json, which the
 * build writes by running the full path once:
 * - help pages for a stdout that is not a terminal: oclif's own (80 columns, no colour: what oclif prints
 *   to a pipe), served only when oclif would print exactly that (stdout is not a terminal and nothing
 *   asks for colour or another width); otherwise the full path renders help as it always has;
 * - the completion scripts (`tunadm completion bash`, which a shell may run at every start);
 * - the version line (`tunadm --version`, `-v`, `version`).
 * A test compares each with what the full path prints.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {isTerminal, out} from '../render/output'

/** The environment that changes oclif's help: its width, or colour on a pipe (ansis's rules). */
export const CHANGES_HELP = /^(FORCE_COLOR|COLORTERM|TF_BUILD|CI|PM2_HOME|NEXT_RUNTIME|OCLIF_.*|TEAMCI.*)$/

/** Which page argv asks for: '' for the command list, a command word, or undefined (not a plain help request). */
export function helpPage(argv: readonly string[], words: readonly string[]): string | undefined {
  if (argv.length === 0 || (argv.length === 1 && argv[0] === '--help') || (argv.length === 1 && argv[0] === 'help')) return ''
  const [first, second] = argv
  if (argv.length === 2 && second === '--help' && words.includes(first)) return first
  if (argv.length === 2 && first === 'help' && words.includes(second)) return second
  return undefined
}

export interface Prebuilt {
  /** Help pages by command word ('' for the command list); \u0000 stands for the platform and Node version. */
  help: Record<string, string>
  /** The output of `tunadm completion SHELL`, by shell. */
  completion: Record<string, string>
  /** The output of `tunadm --version`, with \u0000 for the platform and Node version. */
  version: string
}

function read(dir: string): Prebuilt | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'prebuilt.json'), 'utf8')) as Prebuilt
  } catch {
    return undefined // not built (run from the sources): the full path answers
  }
}

/** Print the prebuilt answer to argv when it is exactly what the full path would print; false otherwise. */
export function servePrebuilt(argv: readonly string[], dir: string): boolean {
  if (argv.length > 2 || process.env.TUNADM_FULL_OCLIF) return false
  if (argv.length === 2 && argv[0] === 'completion') {
    if (process.env.TUNADM_CONTENT_TYPE !== undefined) return false // that asks for JSON
    const script = read(dir)?.completion[argv[1]]
    if (script === undefined) return false
    out(script)
    return true
  }
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version')) {
    const version = read(dir)?.version
    return version !== undefined && withPlatform(version)
  }
  if (argv.length > 0 && !argv.includes('--help') && argv[0] !== 'help') return false
  if (isTerminal(1) || Object.keys(process.env).some((k) => CHANGES_HELP.test(k))) return false
  const pages = read(dir)?.help
  const page = pages && helpPage(argv, Object.keys(pages).filter(Boolean))
  if (!pages || page === undefined || !(page in pages)) return false
  return withPlatform(pages[page])
}

/** Print text with this machine's platform and Node version in place of \u0000; false if they cannot be known. */
function withPlatform(text: string): boolean {
  if (text.includes('\u0000')) {
    const platform = oclifPlatform()
    if (platform === undefined) return false
    text = text.split('\u0000').join(`${platform} node-${process.version}`)
  }
  out(text)
  return true
}

/**
 * The platform as oclif's version line names it ("linux-x64"; ia32 is "x86"), or undefined where oclif
 * would say something else: it says "wsl" under WSL (a kernel whose release or version names Microsoft).
 */
function oclifPlatform(): string | undefined {
  for (const file of ['/proc/sys/kernel/osrelease', '/proc/version']) {
    try {
      if (/microsoft/i.test(fs.readFileSync(file, 'utf8'))) return undefined
    } catch {
      // not there: nothing says WSL
    }
  }
  return `${process.platform}-${process.arch === 'ia32' ? 'x86' : process.arch}`
}
