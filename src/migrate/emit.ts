/**
 * From gathered drafts to a tunadm config: the rules of the config applied (what breaks one is reported
 * and left out, never bent), runs collapsed into ranges, and YAML text that the loader accepts (checked
 * by loading it). Shared by import and export. Pure, apart from the loader's lazy YAML module.
 */
import {DEVICE_KEYS} from '../config/keys'
import {ConfigError, parseConfig} from '../config/load'
import {Collector, Draft, Finding} from './draft'
import {collapseRanges} from './ranges'

/** A device entry as it will be written: config keys in DEVICE_KEYS order. */
export type Entry = Record<string, unknown> & {name: string}

/** Whether this build's config has a setting (master arrives with bridge ports). */
export function hasKey(key: string): boolean {
  return (DEVICE_KEYS as readonly string[]).includes(key)
}

const SETTING_ORDER = ['mode', 'user', 'group', 'any_user', 'pi', 'vnet_hdr', 'multi_queue', 'mac', 'mtu', 'txqueuelen', 'up', 'promisc', 'allmulti', 'arp', 'multicast', 'master'] as const

/** One draft as a config entry, or undefined (with findings) when it cannot be one. */
export function entryOf(d: Draft, c: Collector): Entry | undefined {
  const s = d.settings
  const e: Entry = {name: d.name}
  for (const k of SETTING_ORDER) {
    if (k === 'any_user') {
      if (s.user === undefined && s.group === undefined) e.any_user = true
      continue
    }
    const v = s[k]
    if (v === undefined) continue
    if (!hasKey(k)) {
      c.untranslated(v.at, `${k} ${String(v.value)}: this version of tunadm has no ${k} setting`, d.name)
      continue
    }
    if (k === 'mac' && s.mode?.value === 'tun') {
      c.untranslated(v.at, `a MAC address on ${d.name}, a TUN device: TUN devices have none`, d.name)
      continue
    }
    // Creation flags are off unless written: false says nothing more.
    if ((k === 'pi' || k === 'vnet_hdr' || k === 'multi_queue') && v.value === false) continue
    e[k] = v.value
  }
  const fam = (a: {local: string}) => (a.local.includes(':') ? 6 : 4)
  const peered = d.addresses.filter((a) => a.peer)
  let addresses = d.addresses
  let peer: string | undefined
  if (peered.length > 0 && s.mode?.value === 'tap') {
    for (const a of peered) c.untranslated(a.at, `${a.local.split('/')[0]} peer ${a.peer} on ${d.name}, a TAP device: tunadm writes peers only on TUN devices; give the address a prefix length instead`, d.name)
    addresses = addresses.filter((a) => !a.peer)
  } else if (peered.length > 0) {
    const [keep, ...extra] = peered
    const dropped = [...extra, ...d.addresses.filter((a) => !a.peer && fam(a) === fam(keep))]
    for (const a of dropped) {
      c.untranslated(a.at, `${a.local}${a.peer ? ` peer ${a.peer}` : ''} on ${d.name}: a tunadm device has one peer, paired with its one address of that family (${keep.local.split('/')[0]} peer ${keep.peer}); add this address by hand where it is needed`, d.name)
    }
    addresses = addresses.filter((a) => !dropped.includes(a))
    peer = keep.peer
  }
  if (addresses.length) e.addresses = addresses.map((a) => a.local)
  if (peer) e.peer = peer.replace(/\/(32|128)$/, (m, len) => ((peer!.includes(':') ? '128' : '32') === len ? '' : m))
  if (d.routes.length) {
    if (e.up !== true) {
      for (const r of d.routes) c.untranslated(r.at, `route to ${r.to} via ${d.name}, which these files do not set up: the kernel keeps routes only through a device that is up`, d.name)
    } else e.routes = d.routes.map((r) => ({to: r.to, ...(r.via !== undefined ? {via: r.via} : {}), ...(r.metric !== undefined ? {metric: r.metric} : {})}))
  }
  // Keys in the config's documented order.
  const ordered: Entry = {name: e.name}
  for (const k of [...DEVICE_KEYS, 'master']) if (k !== 'name' && e[k] !== undefined) ordered[k] = e[k]
  return ordered
}

/**
 * Check each entry with the loader (one device at a time, so one bad device does not hide the others):
 * an entry the loader refuses is left out, and `refused` told why.
 */
export function validEntries<T extends {entry: Entry}>(entries: T[], refused: (item: T, message: string) => void): Entry[] {
  const ok: Entry[] = []
  for (const item of entries) {
    try {
      parseConfig(renderYaml([item.entry], {}), '(generated)')
      ok.push(item.entry)
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e
      for (const p of e.problems) refused(item, `${item.entry.name} is left out: ${p.message.replace(/; expected/, '; tunadm expects')}`)
    }
  }
  return ok
}

/** Entries after ranges, with the device names each stands for. */
export interface Collapsed {
  entries: Entry[]
  members: Map<string, string[]>
}

export function collapse(entries: Entry[]): Collapsed {
  const members = new Map<string, string[]>()
  const out = collapseRanges(entries).map(({members: m, ...e}) => {
    members.set(e.name, m ?? [e.name])
    return e as Entry
  })
  return {entries: out, members}
}

export function toEntries(c: Collector): Collapsed {
  const drafts = [...c.devices.values()].filter((d) => d.created)
  const entries = drafts.map((d) => ({entry: entryOf(d, c), draft: d})).filter((x): x is {entry: Entry; draft: Draft} => x.entry !== undefined)
  const valid = validEntries(entries, ({draft}, message) => c.untranslated(draft.created ?? draft.seen, message, draft.name))
  return collapse(valid)
}

export interface RenderOptions {
  /** Comment lines at the top (without "# "). */
  header?: string[]
  /** Findings, written as comments above their device (or at the top when about no device). */
  findings?: Finding[]
  skipped?: Finding[]
  /** Notes without a place in a file (export), above their device. */
  notes?: Array<{device?: string; message: string}>
  /** The device names an entry stands for (a range), to place findings and notes. */
  members?: Map<string, string[]>
}

const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i

export function yamlScalar(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  const s = String(v)
  if (/^[A-Za-z_][A-Za-z0-9_.@+-]*$/.test(s) && !RESERVED.test(s)) return s
  return JSON.stringify(s)
}

// eslint-disable-next-line no-control-regex
const commentText = (s: string) => s.replace(/[\x00-\x1f\x7f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)

export function findingText(f: Finding): string {
  return `${f.file}:${f.line}: ${f.message}`
}

/** YAML for the entries, with comments. */
export function renderYaml(entries: Entry[], opts: RenderOptions): string {
  const lines: string[] = []
  const namesOf = (e: Entry) => opts.members?.get(e.name) ?? [e.name]
  const placed = new Set(entries.flatMap(namesOf))
  for (const h of opts.header ?? []) lines.push(`# ${commentText(h)}`.trimEnd())
  const general = (opts.findings ?? []).filter((f) => f.device === undefined || !placed.has(f.device))
  const looseNotes = (opts.notes ?? []).filter((n) => n.device === undefined || !placed.has(n.device))
  if (general.length) {
    lines.push('#', '# Not translated:')
    for (const f of general) lines.push(`#   ${commentText(findingText(f))}`)
  }
  if (looseNotes.length) {
    lines.push('#', '# Not written:')
    for (const n of looseNotes) lines.push(`#   ${commentText(n.message)}`)
  }
  if (opts.skipped?.length) {
    lines.push('#', '# Not TUN/TAP devices of these files (left alone):')
    for (const f of opts.skipped) lines.push(`#   ${commentText(findingText(f))}`)
  }
  lines.push('version: 1')
  if (entries.length === 0) {
    lines.push('devices: []')
    return lines.join('\n') + '\n'
  }
  lines.push('devices:')
  for (const e of entries) {
    const names = new Set(namesOf(e))
    for (const f of (opts.findings ?? []).filter((x) => x.device !== undefined && names.has(x.device))) lines.push(`  # not translated: ${commentText(findingText(f))}`)
    for (const n of (opts.notes ?? []).filter((x) => x.device !== undefined && names.has(x.device))) lines.push(`  # ${commentText(n.message)}`)
    let first = true
    for (const [k, v] of Object.entries(e)) {
      const lead = first ? '  - ' : '    '
      first = false
      if (k === 'routes') {
        lines.push(`${lead}routes:`)
        for (const r of v as Array<Record<string, unknown>>) lines.push(`      - {${Object.entries(r).map(([rk, rv]) => `${rk}: ${yamlScalar(rv)}`).join(', ')}}`)
      } else if (Array.isArray(v)) lines.push(`${lead}${k}: [${v.map(yamlScalar).join(', ')}]`)
      else lines.push(`${lead}${k}: ${k === 'name' && /[{}]/.test(String(v)) ? JSON.stringify(v) : yamlScalar(v)}`)
    }
  }
  return lines.join('\n') + '\n'
}
