/**
 * Which devices a config owns, decided against the kernel's links: the config's identity (model/identity.ts)
 * resolved from the file system, and the witnesses a device carries.
 *
 * A device is the config's when its alias is the config's marker (or the one an earlier version wrote for the
 * same file). When an admin changed the alias, two witnesses together still say it is: the config's link
 * group, and tunadm's own record (root's, under /run/tunadm) that this config made the device with that
 * ifindex in this network namespace. One witness alone, or none, is not enough: the device is foreign.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import {LinkState} from '../model/state'
import {InvalidInputError} from '../errors'
import {
  ANONYMOUS_MARKER, DERIVED_GROUP_MIN, Identity, LINK_GROUP_MAX, MatchedBy, derivedGroup, idMarker, idProblem, isOldPipeMarker,
  isTunadmMarker, pathMarker,
} from '../model/identity'
import {OwnerRecord} from '../system/owner-record'

/**
 * The identity of the config at `file`: `--id` (flag), `id:` (key), or the file's real path. A file that is
 * a pipe has no default identity. Both an id key and a different --id is a usage error.
 */
export function resolveIdentity(file: string, key?: string, flag?: string): Identity {
  for (const [what, v] of [['--id', flag], ['id', key]] as const) {
    const problem = v === undefined ? undefined : idProblem(v)
    if (problem) throw new InvalidInputError(what === '--id' ? problem.replace(/^id/, '--id') : `${file}: ${problem}`, {code: 'INVALID_ID'})
  }
  if (key !== undefined && flag !== undefined && key !== flag) {
    throw new InvalidInputError(`--id ${flag} differs from the file's id: ${key}`, {
      code: 'ID_CONFLICT', why: 'a config has one identity: the devices it owns are marked with it', fix: `leave out --id (the file's id: ${key} is used), or change the file`,
    })
  }
  const real = realPath(file)
  const oldMarkers = real ? [...new Set([pathMarker(path.resolve(file)), pathMarker(real)])] : []
  const id = flag ?? key
  if (id !== undefined) return {id, from: flag !== undefined ? '--id' : 'id', marker: idMarker(id), oldMarkers}
  if (!real) return {from: 'none', marker: ANONYMOUS_MARKER, oldMarkers: []}
  return {id: real, from: 'path', marker: pathMarker(real), oldMarkers: oldMarkers.filter((m) => m !== pathMarker(real))}
}

/**
 * The real path of a config file, or undefined when it has no name in the file system to be known by: a
 * pipe or socket given as /dev/stdin, /dev/fd/N or --config <(...) (every such pipe looks alike), a
 * device. A FIFO made at a path of its own is known by that path. A file that was removed keeps the path
 * it had: its directory's real path and its name (down still finds its devices).
 */
function realPath(file: string): string | undefined {
  // The path as open(2) means it: realpath(3) (.native), never path.resolve or Node's own realpath, which
  // take a/link/../x as a/x where the kernel goes up from the link's target.
  const absolute = path.isAbsolute(file) ? file : `${process.cwd()}/${file}`
  let st: fs.Stats
  try {
    st = fs.statSync(file)
  } catch {
    try {
      return path.join(fs.realpathSync.native(path.dirname(absolute)), path.basename(file))
    } catch {
      return path.resolve(file)
    }
  }
  if (!st.isFile() && !st.isFIFO()) return undefined
  let real: string
  try {
    real = fs.realpathSync.native(file)
  } catch {
    return undefined // /proc/self/fd/0 -> "pipe:[1234]": no path
  }
  if (/^\/(proc|dev\/fd)\//.test(real) || real === '/dev/stdin') return undefined
  try {
    // /dev/stdin redirected from a deleted file resolves to "/tmp/x (deleted)": no identity to give.
    return fs.statSync(real).ino === st.ino ? real : undefined
  } catch {
    return undefined
  }
}

/** Refuse what needs an identity (deleting, adopting) when the config has none. */
export function requireIdentity(identity: Identity, what: string, file: string): void {
  if (identity.id !== undefined) return
  throw new InvalidInputError(`${what} needs the config's identity, and ${file} has none: it is read from a pipe`, {
    code: 'NO_IDENTITY',
    why: 'a config is known by its file\'s path, and every pipe looks alike (/dev/fd/63): without an identity tunadm could delete devices another piped config made',
    fix: 'give it one: --id NAME, or id: NAME in the config (the same every time), e.g. tunadm apply --config <(...) --id vmhost --prune',
  })
}

export interface Match {
  by?: MatchedBy
  /** Why not, when not. */
  foreign?: string
}

/** A config's claim on the kernel's links: its identity, its link group, and tunadm's record. */
/** The answer for a device that carries the config's marker (nearly every one): one object, which callers only read. */
const BY_MARKER: Match = Object.freeze({by: 'marker'})

export class Ownership {
  constructor(readonly identity: Identity, readonly group: number | undefined, private readonly record?: OwnerRecord) {}

  /** Whether `link` is this config's, and by which witness. */
  match(link: LinkState): Match {
    if (link.kind !== 'tun') return {foreign: 'it is not a TUN/TAP device'}
    const {identity} = this
    const alias = link.alias
    if (alias === identity.marker) return BY_MARKER
    if (alias !== undefined && identity.oldMarkers.includes(alias)) return {by: 'old-marker'}
    if (identity.id === undefined && alias !== undefined && isOldPipeMarker(alias)) return {by: 'old-marker'}
    if (isTunadmMarker(alias)) return {foreign: `it is managed by another config (its alias is "${alias}")`}
    if (identity.id === undefined) return {foreign: 'it was not created by this config (it has no tunadm marker)'}
    const recorded = this.record?.madeBy(link.index) === identity.marker
    const inGroup = this.group !== undefined && link.group === this.group
    if (recorded && inGroup) return {by: 'link-group+record'}
    if (recorded) return {foreign: `its alias was changed and it left the config's link group ${this.group}; tunadm's record says this config made it`}
    if (inGroup) return {foreign: `it has no tunadm marker; it carries the config's link group ${this.group}, but tunadm has no record that this config made it`}
    return {foreign: 'it was not created by this config (it has no tunadm marker)'}
  }

  owns(link: LinkState): boolean {
    return this.match(link).by !== undefined
  }
}

export interface GroupChoice {
  group?: number
  warnings: string[]
}

/** "tap0, tap1 and 3 more", for messages about many devices. */
export function someNames(names: string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 2).join(', ')} and ${names.length - 2} more`
}

/**
 * The link group of a config's devices. An explicit link_group wins: devices of another config in it are
 * reported (they move out at that config's next apply, whose derived group then steps aside). A derived
 * group is the first candidate (model/identity.ts) that holds no device but the config's own and that the
 * record does not give to another config. A config without identity gets a group only when it names one.
 */
export function chooseGroup(identity: Identity, explicit: number | undefined, links: LinkState[], record?: OwnerRecord): GroupChoice {
  const mine = (l: LinkState) => l.kind === 'tun' && (l.alias === identity.marker || identity.oldMarkers.includes(l.alias ?? '') || record?.madeBy(l.index) === identity.marker)
  const others = new Map<number, LinkState[]>()
  for (const l of links) {
    if (l.group === undefined || l.group === 0 || mine(l)) continue
    const list = others.get(l.group)
    if (list) list.push(l)
    else others.set(l.group, [l])
  }
  const describe = (ls: LinkState[]) => {
    const byOther = ls.filter((l) => isTunadmMarker(l.alias))
    const configs = [...new Set(byOther.map((l) => l.alias!.slice('tunadm:'.length)))]
    const rest = ls.filter((l) => !isTunadmMarker(l.alias)).map((l) => l.name)
    return [configs.length ? `devices of ${configs.length === 1 ? 'another config' : 'other configs'} (${someNames(configs)})` : '', rest.length ? `${someNames(rest)}, not made by tunadm` : ''].filter(Boolean).join(' and ')
  }
  if (explicit !== undefined) {
    const clash = others.get(explicit)
    const warnings = clash ? [`link group ${explicit} (link_group in the file) also holds ${describe(clash)}: ip link show group ${explicit} lists them too; tunadm never removes them, and another config's derived group steps aside at its next apply`] : []
    return {group: explicit, warnings}
  }
  if (identity.id === undefined) return {warnings: []}
  const byOtherConfig = (g: number) => (others.get(g) ?? []).some((l) => isTunadmMarker(l.alias)) || Boolean(record?.groupTakenByOther(g, identity.marker))
  const candidates = Array.from({length: 64}, (_, attempt) => derivedGroup(identity.marker, attempt))
  // Stay where the devices are while no other config claims that group: no churn when a collision that
  // moved them has gone, and a device someone else put in the group does not move the config's away.
  const current = record?.groupOf(identity.marker) ?? links.find((l) => mine(l) && l.group !== undefined && candidates.includes(l.group))?.group
  if (current !== undefined && candidates.includes(current) && !byOtherConfig(current)) {
    const strangers = others.get(current)
    return {group: current, warnings: strangers ? [`link group ${current} of this config also holds ${describe(strangers)}: ip link show group ${current} lists ${strangers.length === 1 ? 'it' : 'them'} too, but ${strangers.length === 1 ? 'it is' : 'they are'} not this config's, and tunadm never removes ${strangers.length === 1 ? 'it' : 'them'}`] : []}
  }
  // A new group: one no link is in and tunadm's record gives to no other config.
  const taken = (g: number) => others.has(g) || byOtherConfig(g)
  for (let attempt = 0; attempt < 64; attempt++) {
    const g = candidates[attempt]
    if (!taken(g)) {
      const first = candidates[0]
      const warnings = attempt === 0 ? [] : [`link group ${first}, the one derived from this config's identity, is taken (by ${others.has(first) ? describe(others.get(first)!) : 'another config, by tunadm\'s record'}); this config's devices use link group ${g}`]
      return {group: g, warnings}
    }
  }
  // 64 taken candidates in a space of two billion: something is filling groups on purpose. No group then.
  return {warnings: [`no free link group found for this config (64 candidates from ${DERIVED_GROUP_MIN} to ${LINK_GROUP_MAX} were taken); set link_group: N in the file`]}
}

/**
 * A config's identity, link group and claim on the links, as apply and down see them (doctor too):
 * `id` is --id; `record` tunadm's record of the namespace (none: only markers say what is the config's).
 */
export function ownershipOf(config: {source: string; id?: string; linkGroup?: number}, links: LinkState[], opts: {id?: string; record?: OwnerRecord} = {}): {identity: Identity; ownership: Ownership; group?: number; warnings: string[]} {
  const identity = resolveIdentity(config.source, config.id, opts.id)
  const choice = chooseGroup(identity, config.linkGroup, links, opts.record)
  return {identity, ownership: new Ownership(identity, choice.group, opts.record), group: choice.group, warnings: choice.warnings}
}
