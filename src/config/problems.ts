/** The problems of a config file, each at its line and column, and the caps on what a file may cost. */
import {InvalidInputError} from '../errors'
import {envCap, maxConfigBytes} from './read'

/**
 * Caps that keep a small hostile file from costing minutes of CPU or gigabytes of output. Each can be
 * raised through the environment for a config that truly needs more.
 */
export const CAPS = {
  /** TUNADM_MAX_CONFIG_BYTES: the file's size (read when used: an invalid value is an error of the command, not of loading). */
  get bytes(): number {
    return maxConfigBytes()
  },
  /** TUNADM_MAX_DEVICES: devices after ranges are expanded. */
  get devices(): number {
    return envCap('TUNADM_MAX_DEVICES', 16384)
  },
  /** Uses of YAML aliases (*name) in the file. */
  aliases: 1000,
  /** Problems reported; the rest are counted. */
  problems: 100,
}

export interface ConfigProblem {
  file: string
  line: number
  col: number
  /** What is wrong, then "; expected ..." when there is something to say about the fix. */
  message: string
}

/** A config that does not validate. Exit code 2; nothing was changed. */
export class ConfigError extends InvalidInputError {
  readonly problems: ConfigProblem[]

  /** `uncounted`: problems found beyond those kept (a hostile file can make millions). */
  constructor(problems: ConfigProblem[], uncounted = 0) {
    const shown = problems.slice(0, CAPS.problems)
    const total = problems.length + uncounted
    const lines = shown.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`)
    if (total > shown.length) lines.push(`... and ${total - shown.length} more problems (the first ${CAPS.problems} are shown)`)
    const intro = total === 1 ? [] : [`${total} problems in ${problems[0].file}:`]
    super([...intro, ...lines].join('\n'), {
      code: 'INVALID_CONFIG',
      why: 'the whole file is checked before anything changes; nothing was changed',
      fix: 'correct the file; editors can check it as you type with the JSON Schema tunadm publishes (init/tunadm.schema.json)',
    })
    this.problems = shown
  }

  toJSON(): Record<string, unknown> {
    return {...super.toJSON(), problems: this.problems}
  }
}

/** The file as text; bytes that are not UTF-8 are refused, never replaced (a name must be what it says). */
export function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(bytes)
  } catch {
    const lossy = bytes.toString('utf8')
    const at = lossy.indexOf('\uFFFD')
    const line = at < 0 ? 1 : lossy.slice(0, at).split('\n').length
    throw new ConfigError([{file, line, col: at < 0 ? 1 : at - lossy.lastIndexOf('\n', at - 1), message: 'the file is not valid UTF-8 here; expected UTF-8 text (convert it with iconv -t UTF-8)'}])
  }
}
