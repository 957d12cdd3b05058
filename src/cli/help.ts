/**
 * Help pages for a stdout that is not a terminal, without oclif: the build renders oclif's own pages once
 * (80 columns, no colour: what oclif prints to a pipe) into dist/help.json. They are served only when
 * oclif would print exactly that: stdout is not a terminal and nothing asks for colour or another width;
 * otherwise, and for any other form of asking, the full path renders help as it always has.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {isTerminal, out} from '../render/output'

/** The environment that changes oclif's help: its width, or colour on a pipe (ansis's rules). */
const CHANGES_HELP = /^(FORCE_COLOR|COLORTERM|TF_BUILD|CI|PM2_HOME|NEXT_RUNTIME|OCLIF_.*|TEAMCI.*)$/

/** Which page argv asks for: '' for the command list, a command word, or undefined (not a plain help request). */
export function helpPage(argv: readonly string[], words: readonly string[]): string | undefined {
  if (argv.length === 0 || (argv.length === 1 && argv[0] === '--help') || (argv.length === 1 && argv[0] === 'help')) return ''
  const [first, second] = argv
  if (argv.length === 2 && second === '--help' && words.includes(first)) return first
  if (argv.length === 2 && first === 'help' && words.includes(second)) return second
  return undefined
}

/** Print the prebuilt page when that is what oclif would print; false when it is not (the full path renders it). */
export function servePrebuiltHelp(argv: readonly string[], dir: string): boolean {
  if (argv.length > 2 || (argv.length > 0 && !argv.includes('--help') && argv[0] !== 'help')) return false
  if (isTerminal(1) || process.env.TUNADM_FULL_OCLIF || Object.keys(process.env).some((k) => CHANGES_HELP.test(k))) return false
  let pages: Record<string, string>
  try {
    pages = JSON.parse(fs.readFileSync(path.join(dir, 'help.json'), 'utf8')) as Record<string, string>
  } catch {
    return false // not built (run from the sources): oclif renders it
  }
  const page = helpPage(argv, Object.keys(pages).filter(Boolean))
  if (page === undefined || !(page in pages)) return false
  out(pages[page].split('\u0000').join(`${process.platform}-${process.arch} node-${process.version}`))
  return true
}
