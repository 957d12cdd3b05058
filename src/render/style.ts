/**
 * Colours only on a TTY, never with NO_COLOR (https://no-color.org), FORCE_COLOR=0 or TERM=dumb;
 * FORCE_COLOR=1 (or any other value) forces them.
 * chalk is loaded only when colour is actually used.
 */
import {isTerminal} from './output'

export interface Style {
  ok(s: string): string
  warn(s: string): string
  bad(s: string): string
  dim(s: string): string
  bold(s: string): string
}

const plain: Style = {ok: (s) => s, warn: (s) => s, bad: (s) => s, dim: (s) => s, bold: (s) => s}

export function colourWanted(fd: 1 | 2 = 1, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return true
  if (env.TERM === 'dumb') return false
  return isTerminal(fd)
}

export function style(fd: 1 | 2 = 1): Style {
  if (!colourWanted(fd)) return plain
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {Chalk} = require('chalk') as typeof import('chalk', {with: {'resolution-mode': 'import'}})
  const c = new Chalk({level: 1})
  return {ok: c.green, warn: c.yellow, bad: c.red, dim: c.dim, bold: c.bold}
}

// eslint-disable-next-line no-control-regex
export const visibleLength = (s: string) => (s.includes('\x1b') ? s.replace(/\x1b\[[0-9;]*m/g, '').length : s.length)

/** Runs of spaces by length, made once each: a table pads most of its cells. */
const padding: string[] = []
const spaces = (n: number): string => padding[n] ?? (padding[n] = ' '.repeat(n))

/**
 * A plain-text table: columns padded to the widest cell, two spaces apart; trailing blanks trimmed from
 * each line. Built line by line with indexed loops, the lines joined once: list makes one of thousands of rows.
 */
export function table(headers: string[], rows: string[][], st: Style = plain): string {
  const columns = headers.length
  const widths = new Array<number>(columns)
  for (let i = 0; i < columns; i++) widths[i] = headers[i].length
  // Cell widths kept for the padding pass (a cell with colour codes is measured without them).
  const cellWidths = new Array<number>(rows.length * columns)
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]
    for (let i = 0; i < columns; i++) {
      const w = visibleLength(row[i] ?? '')
      cellWidths[r * columns + i] = w
      if (w > widths[i]) widths[i] = w
    }
  }
  const line = (cells: string[], r: number) => {
    let text = ''
    const last = cells.length - 1
    for (let i = 0; i <= last; i++) {
      if (i > 0) text += '  '
      text += cells[i]
      if (i < last) {
        const w = r < 0 || i >= columns ? visibleLength(cells[i]) : cellWidths[r * columns + i]
        if (widths[i] > w) text += spaces(widths[i] - w)
      }
    }
    // Nothing to trim when the line ends in a printable ASCII character other than a space (most lines).
    const end = last >= 0 ? cells[last] : ''
    const c = end.length > 0 ? end.charCodeAt(end.length - 1) : 0
    return c > 0x20 && c < 0x7f ? text : text.trimEnd()
  }
  const lines = new Array<string>(rows.length + 1)
  lines[0] = st.bold(line(headers, -1))
  for (let r = 0; r < rows.length; r++) lines[r + 1] = flat(line(rows[r], r))
  return lines.join('\n')
}

/**
 * The string, its pieces copied into one now (V8 does so when a character of it is first read): a line
 * made by concatenation is a tree of some twenty strings, and a table of thousands kept every tree until
 * the text was written, for each young-generation collection to copy. Flat, a line is one string and
 * its pieces are garbage at once (a list of 1000: ~1.5 ms of CPU less, most of it the collector's).
 */
function flat(s: string): string {
  s.charCodeAt(0)
  return s
}
