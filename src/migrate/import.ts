/**
 * `tunadm import FILE...`: the configurations of the tools tunadm replaces, read into one tunadm config.
 * Each file's kind is known from its name (.netdev, .network, .link, .nmconnection) or its content
 * (ifupdown stanzas; anything else is read as a shell script). A directory stands for its files.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {InvalidInputError, TunadmError} from '../errors'
import {maxConfigBytes, readCapped} from '../config/read'
import {Collector, Finding} from './draft'
import {Entry, renderYaml, toEntries} from './emit'
import {importIfupdown} from './ifupdown'
import {importNetworkd, SourceFile} from './networkd'
import {importNm} from './nm'
import {translateScript} from './shell'

export type SourceKind = 'networkd' | 'nm' | 'ifupdown' | 'script'

export interface ImportResult {
  /** The files read, with the kind each was read as. */
  sources: Array<{file: string; kind: SourceKind}>
  devices: Entry[]
  /** What could not be translated: FILE:LINE and why. */
  untranslated: Finding[]
  /** What the files describe that is not a TUN/TAP device: left alone. */
  skipped: Finding[]
  /** The config, as YAML the loader accepts. */
  yaml: string
}

export function kindOf(file: string, text: string): SourceKind {
  if (/\.(netdev|network|link)$/.test(file)) return 'networkd'
  if (file.endsWith('.nmconnection') || /^\s*\[connection\]\s*$/m.test(text)) return 'nm'
  if (/^\s*iface\s+\S+\s+\S+/m.test(text) || path.basename(file) === 'interfaces') return 'ifupdown'
  return 'script'
}

function readSource(file: string): string {
  let bytes: Buffer
  try {
    bytes = readCapped(file, maxConfigBytes())
  } catch (e) {
    if (e instanceof TunadmError) throw e
    const code = (e as NodeJS.ErrnoException).code
    throw new InvalidInputError(`cannot read ${file}: ${code === 'ENOENT' ? 'it does not exist' : (e as Error).message}`, {code: code === 'ENOENT' ? 'NO_FILE' : 'READ_FAILED'})
  }
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    throw new InvalidInputError(`${file} is not UTF-8 text`, {code: 'NOT_TEXT', fix: 'pass the configuration files of networkd, NetworkManager, ifupdown or a shell script'})
  }
}

/** The files named: a directory gives its regular files (sorted), not recursively. */
function expand(files: string[]): string[] {
  const out: string[] = []
  for (const f of files) {
    let st: fs.Stats
    try {
      st = fs.statSync(f)
    } catch {
      out.push(f) // reported when read
      continue
    }
    if (!st.isDirectory()) {
      out.push(f)
      continue
    }
    for (const n of fs.readdirSync(f).sort()) {
      const p = path.join(f, n)
      if (!n.startsWith('.') && fs.statSync(p).isFile()) out.push(p)
    }
  }
  return [...new Set(out)]
}

export function importFiles(files: string[]): ImportResult {
  if (files.length === 0) throw new InvalidInputError('no files to import', {code: 'USAGE', fix: 'name the files, e.g. tunadm import /etc/systemd/network/*.netdev /etc/systemd/network/*.network'})
  const c = new Collector()
  const sources: ImportResult['sources'] = []
  const read = expand(files).map((file) => {
    const text = readSource(file)
    const kind = kindOf(file, text)
    sources.push({file, kind})
    return {path: file, text, kind}
  })
  // Declarative files first (they create devices), then ifupdown and scripts in the order given.
  importNetworkd(read.filter((f) => f.kind === 'networkd') as SourceFile[], c)
  for (const f of read.filter((x) => x.kind === 'nm')) importNm(f, c)
  const seen = new Set<string>()
  for (const f of read) {
    if (seen.has(path.resolve(f.path))) continue // already read through a source line
    if (f.kind === 'ifupdown') importIfupdown(f.path, f.text, c, seen)
    else if (f.kind === 'script') translateScript(f.text, f.path, {collector: c, callerUid: 0})
  }
  const {entries: devices, members} = toEntries(c)
  const untranslated = c.findings
  const yaml = renderYaml(devices, {
    members,
    header: [
      `Imported by tunadm from ${files.join(' ')}`,
      'Review it, then: tunadm apply --adopt --dry-run --config FILE',
    ],
    findings: untranslated,
    skipped: c.skipped,
  })
  return {sources, devices, untranslated, skipped: c.skipped, yaml}
}
