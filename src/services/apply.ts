/**
 * Make the system match the configuration: create what is missing, correct what drifted, leave
 * what matches alone. Devices tunadm manages carry a marker in their interface alias, and sit in
 * the config's link group, so that --prune and down touch only those, never someone else's.
 *
 * One path for every device: config entry -> DesiredDevice -> plan against one snapshot -> execute
 * all plans together (batched). Every plan is made before the first change, so a request refused
 * as invalid (exit 2) changes nothing; a device the kernel's state forbids (another config's, of
 * another kind, held) is reported as failed and the others go ahead.
 *
 * Crash safety: a new device becomes persistent only after it is fully configured and marked, so an
 * apply killed half-way leaves either a complete device or none, and the next apply finishes the job.
 */
import * as path from 'node:path'
import {Link} from '../kernel/netlink-codec'
import {Netlink, withNetlink} from '../kernel/netlink'
import {InvalidInputError} from '../errors'
import {TunadmConfig} from '../config/types'
import {ManagedSet} from '../config/link-group'
import {IFALIASZ} from '../model/limits'
import {desiredFromConfig} from './desired'
import {execute} from './execute'
import {normaliseError} from './normalise'
import {Change, DevicePlan, plan, planDelete} from './plan'
import {Snapshot, kernelSnapshot} from './snapshot'
import {compareNames} from '../model/natural'

export type Action = 'created' | 'changed' | 'unchanged' | 'recreated' | 'removed' | 'failed' | 'foreign'

export interface DeviceOutcome {
  name: string
  action: Action
  changes: Change[]
  warnings?: string[]
  error?: Record<string, unknown>
}

export interface ApplyReport {
  dryRun: boolean
  changed: boolean
  failed: number
  /** The link group of the config's devices. */
  linkGroup: number
  /** down: the devices went with one request for the whole link group. */
  removedByGroup?: boolean
  devices: DeviceOutcome[]
}

export interface ApplyOptions {
  dryRun?: boolean
  prune?: boolean
  recreate?: boolean
  /** Take over existing devices that are not marked as this config's. */
  adopt?: boolean
  /** Called after each device, for progress output. */
  onDevice?: (o: DeviceOutcome) => void
}

/**
 * The alias that marks a device as managed by the configuration at `source`: "tunadm:" and the
 * absolute path; a path that does not fit the kernel's IFALIASZ (255 bytes and the NUL) or holds
 * control characters becomes a stable digest of it.
 */
export function managedMarker(source: string): string {
  const marker = `tunadm:${source}`
  // eslint-disable-next-line no-control-regex
  if (Buffer.byteLength(marker) <= IFALIASZ - 1 && !/[\x00-\x1f\x7f]/.test(marker)) return marker
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {createHash} = require('node:crypto') as typeof import('node:crypto') // not at the top: its load costs about 2 ms
  return `tunadm:sha256:${createHash('sha256').update(source).digest('hex')}`
}

/**
 * The link group of a config's devices: `link_group` from the file, or by default a number derived
 * from the marker (FNV-1a of it, in 2147483648..4294967293), which keeps clear of the small numbers
 * people pick by hand and of group 0, where every device starts.
 */
export function linkGroupOf(config: {linkGroup?: number}, marker: string): number {
  if (config.linkGroup !== undefined) return config.linkGroup
  let h = 0x811c9dc5
  for (const byte of Buffer.from(marker)) {
    h ^= byte
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return 0x80000000 + (h % 0x7ffffffe)
}

function markerOf(config: {source: string}): string {
  return managedMarker(path.resolve(config.source))
}

const ACTIONS = {create: 'created', recreate: 'recreated', change: 'changed', unchanged: 'unchanged', foreign: 'foreign', delete: 'removed'} as const

export function applyConfig(config: TunadmConfig, opts: ApplyOptions = {}): ApplyReport {
  const marker = markerOf(config)
  const group = linkGroupOf(config, marker)
  const devices: DeviceOutcome[] = []
  const record = (o: DeviceOutcome) => {
    devices.push(o)
    opts.onDevice?.(o)
  }
  withNetlink((nl) => {
    const snap = kernelSnapshot(nl)
    snap.links() // one dump for all devices rather than one request each
    const plans: Array<DevicePlan | DeviceOutcome> = []
    const invalid: Array<{name: string; error: InvalidInputError}> = []
    for (const c of config.devices) {
      try {
        plans.push(plan(snap, desiredFromConfig(c, marker, group), {intent: 'apply', adopt: opts.adopt, recreate: opts.recreate}))
      } catch (err) {
        const e = normaliseError(err)
        if (e instanceof InvalidInputError) invalid.push({name: c.name, error: e})
        else plans.push({name: c.name, action: e.code === 'FOREIGN' ? 'foreign' : 'failed', changes: [], error: e.toJSON()})
      }
    }
    if (invalid.length) throw invalidAll(invalid)
    const prunes = opts.prune ? pruneCandidates(snap, config, marker) : []
    const todo = plans.filter((p): p is DevicePlan => 'steps' in p && p.steps.length > 0)
    const done = opts.dryRun ? new Map() : new Map(execute(nl, todo).map((o) => [o.plan, o]))
    for (const p of plans) {
      if (!('steps' in p)) {
        record(p)
        continue
      }
      const o = done.get(p)
      if (o?.error) record({name: o.name, action: 'failed', changes: o.done, error: o.error.toJSON()})
      else record({name: o?.name ?? p.name, action: ACTIONS[p.action], changes: o?.done ?? p.changes, ...(p.warnings.length ? {warnings: p.warnings} : {})})
    }
    for (const o of removeDevices(nl, snap, prunes, {dryRun: opts.dryRun}).out) record(o)
  })
  return summarise(devices, Boolean(opts.dryRun), group)
}

/**
 * One error for every device refused as invalid; the same problem on many devices (an unknown group
 * in a range of 64) is said once, with the devices it concerns.
 */
function invalidAll(invalid: Array<{name: string; error: InvalidInputError}>): InvalidInputError {
  const byMessage = new Map<string, {error: InvalidInputError; names: string[]}>()
  for (const {name, error} of invalid) {
    const entry = byMessage.get(error.message) ?? {error, names: []}
    entry.names.push(name)
    byMessage.set(error.message, entry)
  }
  const lines = [...byMessage.values()].map(({error, names}) => {
    if (names.length === 1 && error.message.includes(names[0])) return error.message
    const which = names.length <= 4 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`
    return `${error.message} (${names.length === 1 ? 'device' : `${names.length} devices`}: ${which})`
  })
  const [first] = byMessage.values()
  const message = lines.length === 1 ? lines[0] : `${lines.length} problems:\n${lines.map((l) => `  ${l}`).join('\n')}`
  return new InvalidInputError(message, {code: first.error.code, why: 'every device is checked against the system before anything changes; nothing was changed', fix: first.error.fix})
}

/** Links in name order (tap2 before tap10): reports read the same whatever order the kernel lists them in. */
function byName(links: Link[]): Link[] {
  return links.sort((a, b) => compareNames(a.name, b.name))
}

function pruneCandidates(snap: Snapshot, config: TunadmConfig, marker: string): Link[] {
  const wanted = new Set(config.devices.map((d) => d.name))
  return byName(snap.links().filter((l) => l.kind === 'tun' && l.alias === marker && !wanted.has(l.name)))
}

/**
 * Delete managed devices. Held ones are refused unless forced. When the config's link group holds
 * exactly these devices and no others, one RTM_DELLINK by group removes them all (the kernel then
 * unregisters them together, much faster than one by one); otherwise, e.g. when an admin moved a
 * device to another group, they are deleted one by one, in one batch.
 */
function removeDevices(nl: Netlink, snap: Snapshot, links: Link[], opts: {dryRun?: boolean; force?: boolean; group?: number}): {out: DeviceOutcome[]; byGroup: boolean} {
  const out: DeviceOutcome[] = []
  const doomed: Array<{link: Link; p: DevicePlan; o: DeviceOutcome}> = []
  for (const link of links) {
    let p: DevicePlan
    try {
      p = planDelete(snap, link, {force: opts.force, asker: 'remove'})
    } catch (err) {
      out.push({name: link.name, action: 'failed', changes: [], error: normaliseError(err).toJSON()})
      continue
    }
    const o: DeviceOutcome = {name: link.name, action: 'removed', changes: p.changes}
    doomed.push({link, p, o})
    out.push(o)
  }
  if (opts.dryRun || doomed.length === 0) return {out, byGroup: false}
  const group = opts.group
  const wholeGroup = group !== undefined && doomed.length > 1 && doomed.every(({link}) => link.group === group) &&
    snap.links().filter((l) => l.group === group).length === doomed.length
  if (wholeGroup) {
    try {
      nl.deleteGroup(group, `link group ${group}`)
      return {out, byGroup: true}
    } catch {
      // Fall back to one by one, which reports each device's own error.
    }
  }
  const outcomes = execute(nl, doomed.map(({p}) => p))
  doomed.forEach(({o}, i) => {
    const e = outcomes[i].error
    if (e && e.code !== 'ENODEV') Object.assign(o, {action: 'failed', changes: [], error: e.toJSON()})
  })
  return {out, byGroup: false}
}

function summarise(devices: DeviceOutcome[], dryRun: boolean, linkGroup: number): ApplyReport {
  return {
    dryRun,
    changed: devices.some((o) => o.action !== 'unchanged' && o.action !== 'failed' && o.action !== 'foreign'),
    failed: devices.filter((o) => o.action === 'failed' || o.action === 'foreign').length,
    linkGroup,
    devices,
  }
}

/** Remove every device this configuration manages (what init "stop" actions call). */
export function downConfig(config: ManagedSet, opts: {dryRun?: boolean; force?: boolean; onDevice?: (o: DeviceOutcome) => void} = {}): ApplyReport {
  const marker = markerOf(config)
  const group = linkGroupOf(config, marker)
  const {out, byGroup} = withNetlink((nl) => {
    const snap = kernelSnapshot(nl)
    const managed = byName(snap.links().filter((l) => l.kind === 'tun' && l.alias === marker))
    return removeDevices(nl, snap, managed, {dryRun: opts.dryRun, force: opts.force, group})
  })
  for (const o of out) opts.onDevice?.(o)
  return {...summarise(out, Boolean(opts.dryRun), group), removedByGroup: byGroup}
}
