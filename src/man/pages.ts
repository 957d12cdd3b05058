/**
 * The manual, generated at build time from what --help is made of: oclif's view of each command (its
 * summary, description, examples, arguments and flags, as `Config.findCommand` gives them to oclif's
 * help), the JSON Schema of the config file, and the facts of src/man/facts.ts. There is no second text
 * to keep in step: a flag added to a command appears in its page at the next build.
 *
 *   tunadm(8)          the command list, global options, exit status, environment, files
 *   tunadm-CMD(8)      one page per command
 *   tunadm.yaml(5)     the config file: every key from the schema, and the example config
 */
import {ENVIRONMENT, EXIT_STATUS, FILES} from './facts'
import {DEFAULT_CONFIG_PATH} from '../config/types'
import {bold, body, code, example, italic, page, prose, ref} from './roff'

/** A flag as oclif's help sees it (Command.Flag.Cached). */
export interface ManFlag {
  name: string
  type: 'boolean' | 'option'
  char?: string
  summary?: string
  description?: string
  helpGroup?: string
  helpValue?: string | string[]
  options?: readonly string[]
  multiple?: boolean
  allowNo?: boolean
  hidden?: boolean
  default?: unknown
  aliases?: string[]
  exclusive?: string[]
}

export interface ManArg {
  name: string
  description?: string
  required?: boolean
  options?: readonly string[]
}

/** A command as oclif's help sees it (Command.Cached). */
export interface ManCommand {
  id: string
  summary?: string
  description?: string
  examples?: Array<string | {description: string; command: string}>
  flags: Record<string, ManFlag>
  args: Record<string, ManArg>
  strict?: boolean
  hidden?: boolean
  aliases?: string[]
  hiddenAliases?: string[]
}

export interface ManInput {
  bin: string
  version: string
  /** package.json's description: the one-line summary of the whole tool. */
  description: string
  /** YYYY-MM-DD, for the pages' title lines (the build's date, reproducible). */
  date: string
  commands: ManCommand[]
  /** init/tunadm.schema.json */
  schema: JsonSchema
  /** init/tunadm.example.yaml */
  exampleConfig: string
}

export interface ManPage {
  /** File name: tunadm.8, tunadm-add.8, tunadm.yaml.5 */
  file: string
  text: string
}

const SECTION_COMMANDS = 8
const SECTION_CONFIG = 5
const MANUAL = 'System Administration'
const CONFIG_PAGE = 'tunadm.yaml'

/** Which pages this input makes (also what package.json's "man" field must list). */
export function manPageFiles(bin: string, commandIds: string[]): string[] {
  return [`${bin}.${SECTION_COMMANDS}`, ...commandIds.map((id) => `${bin}-${id}.${SECTION_COMMANDS}`), `${CONFIG_PAGE}.${SECTION_CONFIG}`]
}

export function manPages(input: ManInput): ManPage[] {
  const commands = visibleCommands(input.commands)
  return [
    {file: `${input.bin}.${SECTION_COMMANDS}`, text: mainPage(input, commands)},
    ...commands.map((c) => ({file: `${input.bin}-${c.id}.${SECTION_COMMANDS}`, text: commandPage(input, c, commands)})),
    {file: `${CONFIG_PAGE}.${SECTION_CONFIG}`, text: configPage(input, commands)},
  ]
}

/** The commands themselves: oclif lists each alias as a command of its own too. */
export function visibleCommands(commands: ManCommand[]): ManCommand[] {
  const aliases = new Set(commands.flatMap((c) => [...(c.aliases ?? []), ...(c.hiddenAliases ?? [])]))
  return commands.filter((c) => !c.hidden && !aliases.has(c.id)).sort((a, b) => (a.id < b.id ? -1 : 1))
}

function title(input: ManInput, name: string, section: number) {
  return {name, section, date: input.date, source: `${input.bin} ${input.version}`, manual: MANUAL}
}

/** "Create a persistent TUN or TAP device." -> "create a persistent TUN or TAP device" (for NAME lines). */
function oneLine(summary: string | undefined, what: string): string {
  if (!summary) throw new Error(`man: ${what} has no summary; the NAME line needs one`)
  const s = summary.trim().replace(/\.$/, '')
  return /^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s
}

/** The examples' commands are templates for oclif (<%= config.bin %>); anything else is not expected. */
function expandTemplate(text: string, bin: string): string {
  const out = text.replace(/<%=\s*config\.bin\s*%>/g, bin)
  if (out.includes('<%')) throw new Error(`man: an example uses a template the manual cannot expand: ${text}`)
  return out
}

// ---- tunadm(8)

function mainPage(input: ManInput, commands: ManCommand[]): string {
  const {bin} = input
  const global = globalFlags(commands)
  const list = commands.map((c) => {
    const args = synopsisArgs(c)
    const aliases = [...(c.aliases ?? []), ...(c.hiddenAliases ?? [])]
    return [
      '.TP',
      `${bold(`${bin} ${c.id}`)}${args ? ` ${args}` : ''}`,
      prose(c.summary ?? ''),
      `See ${ref(`${bin}-${c.id}`, SECTION_COMMANDS)}${aliases.length ? `; also called ${aliases.map((a) => bold(a)).join(', ')}` : ''}.`,
    ].join('\n')
  }).join('\n')
  return page(title(input, bin, SECTION_COMMANDS), [
    ['NAME', `${bin} \\- ${prose(oneLine(input.description, 'package.json'))}`],
    ['SYNOPSIS', [
      `${bold(bin)} ${italic('COMMAND')} [${italic('OPTIONS')}] [${italic('ARGUMENTS')}]`,
      '.br',
      `${bold(bin)} ${bold('help')} [${italic('COMMAND')}]`,
      '.br',
      `${bold(bin)} ${italic('COMMAND')} ${bold('--help')}`,
      '.br',
      `${bold(bin)} ${bold('--version')}`,
    ].join('\n')],
    ['DESCRIPTION', [
      `${prose(input.description)}.`,
      `Each command below has its own page, with the text ${bold(`${bin} COMMAND --help`)} prints;`,
      `the config file that ${bold('apply')}, ${bold('down')} and ${bold('init')} read is described in ${ref(CONFIG_PAGE, SECTION_CONFIG)}.`,
    ].join('\n')],
    ['COMMANDS', list],
    ['GLOBAL OPTIONS', [
      `Every command takes these (where it reports, ${bold('--json')} included):`,
      ...global.map((f) => flagItem(f)),
      '.TP',
      `${bold('-h')}, ${bold('--help')}`,
      `Show the command's help (${bold(`${bin} --help`)}: the list of commands).`,
      '.TP',
      `${bold('-v')}, ${bold('--version')}`,
      'Print the version (also as the command ' + bold('version') + ').',
    ].join('\n')],
    ['EXIT STATUS', EXIT_STATUS.map(([n, text]) => `.TP\n${bold(String(n))}\n${prose(text)}`).join('\n')],
    ['ENVIRONMENT', ENVIRONMENT.map(([name, text]) => `.TP\n${bold(name)}\n${prose(text)}`).join('\n')],
    ['FILES', FILES.map(([file, text]) => `.TP\n${italic(file)}\n${prose(text)}`).join('\n')],
    ['SEE ALSO', seeAlso([...commands.map((c) => [`${bin}-${c.id}`, SECTION_COMMANDS] as [string, number]), [CONFIG_PAGE, SECTION_CONFIG], ['ip', 8], ['ip-tuntap', 8]])],
  ])
}

/** The flags every command has in the GLOBAL help group. */
function globalFlags(commands: ManCommand[]): ManFlag[] {
  const [first, ...rest] = commands
  return sortFlags(Object.values(first.flags).filter((f) => f.helpGroup === 'GLOBAL' && !f.hidden && rest.every((c) => c.flags[f.name])))
}

// ---- tunadm-CMD(8)

function commandPage(input: ManInput, c: ManCommand, commands: ManCommand[]): string {
  const {bin} = input
  const name = `${bin}-${c.id}`
  const aliases = [...(c.aliases ?? []), ...(c.hiddenAliases ?? [])]
  const args = Object.values(c.args)
  const sections: Array<[string, string]> = [
    ['NAME', `${name} \\- ${prose(oneLine(c.summary, `the command ${c.id}`))}`],
    ['SYNOPSIS', [c.id, ...aliases].map((word) => `${bold(`${bin} ${word}`)} [${italic('OPTIONS')}]${synopsisArgs(c) ? ` ${synopsisArgs(c)}` : ''}`).join('\n.br\n')],
    ['DESCRIPTION', [prose(c.summary ?? ''), c.description ? `.PP\n${body(c.description)}` : ''].filter(Boolean).join('\n')],
  ]
  if (args.length) {
    sections.push(['ARGUMENTS', args.map((a, i) => [
      '.TP',
      italic(a.name.toUpperCase()) + (c.strict === false && i === args.length - 1 ? '...' : ''),
      prose(a.description ?? ''),
      ...(a.options ? [`One of: ${a.options.map((o) => bold(o)).join(', ')}.`] : []),
      ...(a.required ? [] : ['Optional.']),
    ].join('\n')).join('\n')])
  }
  for (const [group, flags] of flagGroups(c)) sections.push([group, flags.map((f) => flagItem(f, c)).join('\n')])
  if (c.examples?.length) {
    sections.push(['EXAMPLES', c.examples.map((e) => {
      const {description, command} = typeof e === 'string' ? {description: '', command: e} : e
      return [description ? `.PP\n${prose(description)}:` : '', example(expandTemplate(command, bin))].filter(Boolean).join('\n')
    }).join('\n')])
  }
  sections.push(['EXIT STATUS', `0 on success, 1 when the operation failed, 2 for invalid input or usage (nothing was changed); see ${ref(bin, SECTION_COMMANDS)}.`])
  const related: Array<[string, number]> = [[bin, SECTION_COMMANDS]]
  if (Object.values(c.flags).some((f) => f.name === 'config')) related.push([CONFIG_PAGE, SECTION_CONFIG])
  for (const other of commands) if (other.id !== c.id) related.push([`${bin}-${other.id}`, SECTION_COMMANDS])
  sections.push(['SEE ALSO', seeAlso(related)])
  return page(title(input, name, SECTION_COMMANDS), sections)
}

function synopsisArgs(c: ManCommand): string {
  const args = Object.values(c.args)
  return args.map((a, i) => {
    const text = italic(a.name.toUpperCase()) + (c.strict === false && i === args.length - 1 ? '...' : '')
    return a.required ? text : `[${text}]`
  }).join(' ')
}

/** oclif's help groups: FLAGS first, then the named groups in the order flags name them, GLOBAL last. */
function flagGroups(c: ManCommand): Array<[string, ManFlag[]]> {
  const groups = new Map<string, ManFlag[]>([['OPTIONS', []]])
  const global: ManFlag[] = []
  for (const f of Object.values(c.flags)) {
    if (f.hidden) continue
    if (f.helpGroup === 'GLOBAL') global.push(f)
    else {
      const key = f.helpGroup ? `${f.helpGroup} OPTIONS` : 'OPTIONS'
      groups.set(key, [...(groups.get(key) ?? []), f])
    }
  }
  groups.set('GLOBAL OPTIONS', global)
  return [...groups].filter(([, flags]) => flags.length).map(([g, flags]) => [g, sortFlags(flags)])
}

/** By long name, as a reader looks them up. */
function sortFlags(flags: ManFlag[]): ManFlag[] {
  return [...flags].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** The placeholder of a flag's value: its helpValue, its choices, or its name in capitals. */
function valueOf(f: ManFlag): string {
  if (f.helpValue) return Array.isArray(f.helpValue) ? f.helpValue.join(' ') : f.helpValue
  if (f.options) return f.options.join('|')
  return f.name.toUpperCase()
}

function flagItem(f: ManFlag, c?: ManCommand): string {
  const long = f.allowNo ? `${bold('--')}[${bold('no-')}]${bold(f.name)}` : bold(`--${f.name}`)
  const value = f.type === 'option' ? `=${italic(valueOf(f))}${f.multiple ? '...' : ''}` : ''
  const names = [...(f.char ? [bold(`-${f.char}`)] : []), long + value, ...(f.aliases ?? []).map((a) => bold(`--${a}`) + value)]
  const lines = ['.TP', names.join(', ')]
  const text = [f.summary, f.description].filter(Boolean).join('\n\n')
  if (!text) throw new Error(`man: the flag --${f.name}${c ? ` of ${c.id}` : ''} has no summary`)
  lines.push(body(text).replace(/\n\.PP\n/g, '\n.IP\n'))
  const notes: string[] = []
  if (f.options && !f.helpValue) notes.push(`One of: ${f.options.map((o) => bold(o)).join(', ')}.`)
  if (f.type === 'option' && f.default !== undefined) notes.push(`Default: ${bold(String(f.default))}.`)
  if (f.multiple && !/repeatable/i.test(text)) notes.push('Repeatable.')
  if (f.exclusive?.length) notes.push(`Not with ${f.exclusive.map((x) => bold(`--${x}`)).join(' or ')}.`)
  if (notes.length) lines.push(notes.join('\n'))
  return lines.join('\n')
}

function seeAlso(pages: Array<[string, number]>): string {
  return pages.map(([n, s]) => ref(n, s)).join(',\n')
}

// ---- tunadm.yaml(5)

/** The part of JSON Schema that init/tunadm.schema.json uses. */
export interface JsonSchema {
  title?: string
  description?: string
  type?: string | string[]
  const?: unknown
  enum?: unknown[]
  minimum?: number
  maximum?: number
  minLength?: number
  pattern?: string
  items?: JsonSchema
  properties?: Record<string, JsonSchema>
  required?: string[]
  oneOf?: JsonSchema[]
  $ref?: string
  $defs?: Record<string, JsonSchema>
}

/** A property with its $ref followed: the definition's fields, the property's own description first. */
function resolve(root: JsonSchema, s: JsonSchema): JsonSchema {
  if (!s.$ref) return s
  const m = /^#\/\$defs\/(.+)$/.exec(s.$ref)
  const target = m && root.$defs?.[m[1]]
  if (!target) throw new Error(`man: the schema's ${s.$ref} is not a definition it has`)
  const {$ref: _, ...own} = s
  return {...resolve(root, target), ...own}
}

/** The values a key takes, in words, from its schema. */
function valueWords(root: JsonSchema, s: JsonSchema): string {
  s = resolve(root, s)
  if (s.title) return s.title
  if (s.const !== undefined) return JSON.stringify(s.const)
  if (s.enum) return s.enum.map((v) => String(v)).join(' or ')
  if (s.oneOf) return s.oneOf.map((o) => valueWords(root, o)).join(', or ')
  const types = (Array.isArray(s.type) ? s.type : [s.type]).filter((t) => t !== 'null')
  const type = types[0]
  if (type === 'integer') return s.minimum !== undefined && s.maximum !== undefined ? `a whole number from ${s.minimum} to ${s.maximum}` : 'a whole number'
  if (type === 'boolean') return 'true or false'
  if (type === 'string') return 'text'
  if (type === 'array') return s.items ? `a list; each: ${valueWords(root, s.items)}` : 'a list'
  if (type === 'object') return 'a mapping'
  throw new Error(`man: the schema says nothing the manual can put in words about ${JSON.stringify(s)}`)
}

function keyList(root: JsonSchema, object: JsonSchema, where: string, also?: {set: Set<string>; note: string}): string {
  const required = new Set(object.required ?? [])
  return Object.entries(object.properties ?? {}).map(([key, prop]) => {
    const s = resolve(root, prop)
    if (!s.description) throw new Error(`man: the config key ${where}.${key} has no description in the schema (init/tunadm.schema.json)`)
    const notes = [required.has(key) ? 'Required.' : '', also?.set.has(key) ? also.note : ''].filter(Boolean)
    return ['.TP', `${bold(key)}: ${prose(valueWords(root, s))}`, prose(s.description), ...notes].join('\n')
  }).join('\n')
}

function configPage(input: ManInput, commands: ManCommand[]): string {
  const {schema: root, bin} = input
  const top = root.properties ?? {}
  const defaults = resolve(root, top.defaults ?? {})
  const devices = resolve(root, top.devices ?? {})
  const device = resolve(root, devices.items ?? {})
  const route = resolve(root, resolve(root, device.properties?.routes ?? {}).items ?? {})
  if (!device.properties || !route.properties) throw new Error('man: the schema has no device or route keys')
  const inDefaults = new Set(Object.keys(defaults.properties ?? {}))
  const configCommands = commands.filter((c) => c.flags.config).map((c) => c.id)
  return page(title(input, CONFIG_PAGE, SECTION_CONFIG), [
    ['NAME', `${CONFIG_PAGE} \\- the devices ${bin} keeps, in one YAML file`],
    ['SYNOPSIS', italic(DEFAULT_CONFIG_PATH)],
    ['DESCRIPTION', [
      prose(root.description ?? ''),
      '.PP',
      `${configCommands.map((id) => bold(`${bin} ${id}`)).join(', ')} read ${italic(DEFAULT_CONFIG_PATH)}, or the file ${bold('--config')} names.`,
      'The file is YAML 1.2: booleans are true and false (yes and no are text, and refused), and text that YAML would read as a number',
      '(a name such as 0x10) must be quoted.',
      `Every problem is reported at once as ${italic('FILE:LINE:COL: message')}, with exit status 2, and nothing is changed.`,
    ].join('\n')],
    ['TOP-LEVEL KEYS', keyList(root, root, 'top level')],
    ['DEVICE KEYS', [
      `Each entry of ${bold('devices')}:`,
      keyList(root, device, 'devices[]', {set: inDefaults, note: `Also in ${bold('defaults')}.`}),
    ].join('\n')],
    ['ROUTE KEYS', [`Each entry of ${bold('routes')}:`, keyList(root, route, 'routes[]')].join('\n')],
    ['EXAMPLE', example(input.exampleConfig.replace(/\n+$/, ''))],
    ['FILES', [
      `.TP\n${italic(DEFAULT_CONFIG_PATH)}\nThe default config file.`,
      `.TP\n${italic('/usr/share/doc/tunadm/examples/tunadm.example.yaml')}`,
      'The example above, as a starting point (where the Debian package installed it; init/ in the npm package).',
      `.TP\n${italic('/usr/share/doc/tunadm/examples/tunadm.schema.json')}`,
      `The JSON Schema of the file, for editors: name it in the file's first line as ${code('# yaml-language-server: $schema=PATH')}.`,
    ].join('\n')],
    ['SEE ALSO', seeAlso([[bin, SECTION_COMMANDS], ...configCommands.map((id) => [`${bin}-${id}`, SECTION_COMMANDS] as [string, number])])],
  ])
}
