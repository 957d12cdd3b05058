/**
 * Make the system match the configuration: create what is missing, correct what drifted, leave
 * what matches alone. Devices tunadm manages carry the config's marker in their interface alias and sit
 * in the config's link group (services/ownership.ts decides which devices are the config's), so that
 * --prune and down touch only those, never someone else's (services/group-delete.ts deletes them).
 *
 * One path for every device: config entry -> DesiredDevice -> plan against one snapshot -> execute
 * all plans together (batched). Every plan is made before the first change, so a request refused
 * as invalid (exit 2) changes nothing; a device the kernel's state forbids (another config's, of
 * another kind, held) is reported as failed and the others go ahead.
 *
 * Crash safety: a new device becomes persistent only after it is fully configured and marked, so an
 * apply killed half-way leaves either a complete device or none, and the next apply finishes the job.
 */
import {LinkState} from '../model/state'
import {KernelError} from '../kernel/errno'
import {LinkWatch, Netlink, setGroupRequest, withNetlink} from '../kernel/netlink'
import {InvalidInputError, TunadmError} from '../errors'
import {TunadmConfig} from '../config/types'
import {ManagedSet} from '../config/link-group'
import {Identity, MatchedBy, isTunadmMarker} from '../model/identity'
import {OwnerRecord} from '../system/owner-record'
import {randomInt} from '../system/files'
import {deleteDevices, groupDeleteEnabled} from './group-delete'
import {Ownership, chooseGroup, requireIdentity, resolveIdentity} from './ownership'
import {desiredFromConfig} from './desired'
import {execute} from './execute'
import {explainKernelError} from './explain'
import {normaliseError} from './normalise'
import {Change, DevicePlan, PlanOptions, plan, planDelete} from './plan'
import {Snapshot, kernelSnapshot} from './snapshot'
import {compareNames} from '../model/natural'

export type Action = 'created' | 'changed' | 'unchanged' | 'recreated' | 'removed' | 'failed' | 'foreign'

export interface DeviceOutcome {
  name: string
  action: Action
  changes: Change[]
  /** How the device was found to be the config's (model/identity.ts MatchedBy); absent for foreign and failed ones. */
  matchedBy?: MatchedBy
  warnings?: string[]
  error?: Record<string, unknown>
}

/** The config's identity, as reported. */
export interface IdentityReport {
  /** The explicit id or the file's real path; null for a config from a pipe without one. */
  id: string | null
  /** Where it came from: the file's id: key, --id, the file's path, or none (a pipe). */
  from: Identity['from']
  /** The interface alias its devices carry. */
  marker: string
}

export interface ApplyReport {
  dryRun: boolean
  changed: boolean
  failed: number
  identity: IdentityReport
  /** The link group of the config's devices (null: none, for a config without identity or link_group). */
  linkGroup: number | null
  /** down, --prune: the devices went with one request (for a private link group tunadm moved them into). */
  removedByGroup?: boolean
  devices: DeviceOutcome[]
  /** About the config as a whole (a link group shared with another config, the record); the command prints them. */
  warnings: string[]
}

export interface ApplyOptions {
  dryRun?: boolean
  prune?: boolean
  recreate?: boolean
  /** Take over existing devices that are not marked as this config's. */
  adopt?: boolean
  /** --id: the config's identity, when the file has no id: (it must agree when it has). */
  id?: string
  /** Called after each device, for progress output. */
  onDevice?: (o: DeviceOutcome) => void
}

const ACTIONS = {create: 'created', recreate: 'recreated', change: 'changed', unchanged: 'unchanged', foreign: 'foreign', delete: 'removed'} as const

export function applyConfig(config: TunadmConfig, opts: ApplyOptions = {}): ApplyReport {
  const identity = resolveIdentity(config.source, config.id, opts.id)
  if (opts.prune) requireIdentity(identity, 'apply --prune', config.source)
  if (opts.adopt) requireIdentity(identity, 'apply --adopt', config.source)
  const devices: DeviceOutcome[] = []
  const warnings: string[] = []
  const record = (o: DeviceOutcome) => {
    devices.push(o)
    opts.onDevice?.(o)
  }
  let group: number | undefined
  // Listening to link announcements before the links are read: what group-delete.ts checks before a group delete.
  const watch = opts.prune && !opts.dryRun && groupDeleteEnabled() ? new LinkWatch() : undefined
  try {
    withNetlink((nl) => {
      const snap = kernelSnapshot(nl)
      snap.links() // one dump for all devices rather than one request each
      const owners = identity.id === undefined ? OwnerRecord.empty() : OwnerRecord.read(nl.netnsCookie())
      if (owners.problem) warnings.push(owners.problem)
      const choice = chooseGroup(identity, config.linkGroup, snap.links(), owners)
      group = choice.group
      warnings.push(...choice.warnings)
      const ownership = new Ownership(identity, group, owners)
      const plans: Array<DevicePlan | DeviceOutcome> = []
      const invalid: Array<{name: string; error: InvalidInputError}> = []
      const planOptions: PlanOptions = {intent: 'apply', adopt: opts.adopt, recreate: opts.recreate, owner: (l) => ownership.match(l)}
      // Indexed loops over the devices: a for-of makes an iterator result object a device, in code V8 does not optimise.
      for (let i = 0; i < config.devices.length; i++) {
        const c = config.devices[i]
        try {
          const p = plan(snap, desiredFromConfig(c, identity.marker, group), planOptions)
          noteRestoredMarker(p, snap.link(p.name))
          plans.push(p)
        } catch (err) {
          const e = normaliseError(err)
          if (e instanceof InvalidInputError) invalid.push({name: c.name, error: e})
          else plans.push({name: c.name, action: e.code === 'FOREIGN' ? 'foreign' : 'failed', changes: [], error: e.toJSON()})
        }
      }
      if (invalid.length) throw invalidAll(invalid)
      const prunes = opts.prune ? pruneCandidates(snap, config, ownership) : []
      const todo = plans.filter((p): p is DevicePlan => 'steps' in p && p.steps.length > 0)
      const done = opts.dryRun ? new Map() : new Map(execute(nl, todo).map((o) => [o.plan, o]))
      const present = new Set(snap.links().map((l) => l.index))
      for (let i = 0; i < plans.length; i++) {
        const p = plans[i]
        if (!('steps' in p)) {
          record(p)
          continue
        }
        const o = done.get(p)
        const matchedBy = p.matchedBy ?? 'new'
        if (o?.error) record({name: o.name, action: 'failed', changes: o.done, error: o.error.toJSON()})
        else {
          // Its warnings set after the other fields (the same order), not spread in: one object a device.
          const outcome: DeviceOutcome = {name: o?.name ?? p.name, action: ACTIONS[p.action], changes: o?.done ?? p.changes, matchedBy}
          if (p.warnings.length) outcome.warnings = p.warnings
          record(outcome)
        }
        const index = o?.index ?? p.index
        if (!o?.error && index !== undefined && identity.id !== undefined) {
          present.add(index)
          owners.set(index, o?.name ?? p.name, identity.marker)
        }
      }
      const removal = removeDevices(nl, snap, prunes, {ownership, dryRun: opts.dryRun, watch})
      for (const o of removal.out) record(o)
      if (opts.prune) for (const o of unverified(snap.links().filter((l) => !config.devices.some((d) => d.name === l.name)), ownership, owners)) record(o)
      warnings.push(...removal.warnings)
      if (!opts.dryRun && identity.id !== undefined) {
        for (const index of removal.removed) present.delete(index)
        owners.keepOnly(present)
        owners.setGroup(identity.marker, group, config.linkGroup !== undefined)
        const problem = owners.save()
        if (problem) warnings.push(problem)
      }
    })
  } finally {
    watch?.close()
  }
  return summarise(devices, Boolean(opts.dryRun), identity, group, warnings)
}

/** A device found by its old marker or its witnesses gets the marker back: say so. */
function noteRestoredMarker(p: DevicePlan, link: LinkState | undefined): void {
  if (!link || (p.matchedBy !== 'old-marker' && p.matchedBy !== 'link-group+record')) return
  p.warnings.push(p.matchedBy === 'old-marker'
    ? `${link.name} carries the marker an earlier tunadm wrote for this config ("${link.alias}"): it is rewritten as this config's marker`
    : `${link.name}'s alias was changed (to ${link.alias === undefined ? 'nothing' : JSON.stringify(link.alias)}); it is this config's by its link group and tunadm's record, so apply restores the marker (tunadm keeps its marker in the alias)`)
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
function byName(links: LinkState[]): LinkState[] {
  return links.sort((a, b) => compareNames(a.name, b.name))
}

function pruneCandidates(snap: Snapshot, config: TunadmConfig, ownership: Ownership): LinkState[] {
  const wanted = new Set(config.devices.map((d) => d.name))
  return byName(snap.links().filter((l) => !wanted.has(l.name) && ownership.owns(l)))
}

/**
 * Devices whose ownership cannot be told because tunadm's record could not be read (a dry run as a user
 * other than root: the record is root's): a TUN/TAP device in the config's link group whose alias is not
 * a tunadm marker is the config's exactly when the record says so. Each is reported as failed (exit 1,
 * status partial) with why, rather than left out of an answer that would then look complete.
 */
function unverified(links: LinkState[], ownership: Ownership, owners: OwnerRecord): DeviceOutcome[] {
  if (!owners.unreadable || ownership.group === undefined) return []
  const file = owners.unreadable
  return byName(links.filter((l) => l.kind === 'tun' && l.group === ownership.group && !isTunadmMarker(l.alias) && !ownership.owns(l))).map((l) => ({
    name: l.name,
    action: 'failed' as const,
    changes: [],
    error: new TunadmError(`cannot tell whether ${l.name} is this config's: it carries the config's link group ${ownership.group} but not its marker (its alias is ${l.alias === undefined ? 'empty' : JSON.stringify(l.alias)}), and tunadm's record ${file} cannot be read by this user`, {
      code: 'RECORD_UNREADABLE',
      why: 'a device whose alias was changed is the config\'s only if tunadm\'s record (root\'s alone) says the config made it',
      fix: 'run the same command as root (sudo) to know whether it is removed',
    }).toJSON(),
  }))
}

/**
 * Delete managed devices. Held ones are refused unless forced. Several go with one request for a private
 * link group, verified first (services/group-delete.ts); otherwise, or when the check finds anything else
 * in that group, one by one by ifindex, in one batch.
 */
function removeDevices(nl: Netlink, snap: Snapshot, links: LinkState[], opts: {ownership: Ownership; dryRun?: boolean; force?: boolean; watch?: LinkWatch}): {out: DeviceOutcome[]; byGroup: boolean; removed: number[]; warnings: string[]} {
  const out: DeviceOutcome[] = []
  const doomed: Array<{link: LinkState; p: DevicePlan; o: DeviceOutcome}> = []
  for (const link of links) {
    let p: DevicePlan
    try {
      p = planDelete(snap, link, {force: opts.force, asker: 'remove'})
    } catch (err) {
      out.push({name: link.name, action: 'failed', changes: [], error: normaliseError(err).toJSON()})
      continue
    }
    const o: DeviceOutcome = {name: link.name, action: 'removed', changes: p.changes, matchedBy: opts.ownership.match(link).by}
    doomed.push({link, p, o})
    out.push(o)
  }
  if (opts.dryRun || doomed.length === 0) return {out, byGroup: false, removed: [], warnings: []}
  const result = deleteDevices({
    links: () => nl.links(),
    current: (indexes) => nl.linksByIndex(indexes),
    setGroup: (targets, group) => nl.batch(targets.map((l) => setGroupRequest(l.index, l.name, group))),
    deleteGroup: (group) => nl.deleteGroup(group, `link group ${group}`),
    // One by one: the delete plans, executed (batched) as every other plan is.
    deleteEach: (targets) => {
      const plans = new Map(doomed.map(({link, p}) => [link.index, p]))
      return execute(nl, targets.map((t) => plans.get(t.index)!)).map((o) => o.error)
    },
    random: randomInt,
  }, doomed.map((d) => d.link), snap.links(), opts.watch, {groupDelete: groupDeleteEnabled()})
  const removed: number[] = []
  for (const {link, o} of doomed) {
    const err = result.errors.get(link.index)
    if (!err) {
      removed.push(link.index)
      continue
    }
    const e = err instanceof KernelError ? explainKernelError(err, {action: `delete ${link.name}`, device: link.name}) : err
    Object.assign(o, {action: 'failed', changes: [], error: normaliseError(e).toJSON()})
  }
  return {out, byGroup: result.byGroup, removed, warnings: result.warnings}
}

function summarise(devices: DeviceOutcome[], dryRun: boolean, identity: Identity, linkGroup: number | undefined, warnings: string[]): ApplyReport {
  return {
    dryRun,
    changed: devices.some((o) => o.action !== 'unchanged' && o.action !== 'failed' && o.action !== 'foreign'),
    failed: devices.filter((o) => o.action === 'failed' || o.action === 'foreign').length,
    identity: {id: identity.id ?? null, from: identity.from, marker: identity.marker},
    linkGroup: linkGroup ?? null,
    devices,
    warnings,
  }
}

/** Remove every device this configuration manages (what init "stop" actions call). */
export function downConfig(config: ManagedSet, opts: {dryRun?: boolean; force?: boolean; id?: string; onDevice?: (o: DeviceOutcome) => void} = {}): ApplyReport {
  const identity = resolveIdentity(config.source, config.id, opts.id)
  requireIdentity(identity, 'down', config.source)
  const warnings: string[] = []
  let group: number | undefined
  const watch = !opts.dryRun && groupDeleteEnabled() ? new LinkWatch() : undefined
  const {out, byGroup} = withNetlink((nl) => {
    try {
      return downWith(nl)
    } finally {
      watch?.close()
    }
  })
  for (const o of out) opts.onDevice?.(o)
  return {...summarise(out, Boolean(opts.dryRun), identity, group, warnings), removedByGroup: byGroup}

  function downWith(nl: Netlink) {
    const snap = kernelSnapshot(nl)
    const owners = OwnerRecord.read(nl.netnsCookie())
    if (owners.problem) warnings.push(owners.problem)
    group = chooseGroup(identity, config.linkGroup, snap.links(), owners).group
    const ownership = new Ownership(identity, group, owners)
    const managed = byName(snap.links().filter((l) => ownership.owns(l)))
    const removal = removeDevices(nl, snap, managed, {ownership, dryRun: opts.dryRun, force: opts.force, watch})
    removal.out.push(...unverified(snap.links(), ownership, owners))
    warnings.push(...removal.warnings)
    if (!opts.dryRun) {
      const present = new Set(snap.links().map((l) => l.index))
      for (const index of removal.removed) present.delete(index)
      owners.keepOnly(present)
      const problem = owners.save()
      if (problem) warnings.push(problem)
    }
    return removal
  }
}
