/** `tunadm export`: the kernel's TUN/TAP devices as a tunadm config (see capture.ts for what is written). */
import {TunadmError} from '../errors'
import {compareNames} from '../model/natural'
import {Captured, CaptureNote, CapturedLink, capture} from './capture'
import {Entry, collapse, hasKey, renderYaml, validEntries} from './emit'

export interface ExportResult {
  devices: Entry[]
  /** What the config does not say about a device, by device: also written as comments. */
  notes: CaptureNote[]
  yaml: string
}

export interface ExportOptions {
  names?: string[]
  netns?: string
  /** No ranges: one entry per device. */
  noRanges?: boolean
}

export function exportLinks(links: CapturedLink[], opts: ExportOptions, names: {userName(uid: number): string | undefined; groupName(gid: number): string | undefined}): ExportResult {
  let selected = links
  if (opts.names?.length) {
    const have = new Map(links.map((l) => [l.name, l]))
    const missing = opts.names.filter((n) => !have.has(n))
    if (missing.length) {
      throw new TunadmError(`there is no TUN/TAP device named ${missing.join(', ')}${opts.netns ? ` in network namespace ${opts.netns}` : ''}`, {
        code: 'ENODEV', fix: 'tunadm list shows the TUN/TAP devices there are',
      })
    }
    selected = [...new Set(opts.names)].map((n) => have.get(n)!)
  } else selected = [...links].sort((a, b) => compareNames(a.name, b.name))
  const captured: Captured = capture(selected, {...names, hasKey})
  const notes = [...captured.notes]
  const valid = validEntries(captured.entries.map((entry) => ({entry})), ({entry}, message) => notes.push({device: entry.name, message}))
  const {entries, members} = opts.noRanges ? {entries: valid, members: new Map<string, string[]>()} : collapse(valid)
  const yaml = renderYaml(entries, {
    header: [
      `Captured by tunadm export${opts.netns ? ` --netns ${opts.netns}` : ''}: the TUN/TAP devices the kernel has${opts.names?.length ? ` (${opts.names.join(', ')})` : ''}.`,
      'Review it, then: tunadm apply --adopt --dry-run --config FILE',
    ],
    notes,
    members,
  })
  return {devices: entries, notes, yaml}
}
