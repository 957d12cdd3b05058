/**
 * Reading and validating the declarative config (default /etc/tunadm/tunadm.yaml).
 *
 * The whole file is checked before anything is returned, and every problem found is reported at
 * once as FILE:LINE:COL: what is wrong; expected what. The loader is pure: user and group names are
 * checked for shape only and looked up when the config is applied, not here.
 */
import type {Document, LineCounter, Node, Pair, Scalar, YAMLMap, YAMLSeq} from 'yaml'
import {InvalidInputError, TunadmError} from '../errors'
import {checkAcrossEntries, checkEntry} from '../model/rules'
import {LINK_GROUP_MAX, idProblem} from '../model/identity'
import {validateIfName} from '../model/validate'
import {Parsed, ScalarInput, parseInteger, parsePrefixText, parseRouteTo, parseSetting, parseVia} from '../model/values'
import {DEFAULT_KEYS, DEVICE_KEYS, ROUTE_KEYS, TOP_LEVEL_KEYS, closestKey} from './keys'
import {expandName} from './range'
import {readCapped} from './read'
import {CAPS, ConfigError, ConfigProblem, decodeUtf8} from './problems'
import {DeviceConfig, RouteConfig, TunadmConfig} from './types'
import {loadYaml} from './yaml'
import {fastYaml, lineCounterFor, parseFast} from './yaml-fast'

export {CAPS, ConfigError} from './problems'
export type {ConfigProblem} from './problems'

/** Read, parse and validate a config file. Throws ConfigError (exit 2) listing every problem. */
export function loadConfig(file: string): TunadmConfig {
  // Both caps read first: a mistyped TUNADM_MAX_DEVICES is said whatever the file holds.
  const maxBytes = CAPS.bytes
  if (CAPS.devices < 1) throw new Error('unreachable: envCap returns a positive cap')
  let bytes: Buffer
  try {
    bytes = readCapped(file, maxBytes)
  } catch (err) {
    if (err instanceof TunadmError) throw err
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new InvalidInputError(`the config file ${file} does not exist`, {
        code: 'NO_CONFIG', fix: 'create it (an example: init/tunadm.example.yaml in the tunadm package) or pass --config FILE',
      })
    }
    throw new TunadmError(`cannot read the config file ${file}: ${(err as Error).message}`, {code: code ?? 'READ_FAILED'})
  }
  return parseConfig(decodeUtf8(bytes, file), file)
}

type Yaml = typeof import('yaml')
/** What the Checker asks of a YAML library: node predicates (the library's, or yaml-fast.ts's). */
type YamlView = Pick<Yaml, 'isScalar' | 'isMap' | 'isSeq' | 'isPair' | 'isAlias' | 'visit'>
type Origin = Node | Pair

/** Parse and validate config text; `source` names it in messages. Pure. */
export function parseConfig(text: string, source: string): TunadmConfig {
  const check = checkerFor(text, source)
  const config = check.document()
  if (check.problems.length > 0 || check.capped) {
    const sorted = check.problems.sort((a, b) => a.line - b.line || a.col - b.col)
    if (check.capped) sorted.unshift(check.capped)
    throw new ConfigError(sorted, check.dropped)
  }
  return config
}

/** The one reader of a config's YAML, for every command (apply, down, init, doctor). */
function checkerFor(text: string, source: string): Checker {
  // Loaded here, not at the top: most commands never read a config, and start-up time matters.
  // The common subset of YAML is read by yaml-fast.ts (about 20 times faster, the same nodes, a property
  // test holds it to the library); anything else, and every file with a problem the library reports,
  // goes to the library.
  const fast = parseFast(text)
  if (fast) return new Checker(fastYaml as unknown as YamlView, {errors: [], contents: fast.contents} as unknown as Document, lineCounterFor(text), source, text)
  const yaml = loadYaml()
  const lineCounter = new yaml.LineCounter()
  // uniqueKeys is checked by the Checker in linear time (the library's check is quadratic in the keys of a mapping).
  const doc = yaml.parseDocument(text, {lineCounter, prettyErrors: false, uniqueKeys: false})
  return new Checker(yaml, doc, lineCounter, source, text)
}

/** id and link_group alone (for down, config/link-group.ts), read by the reader and checks apply uses. */
export function readIdentity(text: string, file: string): ReturnType<Checker['identity']> {
  return checkerFor(text, file).identity()
}

/** One device entry's settings, each with the node it came from (the entry or `defaults:`). */
type Settings = Partial<Record<(typeof DEVICE_KEYS)[number], {value: unknown; at: Origin; key: Pair}>>

class Checker {
  readonly problems: ConfigProblem[] = []

  constructor(
    private readonly yaml: YamlView,
    private readonly doc: Document,
    private readonly lines: Pick<LineCounter, 'linePos'>,
    private readonly file: string,
    private readonly text: string,
  ) {}

  /** Problems beyond those kept (a hostile file can make millions): counted, not stored. */
  dropped = 0
  /** The keys written in defaults:, valid or not. */
  private defaultKeys = new Set<string>()
  /** A cap that stopped the check: reported before everything else. */
  capped?: ConfigProblem
  private aliasUses = 0

  /** Enough problems are kept: count the rest without working out their messages. */
  get saturated(): boolean {
    return this.problems.length >= CAPS.problems * 10
  }

  problem(at: Origin | number | undefined, message: string): void {
    if (this.saturated) {
      this.dropped++
      return
    }
    const offset = typeof at === 'number' ? at : at ? this.offsetOf(at) : 0
    const {line, col} = this.lines.linePos(offset)
    this.problems.push({file: this.file, line: Math.max(line, 1), col: Math.max(col, 1), message})
  }

  private offsetOf(at: Origin): number {
    if (this.yaml.isPair(at)) return this.offsetOf(at.key as Node)
    return at.range?.[0] ?? 0
  }

  /** Follow YAML aliases (*name) to the node they stand for. */
  private deref(node: unknown): Node | undefined {
    if (this.yaml.isAlias(node)) {
      if (++this.aliasUses === CAPS.aliases + 1) this.problem(node, `more than ${CAPS.aliases} uses of YAML aliases (*name); expected fewer (a cap against files that expand to millions of entries)`)
      if (this.aliasUses > CAPS.aliases) return undefined
      return this.aliasTarget(node)
    }
    return (node ?? undefined) as Node | undefined
  }

  /** Each alias's node, found for all of them in one walk of the document. */
  private aliasTargets?: Map<Node, Node | undefined>

  /**
   * The node an alias stands for: the last node anchored with its name before it in the document, as the
   * library's Alias.resolve finds it. That walks the whole document at every use (quadratic in the uses);
   * one walk here remembers the anchor in force at each alias.
   */
  private aliasTarget(alias: Node): Node | undefined {
    if (!this.aliasTargets) {
      const targets = new Map<Node, Node | undefined>()
      const anchored = new Map<string, Node>()
      this.yaml.visit(this.doc, {
        Node: (_key, n) => {
          if (this.yaml.isAlias(n)) targets.set(n, anchored.get(n.source))
          else if (n.anchor) anchored.set(n.anchor, n)
        },
      })
      this.aliasTargets = targets
    }
    return this.aliasTargets.get(alias)
  }

  /** id's value, or the problem with it (reported). */
  private idValue(pair: Pair): {value?: string; problem?: string} {
    const node = this.deref(pair.value) ?? pair
    const value = this.yaml.isScalar(node) ? node.value : undefined
    const problem = typeof value === 'string' ? idProblem(value) : `id is not text; expected a name such as id: vmhost (quote it if YAML reads it as a number or boolean)`
    if (!problem) return {value: value as string}
    this.problem(node, problem)
    return {problem: typeof value === 'string' ? problem : 'not text'}
  }

  /** link_group's value, or undefined after reporting what is wrong with it. */
  private linkGroupValue(group: Pair): number | undefined {
    const node = this.deref(group.value) ?? group
    return this.parsed(node, parseInteger('link_group', this.scalar(node), 1, LINK_GROUP_MAX, 'the link group of this file\'s devices (0 is the group every device starts in; iproute2 reads no group above 2147483647); leave it out for one derived from the config\'s identity'))
  }

  /**
   * id and link_group alone (for down), read and checked as document() reads them: undefined when
   * absent, 'bad' when apply would refuse the value (a key given twice too); invalid: the YAML is.
   */
  identity(): {invalid?: true; id?: string | {problem: string}; linkGroup?: number | 'bad'} {
    if (this.doc.errors.length > 0) return {invalid: true}
    const root = this.deref(this.doc.contents)
    if (!root || !this.yaml.isMap(root)) return {}
    const pairs = (key: string) => root.items.filter((p) => this.yaml.isScalar(p.key) && String(p.key.value) === key)
    const out: ReturnType<Checker['identity']> = {}
    const ids = pairs('id')
    if (ids.length > 1) out.id = {problem: 'given twice'}
    else if (ids.length === 1) {
      const id = this.idValue(ids[0])
      out.id = id.value ?? {problem: id.problem ?? ''}
    }
    const groups = pairs('link_group')
    if (groups.length > 0) out.linkGroup = (groups.length === 1 ? this.linkGroupValue(groups[0]) : undefined) ?? 'bad' // twice: apply refuses the file
    return out
  }

  document(): TunadmConfig {
    const config: TunadmConfig = {version: 1, source: this.file, devices: []}
    for (const e of this.doc.errors) {
      const what = e.code === 'DUPLICATE_KEY' ? 'this key appears twice in the same mapping; expected each key once'
        : e.code === 'MULTIPLE_DOCS' ? 'a second YAML document starts here (a --- line); expected one document: the devices of one config in one file'
          : `${e.message.split('\n')[0]}; expected valid YAML`
      this.problem(e.pos[0], what)
    }
    if (this.doc.errors.length > 0) return config
    const directive = (this.doc as {directives?: {yaml?: {explicit?: boolean; version?: string}}}).directives?.yaml
    if (directive?.explicit && directive.version !== '1.2') {
      this.problem(0, `the file declares %YAML ${directive.version}, under which 010 is eight, 1:30 is ninety and yes is true, where YAML 1.2 reads them as written; expected no %YAML line (tunadm reads YAML 1.2)`)
      return config
    }
    const root = this.deref(this.doc.contents)
    if (!root || (this.yaml.isScalar(root) && (root.value === null || root.value === ''))) {
      this.problem(0, 'the file is empty; expected a mapping with version: 1 and devices:')
      return config
    }
    if (!this.yaml.isMap(root)) {
      this.problem(root, 'the file is not a mapping; expected version: 1 and devices: at the top level')
      return config
    }
    const top = this.entries(root, TOP_LEVEL_KEYS, 'top-level key')
    const version = top.get('version')
    if (!version) this.problem(root, 'version is missing; expected version: 1 as the first line')
    else {
      const node = this.deref(version.value)
      if (!node || !this.yaml.isScalar(node) || node.value !== 1) this.problem(node ?? version, `unsupported version ${JSON.stringify(this.yaml.isScalar(node) ? node.value : null)}; expected version: 1`)
    }

    const idPair = top.get('id')
    const id = idPair && this.idValue(idPair)
    if (id?.value !== undefined) config.id = id.value

    const group = top.get('link_group')
    const v = group && this.linkGroupValue(group)
    if (v !== undefined) config.linkGroup = v

    let defaults: Settings = {}
    const defaultsPair = top.get('defaults')
    if (defaultsPair) {
      const node = this.deref(defaultsPair.value)
      if (node && !(this.yaml.isScalar(node) && node.value === null)) {
        if (!this.yaml.isMap(node)) this.problem(node, 'defaults is not a mapping; expected keys such as mode: tap, group: kvm')
        else {
          defaults = this.settings(node, DEFAULT_KEYS, 'defaults')
          this.defaultKeys = new Set(node.items.map((p) => (this.yaml.isScalar(p.key) ? String(p.key.value) : '')))
        }
      }
    }

    const devicesPair = top.get('devices')
    if (!devicesPair) {
      this.problem(root, 'devices is missing; expected devices: followed by a list of device entries (devices: [] for none)')
      return config
    }
    const list = this.deref(devicesPair.value)
    if (list && this.yaml.isScalar(list) && list.value === null) return config
    if (!list || !this.yaml.isSeq(list)) {
      this.problem(list ?? devicesPair, 'devices is not a list; expected entries such as "- name: tap0"')
      return config
    }
    const seen = new Map<string, Origin>()
    let declared = 0 // names declared, duplicates included: they cost as much to check
    for (const item of (list as YAMLSeq).items) {
      const entry = this.deref(item)
      if (!entry || !this.yaml.isMap(entry)) {
        this.problem(entry ?? list, 'a device entry is not a mapping; expected keys such as name: tap0, mode: tap')
        continue
      }
      const expanded = this.device(entry, defaults)
      declared += expanded.length
      if (declared > CAPS.devices) {
        const {line, col} = this.lines.linePos(this.offsetOf(entry))
        this.capped = {file: this.file, line, col, message: `the file declares more than ${CAPS.devices} devices (after ranges); expected fewer, or raise the cap: TUNADM_MAX_DEVICES=N`}
        break
      }
      for (const [device, at] of expanded) {
        const first = seen.get(device.name)
        if (first) {
          const {line} = this.lines.linePos(this.offsetOf(first))
          this.problem(at, `device ${device.name} is declared twice (first at line ${line}); expected each name once, also after ranges are expanded`)
        } else {
          seen.set(device.name, at)
          config.devices.push(device)
        }
      }
    }
    // What one device cannot see on its own (model/rules.ts): the same address or route on two devices.
    for (const p of checkAcrossEntries(config.devices)) this.problem(seen.get(config.devices[p.device].name), p.message)
    return config
  }

  /** The pairs of a mapping by key; unknown keys are reported with the closest known one. */
  private entries(map: YAMLMap, known: readonly string[], what: string): Map<string, Pair> {
    const out = new Map<string, Pair>()
    const seen = new Set<string>()
    for (const pair of map.items) {
      const keyNode = pair.key as Node
      const key = this.yaml.isScalar(keyNode) ? String(keyNode.value) : undefined
      if (key !== undefined) {
        if (seen.has(key)) {
          this.problem(pair, 'this key appears twice in the same mapping; expected each key once')
          continue
        }
        seen.add(key)
      }
      if (key === '<<' || key === 'Symbol(<<)') {
        this.problem(pair, `merge keys (<<) are not supported; expected each key written out (settings every device shares go in defaults:)`)
        continue
      }
      if (key === undefined) {
        this.problem(keyNode ?? map, `a ${what} is not a plain name; expected one of: ${known.join(', ')}`)
        continue
      }
      if (!known.includes(key)) {
        if (this.saturated) {
          this.dropped++
          continue
        }
        const near = closestKey(key, known)
        this.problem(pair, `unknown ${what} "${key}"; expected ${near ? `"${near}"?` : `one of: ${known.join(', ')}`}`)
        continue
      }
      out.set(key, pair)
    }
    return out
  }

  /** Validate each setting of a device entry or of defaults. */
  private settings(map: YAMLMap, known: readonly string[], where: 'defaults' | 'device'): Settings {
    const out: Settings = {}
    const pairs = this.entries(map, where === 'defaults' ? DEVICE_KEYS : known, where === 'defaults' ? 'key in defaults' : 'device key')
    for (const [key, pair] of pairs) {
      if (where === 'defaults' && !known.includes(key)) {
        this.problem(pair, `${key} cannot be a default: it must differ from device to device; expected it in each device entry`)
        continue
      }
      const node = this.deref(pair.value) ?? pair
      const value = this.value(key as keyof Settings, node)
      if (value !== undefined) out[key as keyof Settings] = {value, at: node, key: pair}
    }
    return out
  }

  private value(key: keyof Settings, node: Node | Pair): unknown {
    if (key === 'addresses') return this.addresses(node)
    if (key === 'routes') return this.routes(node)
    return this.parsed(node, parseSetting(key, this.scalar(node)))
  }

  /** A node as the parsers of model/values.ts take it: its value, and the text it was written as. */
  private scalar(node: Node | Pair): ScalarInput {
    const isScalar = this.yaml.isScalar(node)
    const range = (node as Node).range
    return {value: isScalar ? (node as Scalar).value : undefined, isScalar, written: range ? this.text.slice(range[0], range[1]).trim() : undefined}
  }

  /** A parser's value, or undefined after reporting its problem at `node`. */
  private parsed<T>(node: Origin, p: Parsed<T>): T | undefined {
    return 'value' in p ? p.value : this.fail(node, p.problem)
  }

  /** Report a problem at `node`; undefined, for the value it leaves. */
  private fail(node: Origin, message: string): undefined {
    this.problem(node, message)
    return undefined
  }

  /** A YAML list, each item read by `item` (undefined: it reported a problem): all of them, or undefined. */
  private list<T>(node: Node | Pair, notList: string, item: (n: Node | Pair, done: T[]) => T | undefined): T[] | undefined {
    if (!this.yaml.isSeq(node)) return this.fail(node, notList)
    const out: T[] = []
    let ok = true
    for (const it of node.items) {
      const v = item(this.deref(it) ?? node, out)
      if (v === undefined) ok = false
      else out.push(v)
    }
    return ok ? out : undefined
  }

  private addresses(node: Node | Pair): string[] | undefined {
    return this.list<string>(node, 'addresses is not a list; expected e.g. addresses: [192.168.0.1/24, "fd00::1/64"]', (n, done) => {
      if (!this.yaml.isScalar(n) || typeof n.value !== 'string') return this.fail(n, 'an address is not text; expected ADDRESS/LENGTH, e.g. 192.168.0.1/24')
      const canonical = this.parsed(n, parsePrefixText(n.value, 'address'))
      return canonical !== undefined && done.includes(canonical) ? this.fail(n, `address ${canonical} is listed twice; expected each address once`) : canonical
    })
  }

  private routes(node: Node | Pair): Array<RouteConfig & {at: Origin}> | undefined {
    return this.list<RouteConfig & {at: Origin}>(node, 'routes is not a list; expected entries such as "- to: 10.1.0.0/16" with optional via: and metric:', (n) => {
      if (!this.yaml.isMap(n)) return this.fail(n, 'a route is not a mapping; expected to: DESTINATION/LENGTH with optional via: GATEWAY and metric: N')
      const pairs = this.entries(n, ROUTE_KEYS, 'route key')
      const value = (k: string) => {
        const p = pairs.get(k)
        return p && (this.deref(p.value) ?? p)
      }
      const [toNode, viaNode, metricNode] = [value('to'), value('via'), value('metric')]
      if (!toNode) return this.fail(n, 'the route has no destination; expected to: DESTINATION/LENGTH, e.g. to: 10.1.0.0/16 (0.0.0.0/0 for a default route)')
      const to = this.parsed(toNode, parseRouteTo(this.yaml.isScalar(toNode) && typeof toNode.value === 'string' ? toNode.value : ''))
      if (to === undefined) return undefined
      const via = viaNode && this.parsed(viaNode, parseVia(this.yaml.isScalar(viaNode) ? String(viaNode.value) : '', to))
      const metric = metricNode && this.parsed(metricNode, parseInteger('metric', this.scalar(metricNode), 0, 0xffffffff, 'lower is preferred'))
      if ((viaNode && via === undefined) || (metricNode && metric === undefined)) return undefined
      return {to, ...(via !== undefined ? {via} : {}), ...(metric !== undefined ? {metric} : {}), at: n}
    })
  }

  /** One entry: its settings merged over defaults, checked as a whole, expanded if a range. */
  private device(entry: YAMLMap, defaults: Settings): Array<[DeviceConfig, Origin]> {
    const own = this.settings(entry, DEVICE_KEYS, 'device')
    const nameSetting = own.name
    if (!nameSetting) {
      if (!entry.items.some((p) => this.yaml.isScalar(p.key) && p.key.value === 'name')) {
        this.problem(entry, 'the device entry has no name; expected name: tap0 (or a range such as "tap{0..63}")')
      }
      return []
    }
    // Ownership is inherited as a whole: an entry that says anything about it replaces what defaults say.
    const ownsOwnership = own.user !== undefined || own.group !== undefined || own.any_user !== undefined
    const merged: Settings = {...defaults}
    if (ownsOwnership) {
      delete merged.user
      delete merged.group
      delete merged.any_user
    }
    Object.assign(merged, own)
    const v = <K extends keyof Settings>(k: K) => merged[k]?.value
    const pattern = String(nameSetting.value)
    let names: string[]
    let isRange: boolean
    try {
      ({names, isRange} = expandName(pattern))
    } catch (err) {
      this.problem(nameSetting.at, `${(err as Error).message}`)
      return []
    }
    let ok = true
    const bad = (at: Origin, message: string) => {
      this.problem(at, message)
      ok = false
    }
    for (const name of names) {
      try {
        validateIfName(name)
      } catch (err) {
        const e = err as InvalidInputError
        bad(nameSetting.at, `${isRange ? `in range ${pattern}: ` : ''}${e.message}; expected 1 to 15 bytes, not "." or "..", without "/", ":", "%" or white space`)
        break
      }
    }
    const mode = v('mode') as DeviceConfig['mode'] | undefined
    const routes = (v('routes') as Array<RouteConfig & {at: Origin}> | undefined) ?? []
    const problems = checkEntry({
      label: isRange ? `range ${pattern}` : `device ${pattern}`, rangeSize: isRange ? names.length : undefined, mode, namesOk: ok,
      // An invalid mode is reported where it is written; "no mode" only when none is written anywhere.
      modeWritten: this.defaultKeys.has('mode') || entry.items.some((p) => this.yaml.isScalar(p.key) && p.key.value === 'mode'),
      values: Object.fromEntries(Object.entries(merged).map(([k, s]) => [k, s!.value])),
    })
    for (const p of problems) {
      const setting = p.field === undefined ? undefined : merged[p.field]
      bad(p.index !== undefined && routes[p.index] ? routes[p.index].at : !setting ? entry : p.onKey ? setting.key : setting.at, p.message)
    }
    if (!ok || !mode) return []
    return names.map((name): [DeviceConfig, Origin] => {
      const d: DeviceConfig = {name, mode}
      for (const k of DEVICE_KEYS) {
        if (k === 'name' || k === 'mode' || merged[k] === undefined) continue
        const value = merged[k]!.value
        if (k === 'routes') d.routes = (value as Array<RouteConfig & {at: Origin}>).map(({at: _at, ...r}) => r)
        else if (k === 'any_user' && value === false) continue
        else (d as unknown as Record<string, unknown>)[k] = Array.isArray(value) ? [...value] : value
      }
      return [d, nameSetting.at]
    })
  }

}
