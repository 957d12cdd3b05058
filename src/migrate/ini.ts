/**
 * The two INI dialects the imported tools write, read with line numbers for messages:
 * systemd unit syntax (networkd .netdev/.network/.link: `#` and `;` comments, a trailing backslash
 * continues a line, a section may repeat: [Address] once per address) and GLib key files
 * (NetworkManager .nmconnection: `#` comments, `\s \t \n \\` escapes). Pure.
 */

export interface IniEntry {
  section: string
  key: string
  value: string
  line: number
}

export interface IniSection {
  name: string
  line: number
  entries: IniEntry[]
}

export interface IniFile {
  sections: IniSection[]
  /** Lines that are neither a section, a key=value nor a comment. */
  junk: Array<{line: number; text: string}>
}

export function parseIni(text: string, dialect: 'systemd' | 'keyfile'): IniFile {
  const sections: IniSection[] = []
  const junk: IniFile['junk'] = []
  const lines = text.split(/\r?\n/)
  let current: IniSection | undefined
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1
    let raw = lines[i]
    if (dialect === 'systemd') {
      // A backslash at the end joins the next line (with a space), unless that line is a comment.
      while (/\\$/.test(raw) && i + 1 < lines.length) {
        i++
        if (/^\s*[#;]/.test(lines[i])) continue
        raw = raw.slice(0, -1) + ' ' + lines[i]
      }
    }
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || (dialect === 'systemd' && line.startsWith(';'))) continue
    const header = /^\[([^\]]+)\]$/.exec(line)
    if (header) {
      current = {name: header[1], line: lineNo, entries: []}
      sections.push(current)
      continue
    }
    const eq = line.indexOf('=')
    if (eq <= 0 || !current) {
      junk.push({line: lineNo, text: line})
      continue
    }
    const key = line.slice(0, eq).trim()
    let value = line.slice(eq + 1).trim()
    if (dialect === 'keyfile') value = unescapeKeyfile(value)
    else value = unquoteSystemd(value)
    current.entries.push({section: current.name, key, value, line: lineNo})
  }
  return {sections, junk}
}

function unescapeKeyfile(v: string): string {
  return v.replace(/\\(.)/g, (_m, c: string) => ({s: ' ', t: '\t', n: '\n', r: '\r', '\\': '\\'} as Record<string, string>)[c] ?? `\\${c}`)
}

/** systemd allows a whole value in quotes; inner quoting is per setting and rare for these keys. */
function unquoteSystemd(v: string): string {
  const m = /^"(.*)"$/.exec(v) ?? /^'(.*)'$/.exec(v)
  return m ? m[1] : v
}

/** Every entry of the sections with this name (a section may repeat), in file order. */
export function entriesOf(file: IniFile, section: string): IniEntry[] {
  return file.sections.filter((s) => s.name === section).flatMap((s) => s.entries)
}

/** systemd's boolean words (parse_boolean()); undefined for anything else. */
export function systemdBoolean(v: string): boolean | undefined {
  const s = v.toLowerCase()
  if (['1', 'yes', 'y', 'true', 't', 'on'].includes(s)) return true
  if (['0', 'no', 'n', 'false', 'f', 'off'].includes(s)) return false
  return undefined
}

/** GLib key file booleans: true/false (and 1/0, which GLib also accepts). */
export function keyfileBoolean(v: string): boolean | undefined {
  if (v === 'true' || v === '1') return true
  if (v === 'false' || v === '0') return false
  return undefined
}
