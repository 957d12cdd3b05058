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
 * each line. list makes one of thousands of rows: a line is made by joining its pieces (cells and the
 * runs of spaces after them, in one list reused for every line), one flat string, rather than by
 * concatenation, which made some twenty intermediate strings a line. Widths are first taken as the
 * cells' lengths; a table found to hold a colour code in a cell is made again with every cell measured
 * without them (measured()), so the text is the same either way.
 */
export function table(headers: string[], rows: string[][], st: Style = plain): string {
  const columns = headers.length
  const widths = columnWidths(headers, rows, false)
  const lines = new Array<string>(rows.length + 1)
  const head = st.bold(line(headers, widths, columns))
  lines[0] = head
  const parts: string[] = []
  for (let r = 0; r < rows.length; r++) {
    const cells = rows[r]
    const last = cells.length - 1
    // Nothing to trim when the line ends in a printable ASCII character other than a space (most lines).
    const end = last >= 0 ? cells[last] : ''
    const c = end.length > 0 ? end.charCodeAt(end.length - 1) : 0
    if (!(c > 0x20 && c < 0x7f)) {
      lines[r + 1] = line(cells, widths, columns)
      continue
    }
    let k = 0
    for (let i = 0; i < last; i++) {
      const cell = cells[i]
      parts[k++] = cell
      parts[k++] = i < columns && widths[i] > cell.length ? spaces(widths[i] - cell.length + 2) : '  '
    }
    parts[k++] = end
    if (parts.length !== k) parts.length = k
    lines[r + 1] = parts.join('')
  }
  const text = lines.join('\n')
  return text.includes('\x1b', head.length) ? measured(headers, rows, st) : text
}

/** One line: each cell but the last padded to its column's width (measured without colour codes), two spaces apart, trailing blanks trimmed. */
function line(cells: string[], widths: number[], columns: number): string {
  let text = ''
  const last = cells.length - 1
  for (let i = 0; i <= last; i++) {
    if (i > 0) text += '  '
    text += cells[i]
    if (i < last && i < columns) {
      const w = visibleLength(cells[i])
      if (widths[i] > w) text += spaces(widths[i] - w)
    }
  }
  return text.trimEnd()
}

/** The table when a cell has colour codes: every cell measured without them. */
function measured(headers: string[], rows: string[][], st: Style): string {
  const columns = headers.length
  const widths = columnWidths(headers, rows, true)
  const lines = new Array<string>(rows.length + 1)
  lines[0] = st.bold(line(headers, widths, columns))
  for (let r = 0; r < rows.length; r++) lines[r + 1] = line(rows[r], widths, columns)
  return lines.join('\n')
}

/** Each column's width: its header's length, or its widest cell, as visibleLength measures it (`exact`) or by length. */
function columnWidths(headers: string[], rows: string[][], exact: boolean): number[] {
  const columns = headers.length
  const widths = new Array<number>(columns)
  for (let i = 0; i < columns; i++) widths[i] = headers[i].length
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]
    const n = row.length < columns ? row.length : columns
    for (let i = 0; i < n; i++) {
      const w = exact ? visibleLength(row[i]) : row[i].length
      if (w > widths[i]) widths[i] = w
    }
  }
  return widths
}
