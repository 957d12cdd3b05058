/**
 * plan(snapshot, desired): what to do to one device, worked out from what the kernel has. Pure: it
 * reads the snapshot, changes nothing, and checks every value and every rule (model/rules.ts, the
 * same as the config loader's) before execute() makes the first change. A dry run is the plan alone.
 */
import {DesiredDevice, RouteFacts, addressFacts, addressText, routeFacts, routeKey, routeSpecOf, addressSpecOf, routeText} from '../model/desired'
import {Mode, busy} from '../model/device'
import {MatchedBy} from '../model/identity'
import {MTU_MAX, MTU_MIN, mtuMax} from '../model/limits'
import {formatMac} from '../model/mac'
import {keptThroughDown, planAddresses, planRoutes} from '../model/network'
import {DeviceView, Problem, checkDevice} from '../model/rules'
import {IFF_UP, MASTER_KINDS, TUN_FLAGS, attachFlags, createFlags, fixedDifferences as registryDifferences, linkFlagBits} from '../model/settings'
import {LinkState, TunState} from '../model/state'
import {isTemplate} from '../model/validate'
import {busyError, refusal} from '../render/refusals'
import {alreadyExists, kindOf, notFound, notTun, tunState} from './links'
import {problemError} from './desired'
import {Change, DevicePlan, PlanOptions, PlannedStep, Step} from '../model/steps'
import {Snapshot, routesIndexed} from './snapshot'

export type {Change, DevicePlan, PlanAction, PlanOptions, PlannedStep, Step} from '../model/steps'

/**
 * Plan one device. Throws InvalidInputError (exit 2) when a value or rule is wrong, and TunadmError
 * (exit 1) when the kernel's state forbids it (no such device, a device of another kind, a holder).
 */
export function plan(snap: Snapshot, d: DesiredDevice, opts: PlanOptions): DevicePlan {
  const link = isTemplate(d.name) ? undefined : snap.link(d.name)
  if (opts.intent === 'add') {
    if (link) throw alreadyExists(link)
    return planNew(snap, d, 'create')
  }
  if (!link) {
    if (opts.intent === 'set') throw notFound(d.name)
    return planNew(snap, d, 'create')
  }
  if (link.kind !== 'tun' || !link.tun) {
    throw opts.intent === 'apply' ? refusal({code: 'NOT_TUN', name: d.name, kind: kindOf(link)}) : notTun(link)
  }
  let matchedBy: MatchedBy | undefined
  if (opts.intent === 'apply') {
    const owner = opts.owner?.(link) ?? (link.alias === d.alias ? {by: 'marker' as const} : {})
    if (!owner.by && !opts.adopt) throw refusal({code: 'FOREIGN', name: link.name, alias: link.alias, why: owner.foreign})
    matchedBy = owner.by ?? 'adopted'
    const diffs = fixedDifferences(snap, d, link)
    if (diffs.length) {
      const holders = snap.holders(link.name)
      if (!opts.recreate) throw refusal({code: 'NEEDS_RECREATE', name: d.name, diffs, heldBy: holders.length ? holders : undefined})
      const deletion = planDelete(snap, link, {asker: {recreate: diffs.join('; ')}})
      const p = planNew(snap, d, 'recreate', link)
      p.steps.unshift({...deletion.steps[0], label: `delete ${link.name} to create it again`, changes: []})
      p.index = link.index
      p.matchedBy = matchedBy
      return p
    }
  }
  const p = planExisting(snap, link, d)
  if (matchedBy) p.matchedBy = matchedBy
  return p
}

/**
 * Deletion, a plan like any other (del, down, prune, and the first step of a recreation): the one busy
 * rule (model/device.ts) unless forced, then one delete step (RTM_DELLINK, batched by execute()).
 */
export function planDelete(snap: Snapshot, link: LinkState, opts: {force?: boolean; asker: Parameters<typeof busyError>[2]}): DevicePlan {
  const tun = link.tun!
  const reason = busy({multiQueue: tun.multiQueue, queues: tun.numQueues, disabledQueues: tun.numDisabledQueues, carrier: link.carrier ?? false}, snap.holders(link.name))
  if (reason && !opts.force) throw busyError(reason, link.name, opts.asker)
  const changes: Change[] = [{what: 'device', from: `${tun.type} ${link.name}`, to: null}]
  return {
    name: link.name, action: 'delete', index: link.index, mode: tun.type, multiQueue: tun.multiQueue, warnings: [],
    steps: [{step: {kind: 'delete'}, label: `delete ${link.name}`, changes}], changes,
  }
}

/** Creation-time properties that cannot change in place (the TUN flags: the registry's comparison). */
function fixedDifferences(snap: Snapshot, d: DesiredDevice, link: LinkState): string[] {
  const t = link.tun!
  // Made when there is a difference: nearly every device of an apply of thousands has none.
  let diffs: string[] | undefined
  if (d.mode && t.type !== d.mode) (diffs ??= []).push(`mode is ${t.type}, the file says ${d.mode}`)
  // What only sysfs tells (napi) is read when the entry turns it on: a device this config made without it cannot gain it.
  // Plain loops, no callbacks or spreads: asked for each of thousands of devices.
  let wantsSysfs = false
  for (let i = 0; i < TUN_FLAGS.length && !wantsSysfs; i++) wantsSysfs = TUN_FLAGS[i].source === 'sysfs tun_flags' && Boolean(d.tunFlags?.[TUN_FLAGS[i].key])
  const registry = registryDifferences(d.tunFlags ?? {}, tunState(link, wantsSysfs ? snap.tunFlags(link) : undefined, diffState))
  for (let i = 0; i < registry.length; i++) (diffs ??= []).push(registry[i])
  if (d.owner === null && t.owner !== undefined) (diffs ??= []).push(`it has owner ${t.owner}, the file names no user (the kernel cannot unset an owner)`)
  if (d.group === null && t.group !== undefined) (diffs ??= []).push(`it has group ${t.group}, the file names no group (the kernel cannot unset a group)`)
  return diffs ?? NONE
}

/** The TunState fixedDifferences compares, filled in again for each device (the comparison keeps nothing of it). */
const diffState: TunState = {mode: 'tun', pi: false, vnetHdr: false, multiQueue: false, tunFlags: undefined}

/**
 * The master `d` asks for (null: none; undefined: not asked), checked before any change: it must exist
 * and be a bridge, bond or vrf. tunadm never creates or changes the master, so a missing one is refused.
 */
function masterOf(snap: Snapshot, d: DesiredDevice, mode: Mode): LinkState | null | undefined {
  if (d.master === undefined || d.master === null) return d.master
  const m = snap.link(d.master)
  if (!m) throw refusal({code: 'NO_MASTER', name: d.name, master: d.master})
  if (!(MASTER_KINDS as readonly string[]).includes(m.kind ?? '')) throw refusal({code: 'NOT_A_MASTER', name: d.name, master: d.master, kind: kindOf(m)})
  if (m.kind === 'bridge' && mode === 'tun') throw refusal({code: 'TUN_IN_BRIDGE', name: d.name, master: d.master})
  return m
}

// ---- a new device -----------------------------------------------------------------------------

function planNew(snap: Snapshot, d: DesiredDevice, action: 'create' | 'recreate', old?: LinkState): DevicePlan {
  const mode = d.mode!
  const name = d.name
  const steps: PlannedStep[] = []
  const push = (step: Step, label: string, changes: Change[] = []) => steps.push({step, label, changes})
  const owner = d.owner ?? undefined
  const group = d.group ?? undefined
  if (d.mtu !== undefined && d.mtu > mtuMax(mode)) throw refusal({code: 'OUT_OF_RANGE', name, mtu: d.mtu, lo: MTU_MIN, hi: mtuMax(mode), mode, fresh: true})
  // The flags in words, the registry's last first (tap multi_queue vnet_hdr tap0).
  const fixed = [mode, ...[...TUN_FLAGS].reverse().filter((s) => d.tunFlags?.[s.key]).map((s) => s.key)].join(' ')
  const creation: Change[] = [{what: 'device', from: old ? `${old.tun!.type} ${old.name}` : null, to: `${fixed} ${name}`}]
  if (owner) creation.push({what: 'owner', from: null, to: owner.id})
  if (group) creation.push({what: 'group', from: null, to: group.id})
  push({kind: 'create', mode, flags: createFlags(mode, d.tunFlags ?? {}), owner: owner?.id, group: group?.id}, `create ${name}`, creation)
  if (d.mac) push({kind: 'mac', mac: d.mac}, 'set the MAC address', [{what: 'mac', from: null, to: formatMac(d.mac)}])
  const master = masterOf(snap, d, mode)
  const linkAttrs = {mtu: d.mtu, txqlen: d.txqueuelen, alias: d.alias, group: d.linkGroup, master: master ? master.index : undefined}
  const linkChanges: Change[] = []
  if (d.mtu !== undefined) linkChanges.push({what: 'mtu', from: null, to: d.mtu})
  if (d.txqueuelen !== undefined) linkChanges.push({what: 'txqueuelen', from: null, to: d.txqueuelen})
  if (master) linkChanges.push({what: 'master', from: null, to: master.name})
  if (Object.values(linkAttrs).some((v) => v !== undefined)) push({kind: 'link', ...linkAttrs}, 'set MTU, txqueuelen, master, alias and link group', linkChanges)
  const {set, clear, changes: flagChanges} = linkFlagBits(d, undefined)
  if (set & ~IFF_UP || clear & ~IFF_UP) push({kind: 'flags', set: set & ~IFF_UP, clear: clear & ~IFF_UP, phase: 'other'}, 'set interface flags', flagChanges)
  if (d.up) push({kind: 'flags', set: IFF_UP, clear: 0, phase: 'up'}, 'bring it up', [{what: 'up', from: null, to: true}])
  for (const a of d.addresses) push({kind: 'address', add: true, local: a.local, peer: a.peer}, `add address ${addressText(addressFacts(a))}`, [{what: 'address', from: null, to: addressText(addressFacts(a))}])
  const problems = checkDevice({
    label: name, mode, hasMac: d.mac !== undefined, mtu: d.mtu, mtuRequested: d.mtu !== undefined, up: d.up,
    addresses: d.addresses, requestedAddresses: d.addresses, routes: d.routes,
  })
  d.routes.forEach((r, index) => {
    const clash = routeElsewhere(snap, routeFacts(r), old?.index)
    if (clash) problems.push(clash(index, name))
    push({kind: 'route', add: true, dst: r.dst, via: r.via, metric: r.metric}, `add route ${routeText(routeFacts(r))}`, [{what: 'route', from: null, to: routeText(routeFacts(r))}])
  })
  if (problems.length) throw problemError(problems)
  push({kind: 'persist'}, 'make it persistent')
  return {name, action, mode, multiQueue: Boolean(d.tunFlags?.multi_queue), steps, changes: steps.flatMap((s) => s.changes), warnings: []}
}

/** A route with the same identity through another device: the kernel keeps one. */
function routeElsewhere(snap: Snapshot, want: RouteFacts, ownIndex?: number): ((index: number, label: string) => Problem) | undefined {
  const other = routesIndexed(snap).byKey.get(routeKey(want))?.find((r) => r.oif !== ownIndex)
  if (!other) return undefined
  const dev = snap.links().find((l) => l.index === other.oif)?.name ?? `ifindex ${other.oif}`
  return (index, label) => ({
    code: 'ROUTE_EXISTS', field: 'routes', index,
    message: `the route to ${routeText({...want, via: undefined})} already exists through ${dev}; the kernel keeps one route per destination and metric, so ${label} cannot have it too`,
    expected: `another metric (e.g. "${want.dst}/${want.dstLen}${want.via ? ` via ${want.via}` : ''} metric ${want.metric + 1}"), or remove it from ${dev} first`,
  })
}

// ---- an existing device -----------------------------------------------------------------------

const clears = (want: unknown, cur: number | undefined) => want === null && cur !== undefined
/** A step added to a plan's list (a function, not a closure made for each of thousands of devices). */
const addStep = (steps: PlannedStep[], step: Step, label: string, changes: Change[]) => steps.push({step, label, changes})
/** An empty list a device plan only reads (the addresses or routes of a device that asks nothing of them). */
const NONE: never[] = Object.freeze([]) as unknown as never[]
/** The route check of a device that asks nothing of its routes: planRoutes never calls it then. */
const noRouteProblem = (): undefined => undefined
const routeChange = (f: RouteFacts, add: boolean): Change => (add ? {what: 'route', from: null, to: routeText(f)} : {what: 'route', from: routeText(f), to: null})

function planExisting(snap: Snapshot, link: LinkState, d: DesiredDevice): DevicePlan {
  const tun = link.tun!
  const mode = tun.type
  const name = link.name
  // A step's objects are made only where something changes: most devices of an apply of thousands have
  // nothing to do, and every object made for one of them is garbage to collect.
  const steps: PlannedStep[] = []
  const warnings: string[] = []

  // Owner and group: the kernel cannot unset them once set.
  if (clears(d.owner, tun.owner) || clears(d.group, tun.group)) throw refusal({code: 'CANNOT_UNSET', name, mode})
  const newOwner = d.owner && d.owner.id !== tun.owner
  const newGroup = d.group && d.group.id !== tun.group
  if (newOwner || newGroup) {
    const ownerChanges: Change[] = []
    const ownerStep: Step & {kind: 'owner'} = {kind: 'owner', attach: 0}
    if (newOwner) {
      ownerStep.owner = d.owner!.id
      ownerChanges.push({what: 'owner', from: tun.owner ?? null, to: d.owner!.id})
    }
    if (newGroup) {
      ownerStep.group = d.group!.id
      ownerChanges.push({what: 'group', from: tun.group ?? null, to: d.group!.id})
    }
    const holders = snap.holders(name)
    if (holders.length && !tun.multiQueue) throw refusal({code: 'OWNER_BUSY', name, heldBy: holders})
    // Owner and group change through an attached fd, and attaching sets every TUN flag to what it asks:
    // all of them must be known (napi only from sysfs), or the change would silently clear what was not read.
    const attach = attachFlags(tunState(link, snap.tunFlags(link)))
    if (attach === undefined) throw refusal({code: 'TUN_FLAGS_UNKNOWN', name})
    ownerStep.attach = attach
    addStep(steps, ownerStep, 'change the owner', ownerChanges)
  }

  // Down first (when asked), rename.
  const wasUp = (link.flags & IFF_UP) !== 0
  const goesDown = (d.up === false || Boolean(d.downFirst)) && wasUp
  if (goesDown) addStep(steps, {kind: 'flags', set: 0, clear: IFF_UP, phase: 'down'}, 'bring it down', [])
  if (d.rename !== undefined && d.rename !== name) {
    if (snap.link(d.rename)) throw refusal({code: 'EEXIST', name, to: d.rename})
    // Renamed as it is: the kernel renames a device that is up (and going down would drop its routes).
    addStep(steps, {kind: 'rename', to: d.rename}, `rename it to ${d.rename}`, [{what: 'name', from: name, to: d.rename}])
  }

  // MAC, MTU, txqueuelen, alias, link group.
  if (d.mac && mode === 'tap' && link.mac !== formatMac(d.mac)) addStep(steps, {kind: 'mac', mac: d.mac}, 'set the MAC address', [{what: 'mac', from: link.mac ?? null, to: formatMac(d.mac)}])
  if (d.mtu !== undefined) {
    const lo = link.minMtu ?? MTU_MIN
    const hi = link.maxMtu || MTU_MAX
    if (d.mtu < lo || d.mtu > hi) throw refusal({code: 'OUT_OF_RANGE', name, mtu: d.mtu, lo, hi, mode, fresh: false})
  }
  const master = masterOf(snap, d, mode)
  const newMtu = d.mtu !== undefined && d.mtu !== link.mtu
  const newTxqlen = d.txqueuelen !== undefined && d.txqueuelen !== link.txqlen
  const newAlias = d.alias !== undefined && d.alias !== link.alias
  const newLinkGroup = d.linkGroup !== undefined && d.linkGroup !== link.group
  const newMaster = master !== undefined && (master?.index ?? 0) !== (link.master ?? 0)
  if (newMtu || newTxqlen || newAlias || newLinkGroup || newMaster) {
    const linkStep: Step & {kind: 'link'} = {kind: 'link'}
    const linkChanges: Change[] = []
    if (newMtu) {
      linkStep.mtu = d.mtu
      linkChanges.push({what: 'mtu', from: link.mtu ?? null, to: d.mtu!})
    }
    if (newTxqlen) {
      linkStep.txqlen = d.txqueuelen
      linkChanges.push({what: 'txqueuelen', from: link.txqlen ?? null, to: d.txqueuelen!})
    }
    if (newAlias) {
      linkStep.alias = d.alias
      linkChanges.push({what: 'managed', from: link.alias ?? null, to: d.alias!})
    }
    if (newLinkGroup) {
      linkStep.group = d.linkGroup
      linkChanges.push({what: 'link group', from: link.group ?? null, to: d.linkGroup!})
    }
    if (newMaster) {
      linkStep.master = master?.index ?? 0
      const now = link.master ? snap.links().find((l) => l.index === link.master)?.name ?? `ifindex ${link.master}` : null
      linkChanges.push({what: 'master', from: now, to: master?.name ?? null})
    }
    addStep(steps, linkStep, linkChanges.map((c) => c.what === 'master' ? (c.to === null ? `take it out of ${c.from}` : `make it a port of ${c.to}`) : `set the ${c.what === 'managed' ? 'alias' : c.what}`).join(', '), linkChanges)
  }

  // Flags, up last.
  const afterDown = goesDown ? link.flags & ~IFF_UP : link.flags
  const bits = linkFlagBits(d, afterDown)
  const otherSet = bits.set & ~IFF_UP
  const otherClear = bits.clear & ~IFF_UP
  if (otherSet || otherClear) addStep(steps, {kind: 'flags', set: otherSet, clear: otherClear, phase: 'other'}, 'set interface flags', bits.changes)
  const isUp = d.up ?? wasUp
  if (isUp && !(afterDown & IFF_UP)) addStep(steps, {kind: 'flags', set: IFF_UP, clear: 0, phase: 'up'}, 'bring it up', isUp !== wasUp ? [{what: 'up', from: wasUp, to: isUp}] : [])
  else if (isUp !== wasUp) steps.find((s) => s.step.kind === 'flags' && s.step.phase === 'down')?.changes.push({what: 'up', from: wasUp, to: isUp})

  if (d.carrier !== undefined && d.carrier !== link.carrier) {
    addStep(steps, {kind: 'carrier', on: d.carrier}, `turn the carrier ${d.carrier ? 'on' : 'off'}`, [{what: 'carrier', from: link.carrier ?? null, to: d.carrier}])
  }

  // Addresses and routes: identities as the kernel keeps them (model/network.ts). Routes (gateways) and
  // the MTU (IPv6) are checked against the addresses too.
  const touchesAddresses = d.addresses.length > 0 || d.delAddresses.length > 0 || d.exactAddresses || d.routes.length > 0 || d.mtu !== undefined
  const have = touchesAddresses ? snap.addresses(link.index) : NONE
  const addrs = planAddresses(name, have, d, warnings)
  const touchesRoutes = d.routes.length > 0 || d.delRoutes.length > 0 || d.exactRoutes
  const mine = touchesRoutes || goesDown ? routesIndexed(snap).byOif.get(link.index) ?? NONE : NONE
  const routes = planRoutes(name, touchesRoutes ? mine : NONE, d, warnings, touchesRoutes ? (f, index) => routeElsewhere(snap, f, link.index)?.(index, name) : noRouteProblem)
  if (goesDown) {
    const v6 = snap.addresses(link.index).filter((a) => a.family === 6 && !a.linkScope)
    const kept = keptThroughDown(name, isUp, {addresses: v6, routes: mine.filter((r) => r.ours)}, {removed: [...addrs.removed, ...addrs.adds.map(addressFacts)], routes: [...routes.dels, ...routes.adds.map(routeFacts)]}, warnings)
    for (const a of kept.addresses) addStep(steps, {kind: 'address', add: true, ...addressSpecOf(a)}, `add address ${addressText(a)} again`, [])
    for (const f of kept.routes) addStep(steps, {kind: 'route', add: true, ...routeSpecOf(f), metric: f.metric}, `add route ${routeText(f)} again`, [])
  }
  // Each list walked only when it has something (a for-of makes an iterator for an empty one too); arrays by index.
  if (routes.dels.size) for (const f of routes.dels) addStep(steps, {kind: 'route', add: false, ...routeSpecOf(f), metric: f.metric}, `remove route ${routeText(f)}`, [routeChange(f, false)])
  if (addrs.removed.size) for (const h of addrs.removed) addStep(steps, {kind: 'address', add: false, ...addressSpecOf(h)}, `remove address ${addressText(h)}`, [{what: 'address', from: addressText(h), to: null}])
  for (let i = 0; i < addrs.adds.length; i++) {
    const a = addrs.adds[i]
    addStep(steps, {kind: 'address', add: true, local: a.local, peer: a.peer}, `add address ${addressText(addressFacts(a))}`, [{what: 'address', from: null, to: addressText(addressFacts(a))}])
  }
  for (let i = 0; i < routes.adds.length; i++) {
    const r = routes.adds[i]
    addStep(steps, {kind: 'route', add: true, dst: r.dst, via: r.via, metric: r.metric}, `add route ${routeText(routeFacts(r))}`, [routeChange(routeFacts(r), true)])
  }

  const view: DeviceView = {
    label: name, mode, hasMac: d.mac !== undefined, mtu: d.mtu ?? link.mtu, mtuRequested: d.mtu !== undefined, up: isUp,
    addresses: addrs.final, requestedAddresses: d.addresses, routes: d.routes,
  }
  const deviceProblems = checkDevice(view)
  if (deviceProblems.length || routes.problems.length) throw problemError([...deviceProblems, ...routes.problems])
  const changes = steps.length === 0 ? NONE : steps.flatMap((s) => s.changes)
  return {name, action: changes.length ? 'change' : 'unchanged', index: link.index, mode, multiQueue: tun.multiQueue, steps, changes, warnings}
}
