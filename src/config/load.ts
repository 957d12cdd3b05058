/**
 * Reading and validating the declarative config (default /etc/tunadm/tunadm.yaml).
 *
 * The whole file is checked before anything is returned, and every problem found is reported at
 * once as FILE:LINE:COL: what is wrong; expected what. The loader is pure: user and group names are
 * checked for shape only and looked up when the config is applied, not here.
 */
import type {Node, Pair, YAMLMap, YAMLSeq} from 'yaml'
import {InvalidInputError, TunadmError} from '../errors'
import {checkAcrossEntries, checkEntry} from '../model/rules'
import {isCanonicalIPv4Prefix} from '../model/ip'
import {TunFlagValues, tunFlagProblems} from '../model/settings'
import {LINK_GROUP_MAX, idProblem} from '../model/identity'
import {isPlainIfName, validateIfName} from '../model/validate'
import {parseInteger, parsePrefixText, parseRouteTo, parseSetting, parseVia} from '../model/values'
import {DEFAULT_KEYS, DEVICE_KEYS, ROUTE_KEYS, TOP_LEVEL_KEYS} from './keys'
import {expandName} from './range'
import {readCapped} from './read'
import {CAPS, ConfigError, decodeUtf8} from './problems'
import {DeviceConfig, RouteConfig, TunadmConfig} from './types'
import {Origin, YamlDoc, readYaml} from './yaml-doc'

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

/**
 * Parse and validate config text; `source` names it in messages. Pure. `full`: every entry read setting by
 * setting, none by Checker.quickDevice (the test that holds the two to the same answers).
 */
export function parseConfig(text: string, source: string, opts: {full?: boolean} = {}): TunadmConfig {
  const check = new Checker(...readYaml(text), source, text)
  if (opts.full) check.full = true
  const config = check.document()
  if (check.problems.length > 0 || check.capped) {
    const sorted = check.problems.sort((a, b) => a.line - b.line || a.col - b.col)
    if (check.capped) sorted.unshift(check.capped)
    throw new ConfigError(sorted, check.dropped)
  }
  return config
}

/** id and link_group alone (for down, config/link-group.ts), read by the reader and checks apply uses. */
export function readIdentity(text: string, file: string): ReturnType<Checker['identity']> {
  return new Checker(...readYaml(text), file, text).identity()
}

/** One device entry's settings, each with the node it came from (the entry or `defaults:`). */
type Settings = Partial<Record<(typeof DEVICE_KEYS)[number], {value: unknown; at: Origin; key: Pair}>>

/** Each setting's value by key, in the settings' order. */
function valuesOf(settings: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const keys = Object.keys(settings) as Array<keyof Settings>
  for (let i = 0; i < keys.length; i++) out[keys[i]] = settings[keys[i]]!.value
  return out
}

/** What every entry that names only its name and addresses takes from defaults (Checker.quickDevice). */
interface QuickBase {
  mode: DeviceConfig['mode']
  /** The settings device() copies from defaults, in its order, and their values. */
  keys: string[]
  values: unknown[]
}

/**
 * The part of the entries defaults decide, when an entry with a name and IPv4 addresses alone breaks no
 * rule of checkEntry: a mode, an owner (or any_user alone), TUN flags that go together. Undefined when
 * they do not (each entry is then checked in full, and says so at its line).
 */
function quickBase(defaults: Settings): QuickBase | undefined {
  const v = valuesOf(defaults)
  const mode = v.mode
  if (mode !== 'tun' && mode !== 'tap') return undefined
  const owner = v.user !== undefined || v.group !== undefined
  if (v.any_user === true ? owner : !owner) return undefined
  // What device() may copy only from an entry (a MAC, routes; checkDevice's rules on them) is never a default.
  if (v.mac !== undefined || v.peer !== undefined || v.routes !== undefined || v.addresses !== undefined) return undefined
  if (tunFlagProblems(mode, v as TunFlagValues, 'defaults').length > 0) return undefined
  const keys: string[] = []
  const values: unknown[] = []
  for (let i = 0; i < DEVICE_KEYS.length; i++) {
    const k = DEVICE_KEYS[i]
    if (k === 'name' || k === 'mode' || !(k in v) || v[k] === undefined || (k === 'any_user' && v[k] === false)) continue
    keys.push(k)
    values.push(v[k])
  }
  return {mode, keys, values}
}

class Checker extends YamlDoc {
  /** No entry by quickDevice (parseConfig's `full`). */
  full = false
  /** The keys written in defaults:, valid or not. */
  private defaultKeys = new Set<string>()

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
    if (this.yamlProblems()) return config
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
    const quick = this.full ? undefined : quickBase(defaults)
    const seen = new Map<string, Origin>()
    let declared = 0 // names declared, duplicates included: they cost as much to check
    const maxDevices = CAPS.devices // read once: the environment costs microseconds a read, thousands of entries
    const items = (list as YAMLSeq).items
    for (let i = 0; i < items.length; i++) {
      const entry = this.deref(items[i])
      if (!entry || !this.yaml.isMap(entry)) {
        this.problem(entry ?? list, 'a device entry is not a mapping; expected keys such as name: tap0, mode: tap')
        continue
      }
      // An everyday entry is one device, taken without a list of one [device, origin] pair made for it.
      const quickOne = quick && this.quickDevice(entry as YAMLMap, quick)
      if (quickOne) {
        if (++declared > maxDevices) {
          this.capAt(entry)
          break
        }
        this.declare(quickOne, this.quickAt!, seen, config)
        continue
      }
      const expanded = this.device(entry, defaults)
      declared += expanded.length
      if (declared > maxDevices) {
        this.capAt(entry)
        break
      }
      // Indexed, not destructured: an iterator and a pair a device in the interpreter, for thousands of entries.
      for (let k = 0; k < expanded.length; k++) this.declare(expanded[k][0], expanded[k][1], seen, config)
    }
    // What one device cannot see on its own (model/rules.ts): the same address or route on two devices.
    for (const p of checkAcrossEntries(config.devices)) this.problem(seen.get(config.devices[p.device].name), p.message)
    return config
  }

  /** The file declares more devices than the cap: said at the entry that goes past it. */
  private capAt(entry: Origin): void {
    const {line, col} = this.lines.linePos(this.offsetOf(entry))
    this.capped = {file: this.file, line, col, message: `the file declares more than ${CAPS.devices} devices (after ranges); expected fewer, or raise the cap: TUNADM_MAX_DEVICES=N`}
  }

  /** A device of the config, declared at `at`, unless its name was declared before (then a problem). */
  private declare(device: DeviceConfig, at: Origin, seen: Map<string, Origin>, config: TunadmConfig): void {
    const first = seen.get(device.name)
    if (first) {
      const {line} = this.lines.linePos(this.offsetOf(first))
      this.problem(at, `device ${device.name} is declared twice (first at line ${line}); expected each name once, also after ranges are expanded`)
    } else {
      seen.set(device.name, at)
      config.devices.push(device)
    }
  }

  /** Where the device quickDevice last gave was declared (its name's node). */
  private quickAt?: Origin

  /**
   * An entry of the shape nearly every entry of a large file has, a plain name and IPv4 addresses written
   * as the checks would write them, with the rest from defaults that pass every rule (quickBase): the
   * device exactly as device() makes it, without reading the entry setting by setting. Undefined for
   * anything else, and device() then checks the entry and says what is wrong, where.
   */
  private quickDevice(entry: YAMLMap, base: QuickBase): DeviceConfig | undefined {
    const items = entry.items
    if (items.length === 0 || items.length > 2) return undefined
    let name: string | undefined
    let at: Origin | undefined
    let addresses: string[] | undefined
    for (let i = 0; i < items.length; i++) {
      const pair = items[i]
      const key = pair.key
      const node = pair.value as Node | null
      if (!this.yaml.isScalar(key) || !node || this.yaml.isAlias(node)) return undefined
      if (key.value === 'name' && name === undefined) {
        if (!this.yaml.isScalar(node) || typeof node.value !== 'string' || !isPlainIfName(node.value)) return undefined
        name = node.value
        at = node
      } else if (key.value === 'addresses' && addresses === undefined) {
        if (!this.yaml.isSeq(node)) return undefined
        // Made at its length (pushed onto an empty list, it was given room for 17): thousands of entries.
        const list: string[] = new Array(node.items.length)
        for (let j = 0; j < node.items.length; j++) {
          const n = node.items[j]
          if (!this.yaml.isScalar(n) || typeof n.value !== 'string' || !isCanonicalIPv4Prefix(n.value)) return undefined
          for (let k = 0; k < j; k++) if (list[k] === n.value) return undefined
          list[j] = n.value
        }
        addresses = list
      } else return undefined
    }
    if (name === undefined) return undefined
    // As device() builds it: name and mode, then the settings in DEVICE_KEYS's order (addresses after every default).
    const d: DeviceConfig = {name, mode: base.mode}
    for (let i = 0; i < base.keys.length; i++) {
      const value = base.values[i]
      ;(d as unknown as Record<string, unknown>)[base.keys[i]] = Array.isArray(value) ? [...value] : value
    }
    if (addresses !== undefined) d.addresses = addresses
    this.quickAt = at
    return d
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
    // Copied key by key, never spread or deleted from: either leaves V8 an object whose every look-up
    // by key is several times slower, and each entry looks up its settings some 40 times.
    const merged: Settings = {}
    const inherited = Object.keys(defaults) as Array<keyof Settings>
    for (let i = 0; i < inherited.length; i++) {
      const k = inherited[i]
      if (!ownsOwnership || (k !== 'user' && k !== 'group' && k !== 'any_user')) merged[k] = defaults[k]
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
      values: valuesOf(merged),
    })
    for (const p of problems) {
      const setting = p.field === undefined ? undefined : merged[p.field]
      bad(p.index !== undefined && routes[p.index] ? routes[p.index].at : !setting ? entry : p.onKey ? setting.key : setting.at, p.message)
    }
    if (!ok || !mode) return []
    return names.map((name): [DeviceConfig, Origin] => {
      const d: DeviceConfig = {name, mode}
      for (let i = 0; i < DEVICE_KEYS.length; i++) {
        const k = DEVICE_KEYS[i]
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
