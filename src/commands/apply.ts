import {Flags} from '../cli/spec'
import {TunadmCommand} from '../base-command'
import {configFlag, idFlag} from '../config/flags'
import {loadConfig} from '../config/load'
import {ApplyReport, DeviceOutcome, applyConfig} from '../services/apply'
import {describeChange, describeWouldChange, namedChange} from '../render/changes'
import {acquireLock, lockPathFromEnv} from '../services/lock'
import {style, Style} from '../render/style'
import {paragraphs} from '../render/help'
import {tuneForConfig} from '../system/jit'
import {fixTextInNetns} from '../services/in-netns'

/** The plan's (dry run's) last line: whose devices these are. */
export function identityLine(r: ApplyReport): string {
  const from = {id: 'the file\'s id', '--id': '--id', path: 'the file\'s real path', none: 'none: the config is read from a pipe'}[r.identity.from]
  const id = r.identity.id === null ? 'none' : r.identity.id
  return `identity: ${id} (${r.identity.id === null ? from : `from ${from}`}); marker ${JSON.stringify(r.identity.marker)}; link group ${r.linkGroup ?? 'none'}`
}

export function outcomeLine(o: DeviceOutcome, st: Style, dryRun: boolean): string {
  const verb = dryRun ? {created: 'would create', recreated: 'would recreate', changed: 'would change', removed: 'would remove', unchanged: 'unchanged', failed: 'failed', foreign: 'foreign'}[o.action] : o.action
  const mark = o.action === 'failed' || o.action === 'foreign' ? st.bad(verb) : o.action === 'unchanged' ? st.dim(verb) : st.ok(verb)
  // Most lines of a large apply have no changes (unchanged): no arrays made for them.
  const details = o.changes.length === 0 ? '' : o.changes.filter((c) => c.what !== 'device').map(namedChange).map(dryRun ? describeWouldChange : describeChange).join('; ')
  const err = o.error ? `${o.error.message}${o.error.fix ? `\n    fix: ${o.error.fix}` : ''}` : ''
  return `${o.name}: ${mark}${details ? ` (${details})` : ''}${err ? `: ${err}` : ''}`
}

export function summaryLine(r: ApplyReport): string {
  // Counted in one pass over the devices (thousands), not once per action.
  const counts = new Map<string, number>()
  for (let i = 0; i < r.devices.length; i++) counts.set(r.devices[i].action, (counts.get(r.devices[i].action) ?? 0) + 1)
  const count = (a: string) => counts.get(a) ?? 0
  const would: Record<string, string> = {created: 'would be created', recreated: 'would be recreated', changed: 'would change', removed: 'would be removed'}
  const parts = ['created', 'recreated', 'changed', 'removed', 'unchanged', 'foreign', 'failed'].map((a) => [a, count(a)] as const).filter(([, n]) => n > 0)
  const how = r.removedByGroup ? ' (one request)' : ''
  return `${r.dryRun ? 'dry run: ' : ''}${r.devices.length} device(s): ${parts.map(([a, n]) => `${n} ${r.dryRun ? would[a] ?? a : a}`).join(', ') || 'nothing to do'}${how}`
}

/**
 * Run a device-changing report under the apply lock (not for dry runs), printing each device as it is
 * done and a summary. The caller turns failed devices into exit code 1.
 */
export function runLocked(
  say: (text: string) => void,
  opts: {dryRun?: boolean; wait: number; warn?: (text: string) => void; netns?: string},
  work: (onDevice: (o: DeviceOutcome) => void) => ApplyReport,
): ApplyReport {
  const st = style()
  // A device's fix acts in the namespace the command worked in, in the text and in the JSON alike.
  const inNetns = (o: DeviceOutcome) => {
    if (opts.netns !== undefined && typeof o.error?.fix === 'string') o.error.fix = fixTextInNetns(o.error.fix, opts.netns)
    return o
  }
  const lockPath = lockPathFromEnv() // a mistaken TUNADM_LOCK is said on a dry run too
  const lock = opts.dryRun ? undefined : acquireLock(opts.wait, lockPath)
  try {
    const report = work((o) => {
      say(outcomeLine(inNetns(o), st, Boolean(opts.dryRun)))
      if (o.warnings) for (let i = 0; i < o.warnings.length; i++) opts.warn?.(o.warnings[i])
    })
    report.devices.forEach(inNetns)
    say(summaryLine(report))
    if (opts.dryRun) say(identityLine(report))
    for (const w of report.warnings) opts.warn?.(w)
    return report
  } finally {
    lock?.release()
  }
}

export default class Apply extends TunadmCommand {
  static summary = 'Make the devices match the config file: create, correct, and optionally prune.'

  static description = paragraphs(`Creates the devices that are missing, corrects what drifted (owner, group, MAC, MTU,
txqueuelen, flags, addresses, routes) and leaves what matches alone. Devices it manages carry the config's
marker in their interface alias ("tunadm:<id>", the id: key or --id, by default the file's real path) and
sit in the config's link group, so --prune and down remove only the config's devices, never someone
else's. An existing device that is not this config's (made by hand, or by another config) is reported as
foreign and left alone, unless --adopt. A config read from a pipe has no identity unless given one: it may
create and correct devices, but --prune and --adopt need --id.
Mode, pi, vnet_hdr and multi_queue cannot change in place: such a device is reported, and recreated
only with --recreate and while nothing is attached.
Runs one at a time (a lock); an apply killed half-way is completed by the next one. Exit 0 when
nothing failed, 1 when a device failed, 2 when the file is invalid (then nothing is changed).`)

  static examples = [
    {description: 'At boot, or after editing the file', command: 'sudo <%= config.bin %> apply'},
    {description: 'See what would change', command: '<%= config.bin %> apply --dry-run'},
    {description: 'From configuration management, with a report of what changed', command: 'sudo <%= config.bin %> apply --config /etc/tunadm/vmhost.yaml --prune --json'},
    {description: 'A config from a pipe, with an identity so that --prune is safe', command: 'generate-config | sudo <%= config.bin %> apply --config /dev/stdin --id vmhost --prune'},
  ]

  static flags = {
    config: configFlag,
    'dry-run': Flags.boolean({char: 'n', summary: 'Print the plan; change nothing.'}),
    prune: Flags.boolean({summary: 'Remove managed devices that are no longer in the file.'}),
    recreate: Flags.boolean({summary: 'Delete and create again devices whose mode or queue flags differ (only when nothing is attached).'}),
    adopt: Flags.boolean({summary: 'Take over existing devices of the same name that this file does not manage yet (down then removes them too).'}),
    id: idFlag,
    wait: Flags.integer({summary: 'Seconds to wait for another apply to finish.', default: 30, min: 0}),
  }

  async run(): Promise<ApplyReport> {
    const {flags} = await this.parseAndEnter(Apply)
    tuneForConfig(flags.config)
    const config = loadConfig(flags.config)
    const report = runLocked((t) => this.say(t), {dryRun: flags['dry-run'], wait: flags.wait, warn: (w) => this.warnLine(w), netns: flags.netns}, (onDevice) =>
      applyConfig(config, {dryRun: flags['dry-run'], prune: flags.prune, recreate: flags.recreate, adopt: flags.adopt, id: flags.id, onDevice}))
    if (report.failed) this.failed()
    return report
  }
}
