/**
 * Global flags as iproute2 users type them: `tunadm -n blue list`, `tunadm --json list`, `tunadm -h`.
 * Before the command word only the global flags may stand (--json/-j, --netns/-n NAME, --help/-h); they
 * are moved to just after the command word, in their long forms, so that both parsers (the fast one and
 * oclif's) read one command line. After the command word -j and -n are the flags' own short forms
 * (-n only where the command does not use -n itself: apply, set and down take -n for --dry-run), and
 * -h is --help anywhere before `--`, as oclif reads --help.
 * Small and free of imports: both bundles call it first.
 */

/** The command line with the leading global flags after the command word, and -h as --help. */
export function hoistGlobals(argv: readonly string[]): string[] {
  const lead: string[] = []
  let i = 0
  for (; i < argv.length; i++) {
    const t = argv[i]
    if (t === '--json' || t === '-j') lead.push('--json')
    else if (t === '--help' || t === '-h') lead.push('--help')
    else if ((t === '--netns' || t === '-n') && i + 1 < argv.length) lead.push('--netns', argv[++i])
    else if (t.startsWith('--netns=')) lead.push(t)
    else break
  }
  const rest = argv.slice(i)
  const end = rest.indexOf('--')
  const helpAsLong = (t: string, k: number) => (t === '-h' && (end === -1 || k < end) ? '--help' : t)
  const tail = rest.map(helpAsLong)
  if (tail.length === 0) return lead
  // `tunadm --help list` is the help of list, as `tunadm list --help` is.
  return [tail[0], ...lead, ...tail.slice(1)]
}

/** Whether the line asks for JSON: --json or -j before any `--`. */
export function wantsJson(argv: readonly string[]): boolean {
  for (const t of argv) {
    if (t === '--') return false
    if (t === '--json' || t === '-j') return true
  }
  return false
}
