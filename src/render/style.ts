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

/** A plain-text table: columns padded to the widest cell, two spaces apart. */
export function table(headers: string[], rows: string[][], st: Style = plain): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - visibleLength(c)))).join('  ').trimEnd()
  return [st.bold(line(headers)), ...rows.map(line)].join('\n')
}
