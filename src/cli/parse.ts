/**
 * The fast path's command-line parser: the common, well-formed forms only, read exactly as oclif reads
 * them; for anything else it declines (returns undefined) and the command runs on the full oclif path,
 * whose parser then gives its own result or its own error. So a refusal, a usage error or an unusual
 * spelling is always oclif's, and a unit test holds this parser to oclif's results.
 *
 * Taken: `--name`, `--name value`, `--name=value`, `-c`, `-c value`, `--no-name` (allowNo), aliases,
 * repeated multiple flags (and oclif's greedy rule: bare words after a multiple flag are its values),
 * defaults, positional arguments. Declined: `--`, `-abc`, `-cVALUE`, unknown flags, a value that is
 * empty or starts with '-', a non-multiple flag given twice, `--bool=x`, a value outside `options`,
 * an integer that is not plain decimal or is out of range, exclusive flags together, a missing
 * required or an unexpected argument.
 */
import type {ArgSpec, FlagSpec} from './spec'
import {InvalidInputError} from '../errors'

export interface CommandSpec {
  flags?: Record<string, unknown>
  baseFlags?: Record<string, unknown>
  args?: Record<string, unknown>
  strict?: boolean
  enableJsonFlag?: boolean
}

export interface Parsed {
  flags: Record<string, unknown>
  args: Record<string, string | undefined>
  argv: string[]
}

const JSON_FLAG: FlagSpec = {kind: 'boolean'}

/** A command's flags (--json and the base flags included), by long name and alias, and by character. */
function flagTable(cmd: CommandSpec): {flags: Record<string, FlagSpec>; byLong: Map<string, string>; byChar: Map<string, string>} {
  // As {json, ...baseFlags, ...flags} makes it (a later source's flag in an earlier one's place), key by key:
  // the spreads, Object.entries and its destructured pairs cost ~0.2 ms of every start in the interpreter.
  const flags: Record<string, FlagSpec> = {}
  if (cmd.enableJsonFlag) flags.json = JSON_FLAG
  const sources = [cmd.baseFlags, cmd.flags] as Array<Record<string, FlagSpec> | undefined>
  for (let s = 0; s < sources.length; s++) {
    const src = sources[s]
    if (src) for (const name in src) if (Object.hasOwn(src, name)) flags[name] = src[name]
  }
  const byLong = new Map<string, string>()
  const byChar = new Map<string, string>()
  for (const name in flags) {
    const f = flags[name]
    byLong.set(name, name)
    if (f.aliases) for (let i = 0; i < f.aliases.length; i++) byLong.set(f.aliases[i], name)
    if (f.char) byChar.set(f.char, name)
  }
  return {flags, byLong, byChar}
}

export function fastParse(argv: readonly string[], cmd: CommandSpec): Parsed | undefined {
  const {flags, byLong, byChar} = flagTable(cmd)
  const argSpecs = Object.entries((cmd.args ?? {}) as Record<string, ArgSpec>)

  const values = new Map<string, string[]>() // flag name -> its inputs, in order
  const bools = new Map<string, boolean>()
  const words: string[] = []
  let current: string | undefined // the last option flag (oclif's greedy multiple rule)
  const rest = [...argv]
  while (rest.length > 0) {
    const token = rest.shift()!
    if (token.startsWith('-') && token !== '-') {
      let name: string | undefined
      let inline: string | undefined
      let negated = false
      if (token.startsWith('--')) {
        const body = token.slice(2)
        const eq = body.indexOf('=')
        const key = eq === -1 ? body : body.slice(0, eq)
        if (eq !== -1) inline = body.slice(eq + 1)
        name = byLong.get(key)
        if (name === undefined && key.startsWith('no-')) {
          const target = byLong.get(key.slice(3))
          if (target !== undefined && flags[target].kind === 'boolean' && flags[target].allowNo) {
            name = target
            negated = true
          }
        }
      } else if (token.length === 2) {
        name = byChar.get(token[1])
      }
      if (name === undefined) return undefined
      const f = flags[name]
      if (f.kind === 'boolean') {
        if (inline !== undefined) return undefined
        bools.set(name, !negated)
        continue
      }
      if (negated) return undefined
      const value = inline ?? rest.shift()
      if (value === undefined || value === '' || value.startsWith('-')) return undefined
      const seen = values.get(name)
      if (seen && !f.multiple) return undefined
      values.set(name, [...(seen ?? []), value])
      current = name
      continue
    }
    if (current !== undefined && flags[current].multiple) {
      values.get(current)!.push(token)
      continue
    }
    words.push(token)
  }

  const out: Record<string, unknown> = {}
  // for-in over flagTable's own object (its keys in its order): no pairs made as Object.entries makes them.
  for (const name in flags) {
    const f = flags[name]
    if (f.kind === 'boolean') {
      const b = bools.get(name) ?? f.default
      if (b !== undefined) out[name] = b
      continue
    }
    const given = values.get(name)
    if (given === undefined) {
      if (f.default !== undefined) out[name] = f.default
      continue
    }
    const parsed: unknown[] = []
    for (const v of given) {
      if (f.options && !f.options.includes(v)) return undefined
      if (f.kind === 'integer') {
        if (!/^\d{1,15}$/.test(v)) return undefined
        const n = Number(v)
        if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) return undefined
        parsed.push(n)
      } else parsed.push(v)
    }
    out[name] = f.multiple ? parsed : parsed[0]
  }
  for (const name in flags) {
    const f = flags[name]
    const given = values.has(name) || bools.has(name)
    if (given && f.exclusive?.some((other) => values.has(other) || bools.has(other) || out[other] !== undefined)) return undefined
  }

  const args: Record<string, string | undefined> = {}
  for (const [i, [name, a]] of argSpecs.entries()) {
    const w = words[i]
    if (w === undefined && a.required) return undefined // oclif's "missing argument"
    if (a.options && !a.options.includes(w)) return undefined
    args[name] = w
  }
  if (cmd.strict !== false && words.length > argSpecs.length) return undefined
  // oclif orders argv by where each word FIRST appears in the command line, so a word also written
  // earlier (as a flag's value, or twice) moves forward: `del --netns b a b` gives b, a. The same here.
  const order = [...words].sort((a, b) => argv.indexOf(a) - argv.indexOf(b))
  return {flags: out, args, argv: order}
}

/**
 * What neither parser should let pass, said before either runs (the full path calls it before oclif,
 * whose own reading would take `list tun77` for a command "list:tun77" and `--force=yes` for --force and
 * a word "yes"): a value given to a switch, and words beyond the command's arguments. Unknown flags and
 * bad values are left to the parser, which names them.
 */
export function usageProblem(command: string, argv: readonly string[], cmd: CommandSpec): InvalidInputError | undefined {
  const {flags, byLong, byChar} = flagTable(cmd)
  const words: string[] = []
  let current: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]
    if (token === '--') {
      words.push(...argv.slice(i + 1))
      break
    }
    if (token.startsWith('-') && token !== '-') {
      let name: string | undefined
      let inline: string | undefined
      if (token.startsWith('--')) {
        const eq = token.indexOf('=')
        const key = eq === -1 ? token.slice(2) : token.slice(2, eq)
        if (eq !== -1) inline = token.slice(eq + 1)
        name = byLong.get(key) ?? (key.startsWith('no-') && flags[byLong.get(key.slice(3)) ?? '']?.allowNo ? byLong.get(key.slice(3)) : undefined)
      } else if (token.length === 2) {
        name = byChar.get(token[1])
      }
      if (name === undefined) {
        current = undefined
        continue
      }
      const f = flags[name]
      if (f.kind === 'boolean') {
        if (inline === undefined) continue
        return new InvalidInputError(`--${name} takes no value ("${token}")`, {
          code: 'USAGE',
          why: 'it is a switch: written means on',
          fix: f.allowNo ? `write --${name} to turn it on, --no-${name} to turn it off` : `write --${name} alone, or leave it out`,
        })
      }
      if (inline === undefined) i++
      current = name
      continue
    }
    if (current !== undefined && flags[current].multiple) continue
    words.push(token)
  }
  const expected = Object.keys(cmd.args ?? {})
  if (cmd.strict === false || words.length <= expected.length) return undefined
  const extra = words.slice(expected.length)
  const takes = expected.length === 0 ? 'takes no arguments' : `takes ${expected.length === 1 ? 'one' : expected.length} (${expected.map((a) => a.toUpperCase()).join(' ')})`
  const hint = expected.length === 0 && extra.length === 1 && (command === 'list' || command === 'ls') ? `to see one device: tunadm show ${extra[0]}; ` : ''
  return new InvalidInputError(`unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((w) => `"${w}"`).join(', ')}: tunadm ${command} ${takes}`, {
    code: 'USAGE', fix: `${hint}see tunadm ${command} --help`,
  })
}
