/**
 * plan(snapshot, desired): what to do to one device, worked out from what the kernel has. Pure: it
 * reads the snapshot, changes nothing, and checks every value and every rule (model/rules.ts, the
 * same as the config loader's) before execute() makes the first change. A dry run is the plan alone.
 */
import * as C from '../kernel/constants'
import {Address, Link, Route} from '../kernel/netlink-codec'
import {InvalidInputError, TunadmError} from '../errors'
import {
  AddressFacts, AddressSpec, DesiredDevice, RouteFacts, RouteSpec, addressFacts, addressKey, addressMatches, addressText,
  routeFacts, routeKey, routeMatches, routeText,
} from '../model/desired'
import {Mode, busy} from '../model/device'
import {MatchedBy, isTunadmMarker} from '../model/identity'
import {Prefix, parsePrefix} from '../model/ip'
import {MTU_MAX, MTU_MIN, mtuMax} from '../model/limits'
import {formatMac} from '../model/mac'
import {DeviceView, Problem, checkDevice} from '../model/rules'
import {MASTER_KINDS, TUN_FLAGS, attachFlags, createFlags, fixedDifferences as registryDifferences} from '../model/settings'
import {isTemplate} from '../model/validate'
import {describeHolders} from '../system/holders'
import {busyError} from '../render/refusals'
import {alreadyExists, kindOf, notFound, notTun, tunState} from './links'
import {Snapshot} from './snapshot'
import {problemError} from './desired'

export interface Change {
  what: string
  from?: string | number | boolean | null
  to?: string | number | boolean | null
}

export type Step =
  | {kind: 'delete'}
  /** flags: TUNSETIFF's, from the registry (mode and TUN flags). */
  | {kind: 'create'; mode: Mode; flags: number; owner?: number; group?: number}
  /** attach: the device's own TUNSETIFF flags, every one of them read, so that attaching changes none. */
  | {kind: 'owner'; owner?: number; group?: number; attach: number}
  | {kind: 'flags'; set: number; clear: number; phase: 'down' | 'other' | 'up'}
  | {kind: 'rename'; to: string}
  | {kind: 'mac'; mac: Buffer}
  | {kind: 'link'; mtu?: number; txqlen?: number; alias?: string; group?: number; master?: number}
  | {kind: 'carrier'; on: boolean}
  | {kind: 'route'; add: boolean; dst: Prefix; via?: Prefix; metric?: number}
  | {kind: 'address'; add: boolean; local: Prefix; peer?: Prefix}
  | {kind: 'persist'}

export interface PlannedStep {
  step: Step
  /** In words, for errors: "set the MTU". */
  label: string
  /** What it changes, for the report. */
  changes: Change[]
}

export type PlanAction = 'create' | 'recreate' | 'change' | 'unchanged' | 'foreign' | 'delete'

export interface DevicePlan {
  /** The name the device has now (or is asked for: possibly a template such as tap%d). */
  name: string
  action: PlanAction
  /** The existing device's ifindex. */
  index?: number
  mode: Mode
  multiQueue: boolean
  steps: PlannedStep[]
  changes: Change[]
  warnings: string[]
  /** apply: how an existing device was found to be the config's (services/ownership.ts). */
  matchedBy?: MatchedBy
}

export interface PlanOptions {
  intent: 'add' | 'set' | 'apply'
  /** apply: take over a device that is not marked as managed by this config. */
  adopt?: boolean
  /** apply: delete and create again a device whose fixed part differs. */
  recreate?: boolean
  /** apply: whether an existing device is the config's, and by which witness; by default, its alias is d.alias. */
  owner?: (link: Link) => {by?: MatchedBy; foreign?: string}
}

const FLAG_WORDS: Array<[keyof DesiredDevice, number, string, boolean]> = [
  ['promisc', C.IFF_PROMISC, 'promisc', false],
  ['allmulti', C.IFF_ALLMULTI, 'allmulti', false],
  ['multicast', C.IFF_MULTICAST, 'multicast', false],
  // arp on = NOARP off
  ['arp', C.IFF_NOARP, 'arp', true],
]

/** Routes the kernel or a router advertisement made: not ours to remove. */
const foreignProtocols = new Set([C.RTPROT_KERNEL, 9 /* RTPROT_RA */])

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
    if (opts.intent === 'apply') {
      throw new TunadmError(`${d.name} exists and is not a TUN/TAP device (it is ${kindOf(link)})`, {code: 'NOT_TUN', why: 'tunadm never changes devices of other kinds', fix: 'rename one of them'})
    }
    throw notTun(link)
  }
  let matchedBy: MatchedBy | undefined
  if (opts.intent === 'apply') {
    const owner = opts.owner?.(link) ?? (link.alias === d.alias ? {by: 'marker' as const} : {})
    if (!owner.by && !opts.adopt) return foreign(link, owner.foreign)
    matchedBy = owner.by ?? 'adopted'
    const diffs = fixedDifferences(snap, d, link)
    if (diffs.length) {
      const holders = snap.holders(link.name)
      if (!opts.recreate) {
        throw new TunadmError(`${d.name} differs in what cannot change in place: ${diffs.join('; ')}`, {
          code: 'NEEDS_RECREATE', fix: `run tunadm apply --recreate to delete and create it again (only while nothing is attached${holders.length ? `; now held by ${describeHolders(holders)}` : ''})`,
        })
      }
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
export function planDelete(snap: Snapshot, link: Link, opts: {force?: boolean; asker: Parameters<typeof busyError>[2]}): DevicePlan {
  const tun = link.tun!
  const reason = busy({multiQueue: tun.multiQueue, queues: tun.numQueues, disabledQueues: tun.numDisabledQueues, carrier: link.carrier ?? false}, snap.holders(link.name))
  if (reason && !opts.force) throw busyError(reason, link.name, opts.asker)
  const changes: Change[] = [{what: 'device', from: `${tun.type} ${link.name}`, to: null}]
  return {
    name: link.name, action: 'delete', index: link.index, mode: tun.type, multiQueue: tun.multiQueue, warnings: [],
    steps: [{step: {kind: 'delete'}, label: `delete ${link.name}`, changes}], changes,
  }
}

function foreign(link: Link, why?: string): never {
  const by = why ?? (isTunadmMarker(link.alias) ? `it is managed by another config (its alias is "${link.alias}")` : 'it was not created by this config (it has no tunadm marker)')
  throw new TunadmError(`${link.name} exists and ${by.replace(/^it /, '')}`, {
    code: 'FOREIGN',
    why: 'apply changes, prunes and removes only the devices it manages, so that it never takes over someone else\'s',
    fix: `take it over with tunadm apply --adopt (down then deletes it too), or give the entry another name`,
  })
}

/** Creation-time properties that cannot change in place (the TUN flags: the registry's comparison). */
function fixedDifferences(snap: Snapshot, d: DesiredDevice, link: Link): string[] {
  const t = link.tun!
  const diffs: string[] = []
  if (d.mode && t.type !== d.mode) diffs.push(`mode is ${t.type}, the file says ${d.mode}`)
  // What only sysfs tells (napi) is read when the entry turns it on: a device this config made without it cannot gain it.
  const wantsSysfs = TUN_FLAGS.some((s) => s.source === 'sysfs tun_flags' && d.tunFlags?.[s.key])
  diffs.push(...registryDifferences(d.tunFlags ?? {}, tunState(link, wantsSysfs ? snap.tunFlags(link) : undefined)))
  if (d.owner === null && t.owner !== undefined) diffs.push(`it has owner ${t.owner}, the file names no user (the kernel cannot unset an owner)`)
  if (d.group === null && t.group !== undefined) diffs.push(`it has group ${t.group}, the file names no group (the kernel cannot unset a group)`)
  return diffs
}

/**
 * The master `d` asks for (null: none; undefined: not asked), checked before any change: it must exist
 * and be a bridge, bond or vrf. tunadm never creates or changes the master, so a missing one is refused.
 */
function masterOf(snap: Snapshot, d: DesiredDevice, mode: Mode): Link | null | undefined {
  if (d.master === undefined || d.master === null) return d.master
  const m = snap.link(d.master)
  if (!m) {
    throw new TunadmError(`cannot make ${d.name} a port of ${d.master}: there is no device named ${d.master}`, {
      code: 'NO_MASTER', why: 'tunadm makes a device a port of an existing bridge, bond or vrf; it never creates or changes one',
      fix: `create it first (ip link add ${d.master} type bridge && ip link set ${d.master} up, or in systemd-networkd, NetworkManager or ifupdown), or name another with --master / master:`,
    })
  }
  if (!(MASTER_KINDS as readonly string[]).includes(m.kind ?? '')) {
    const what = kindOf(m)
    throw new TunadmError(`cannot make ${d.name} a port of ${d.master}: ${d.master} is ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what}, not a bridge, bond or vrf`, {
      code: 'NOT_A_MASTER', why: 'only a bridge, a bond or a vrf takes ports',
      fix: 'name a bridge, bond or vrf (ip -br link show type bridge lists the bridges)',
    })
  }
  if (m.kind === 'bridge' && mode === 'tun') {
    // The kernel's bridge takes Ethernet devices only (EINVAL otherwise): said before anything changes.
    throw new InvalidInputError(`${d.name} is a TUN device and cannot be a port of bridge ${d.master}: a bridge forwards Ethernet frames, and a TUN device carries IP packets`, {
      code: 'TUN_IN_BRIDGE', fix: 'use a TAP device (mode: tap, --mode tap) as a bridge port; a TUN device can be a port of a vrf',
    })
  }
  return m
}

// ---- a new device -----------------------------------------------------------------------------

function planNew(snap: Snapshot, d: DesiredDevice, action: 'create' | 'recreate', old?: Link): DevicePlan {
  const mode = d.mode!
  const name = d.name
  const steps: PlannedStep[] = []
  const push = (step: Step, label: string, changes: Change[] = []) => steps.push({step, label, changes})
  const owner = d.owner ?? undefined
  const group = d.group ?? undefined
  if (d.mtu !== undefined && d.mtu > mtuMax(mode)) {
    throw new InvalidInputError(`MTU ${d.mtu} is out of range for a ${mode} device`, {code: 'OUT_OF_RANGE', why: `the kernel accepts ${MTU_MIN} to ${mtuMax(mode)} for ${mode} devices`})
  }
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
  const {set, clear, changes: flagChanges} = flagBits(d, undefined)
  if (set & ~C.IFF_UP || clear & ~C.IFF_UP) push({kind: 'flags', set: set & ~C.IFF_UP, clear: clear & ~C.IFF_UP, phase: 'other'}, 'set interface flags', flagChanges)
  if (d.up) push({kind: 'flags', set: C.IFF_UP, clear: 0, phase: 'up'}, 'bring it up', [{what: 'up', from: null, to: true}])
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

interface RouteIndex {
  byKey: Map<string, Route[]>
  byOif: Map<number, Route[]>
}

/** The snapshot's routes by identity and by device, built once per snapshot (1000 devices stay linear). */
const routeIndexes = new WeakMap<Snapshot, RouteIndex>()

function routeIndex(snap: Snapshot): RouteIndex {
  let idx = routeIndexes.get(snap)
  if (!idx) {
    idx = {byKey: new Map(), byOif: new Map()}
    const add = <K>(m: Map<K, Route[]>, k: K, r: Route) => {
      const list = m.get(k)
      if (list) list.push(r)
      else m.set(k, [r])
    }
    for (const r of snap.routes()) {
      add(idx.byKey, routeKey(facts(r)), r)
      if (r.oif !== undefined) add(idx.byOif, r.oif, r)
    }
    routeIndexes.set(snap, idx)
  }
  return idx
}

/** A route with the same identity through another device: the kernel keeps one. */
function routeElsewhere(snap: Snapshot, want: RouteFacts, ownIndex?: number): ((index: number, label: string) => Problem) | undefined {
  const other = routeIndex(snap).byKey.get(routeKey(want))?.find((r) => r.oif !== ownIndex)
  if (!other) return undefined
  const dev = snap.links().find((l) => l.index === other.oif)?.name ?? `ifindex ${other.oif}`
  return (index, label) => ({
    code: 'ROUTE_EXISTS', field: 'routes', index,
    message: `the route to ${routeText({...want, via: undefined})} already exists through ${dev}; the kernel keeps one route per destination and metric, so ${label} cannot have it too`,
    expected: `another metric (e.g. "${want.dst}/${want.dstLen}${want.via ? ` via ${want.via}` : ''} metric ${want.metric + 1}"), or remove it from ${dev} first`,
  })
}

// ---- an existing device -----------------------------------------------------------------------

function flagBits(d: DesiredDevice, current: number | undefined): {set: number; clear: number; changes: Change[]} {
  let set = 0
  let clear = 0
  const changes: Change[] = []
  for (const [key, bit, word, inverted] of FLAG_WORDS) {
    const want = d[key] as boolean | undefined
    if (want === undefined) continue
    const on = inverted ? !want : want
    const has = current === undefined ? undefined : (current & bit) !== 0
    if (has === on) continue
    if (on) set |= bit
    else clear |= bit
    changes.push({what: word, from: has === undefined ? null : inverted ? !has : has, to: want})
  }
  if (d.up !== undefined) {
    if (d.up) set |= C.IFF_UP
    else clear |= C.IFF_UP
  }
  return {set, clear, changes}
}

const facts = (r: Route): RouteFacts => ({family: r.family, dst: r.dst, dstLen: r.dstLen, via: r.gateway, metric: r.priority ?? 0})
const addrFacts = (a: Address): AddressFacts => (a.peer ? {family: a.family, address: a.address, prefixLen: a.prefixLen, peer: a.peer} : {family: a.family, address: a.address, prefixLen: a.prefixLen})
const toSpec = (a: AddressFacts): AddressSpec => ({local: parsePrefix(`${a.address}/${a.prefixLen}`, 'address'), peer: a.peer ? parsePrefix(`${a.peer}/${a.prefixLen}`, 'peer') : undefined})
const routeSpec = (r: RouteFacts): RouteSpec => ({dst: parsePrefix(`${r.dst}/${r.dstLen}`, 'route'), via: r.via ? parsePrefix(r.via, 'via', true) : undefined, metric: r.metric})

function planExisting(snap: Snapshot, link: Link, d: DesiredDevice): DevicePlan {
  const tun = link.tun!
  const mode = tun.type
  const name = link.name
  const steps: PlannedStep[] = []
  const warnings: string[] = []
  const problems: Problem[] = []
  const push = (step: Step, label: string, changes: Change[]) => steps.push({step, label, changes})

  // Owner and group: the kernel cannot unset them once set.
  const clears = (want: unknown, cur: number | undefined) => want === null && cur !== undefined
  if (clears(d.owner, tun.owner) || clears(d.group, tun.group)) {
    throw new TunadmError(`cannot clear the owner or group of ${name}: the kernel cannot unset them once set`, {
      code: 'CANNOT_UNSET',
      why: 'TUNSETOWNER and TUNSETGROUP accept only a valid id; "unset" exists only on a device created without one',
      fix: `recreate it: tunadm del ${name} && tunadm add ${name} --mode ${mode} --any-user`,
    })
  }
  const ownerChanges: Change[] = []
  const ownerStep: Step & {kind: 'owner'} = {kind: 'owner', attach: 0}
  if (d.owner && d.owner.id !== tun.owner) {
    ownerStep.owner = d.owner.id
    ownerChanges.push({what: 'owner', from: tun.owner ?? null, to: d.owner.id})
  }
  if (d.group && d.group.id !== tun.group) {
    ownerStep.group = d.group.id
    ownerChanges.push({what: 'group', from: tun.group ?? null, to: d.group.id})
  }
  if (ownerChanges.length) {
    const holders = snap.holders(name)
    if (holders.length && !tun.multiQueue) {
      throw new TunadmError(`cannot change the owner of ${name}: it is in use by ${describeHolders(holders)}`, {
        code: 'EBUSY', why: 'owner and group are changed through an attached file descriptor, and a single-queue device takes one at a time',
        fix: 'stop that program, change the owner, and start it again',
      })
    }
    // Owner and group change through an attached fd, and attaching sets every TUN flag to what it asks:
    // all of them must be known (napi only from sysfs), or the change would silently clear what was not read.
    const attach = attachFlags(tunState(link, snap.tunFlags(link)))
    if (attach === undefined) {
      throw new TunadmError(`cannot change the owner of ${name}: its TUN flags cannot be read`, {
        code: 'TUN_FLAGS_UNKNOWN', why: `the owner is changed by attaching to the device, which sets every TUN flag to what the attacher asks; rtnetlink does not report napi and napi_frags, and /sys/class/net/${name}/tun_flags could not be read, so attaching could clear them`,
        fix: 'run it as root where /sys is mounted (with --netns, tunadm mounts sysfs for the namespace in a private mount namespace, which needs root)',
      })
    }
    ownerStep.attach = attach
    push(ownerStep, 'change the owner', ownerChanges)
  }

  // Down first (when asked), rename.
  const wasUp = (link.flags & C.IFF_UP) !== 0
  const goesDown = (d.up === false || Boolean(d.downFirst)) && wasUp
  if (goesDown) push({kind: 'flags', set: 0, clear: C.IFF_UP, phase: 'down'}, 'bring it down', [])
  if (d.rename !== undefined && d.rename !== name) {
    if (snap.link(d.rename)) throw new TunadmError(`cannot rename ${name} to ${d.rename}: a device with that name exists`, {code: 'EEXIST', fix: 'choose another name'})
    // Renamed as it is: the kernel renames a device that is up (and going down would drop its routes).
    push({kind: 'rename', to: d.rename}, `rename it to ${d.rename}`, [{what: 'name', from: name, to: d.rename}])
  }

  // MAC, MTU, txqueuelen, alias, link group.
  if (d.mac && mode === 'tap' && link.mac !== formatMac(d.mac)) push({kind: 'mac', mac: d.mac}, 'set the MAC address', [{what: 'mac', from: link.mac ?? null, to: formatMac(d.mac)}])
  if (d.mtu !== undefined) {
    const lo = link.minMtu ?? MTU_MIN
    const hi = link.maxMtu || MTU_MAX
    if (d.mtu < lo || d.mtu > hi) throw new InvalidInputError(`MTU ${d.mtu} is out of range for ${name}`, {code: 'OUT_OF_RANGE', why: `the kernel accepts ${lo} to ${hi} for this ${mode} device`})
  }
  const linkStep: Step & {kind: 'link'} = {kind: 'link'}
  const linkChanges: Change[] = []
  if (d.mtu !== undefined && d.mtu !== link.mtu) {
    linkStep.mtu = d.mtu
    linkChanges.push({what: 'mtu', from: link.mtu ?? null, to: d.mtu})
  }
  if (d.txqueuelen !== undefined && d.txqueuelen !== link.txqlen) {
    linkStep.txqlen = d.txqueuelen
    linkChanges.push({what: 'txqueuelen', from: link.txqlen ?? null, to: d.txqueuelen})
  }
  if (d.alias !== undefined && d.alias !== link.alias) {
    linkStep.alias = d.alias
    linkChanges.push({what: 'managed', from: link.alias ?? null, to: d.alias})
  }
  if (d.linkGroup !== undefined && d.linkGroup !== link.group) {
    linkStep.group = d.linkGroup
    linkChanges.push({what: 'link group', from: link.group ?? null, to: d.linkGroup})
  }
  const master = masterOf(snap, d, mode)
  if (master !== undefined && (master?.index ?? 0) !== (link.master ?? 0)) {
    linkStep.master = master?.index ?? 0
    const now = link.master ? snap.links().find((l) => l.index === link.master)?.name ?? `ifindex ${link.master}` : null
    linkChanges.push({what: 'master', from: now, to: master?.name ?? null})
  }
  if (Object.keys(linkStep).length > 1) push(linkStep, linkChanges.map((c) => c.what === 'master' ? (c.to === null ? `take it out of ${c.from}` : `make it a port of ${c.to}`) : `set the ${c.what === 'managed' ? 'alias' : c.what}`).join(', '), linkChanges)

  // Flags, up last.
  const afterDown = goesDown ? link.flags & ~C.IFF_UP : link.flags
  const bits = flagBits(d, afterDown)
  const others = {set: bits.set & ~C.IFF_UP, clear: bits.clear & ~C.IFF_UP}
  if (others.set || others.clear) push({kind: 'flags', ...others, phase: 'other'}, 'set interface flags', bits.changes)
  const isUp = d.up ?? wasUp
  const upChange: Change[] = isUp !== wasUp ? [{what: 'up', from: wasUp, to: isUp}] : []
  if (isUp && !(afterDown & C.IFF_UP)) push({kind: 'flags', set: C.IFF_UP, clear: 0, phase: 'up'}, 'bring it up', upChange)
  else if (upChange.length) steps.find((s) => s.step.kind === 'flags' && s.step.phase === 'down')?.changes.push(...upChange)

  if (d.carrier !== undefined && d.carrier !== link.carrier) {
    push({kind: 'carrier', on: d.carrier}, `turn the carrier ${d.carrier ? 'on' : 'off'}`, [{what: 'carrier', from: link.carrier ?? null, to: d.carrier}])
  }

  // Addresses: identities as the kernel keeps them.
  // Routes (gateways) and the MTU (IPv6) are checked against the addresses too.
  const touchesAddresses = d.addresses.length > 0 || d.delAddresses.length > 0 || d.exactAddresses || d.routes.length > 0 || d.mtu !== undefined
  const all = touchesAddresses ? snap.addresses(link.index) : []
  const have = all.map(addrFacts)
  // Link-scope addresses (the kernel's own fe80::/64 among them) are removed only when asked by name.
  const kernelOwn = new Set(have.filter((_, i) => all[i].scope === C.RT_SCOPE_LINK))
  const removed = new Set<AddressFacts>()
  const remove = (h: AddressFacts) => removed.add(h)
  for (const want of d.delAddresses) {
    const hits = have.filter((h) => addressMatches(want, h))
    if (!hits.length) warnings.push(`${name} has no address ${addressText(addressFacts(want))}${want.anyPrefix ? '' : ' (with that prefix length)'}: nothing to remove`)
    hits.forEach(remove)
  }
  // Each identity worked out once: a device's addresses are compared with each other by these.
  const haveKeys = have.map(addressKey)
  const wantFacts = d.addresses.map(addressFacts)
  const wanted = new Map(wantFacts.map((f) => [addressKey(f), f]))
  if (d.exactAddresses) have.forEach((h, i) => !kernelOwn.has(h) && !sameAddress(wanted.get(haveKeys[i]), h) && remove(h))
  const adds: AddressSpec[] = []
  for (const [i, a] of d.addresses.entries()) {
    const f = wantFacts[i]
    const key = addressKey(f)
    const existing = have[haveKeys.indexOf(key)]
    if (existing && !removed.has(existing) && sameAddress(f, existing)) continue
    if (existing) remove(existing) // IPv6: another prefix length or peer; the kernel has one per address
    adds.push(a)
  }
  const finalAddresses = [...have.filter((h) => !removed.has(h) && !kernelOwn.has(h)).map(toSpec), ...adds]

  // Routes: main table, through this device.
  const touchesRoutes = d.routes.length > 0 || d.delRoutes.length > 0 || d.exactRoutes
  const mine = touchesRoutes ? (routeIndex(snap).byOif.get(link.index) ?? []).map((r) => ({r, f: facts(r)})) : []
  const routeDels = new Set<RouteFacts>()
  for (const want of d.delRoutes) {
    const hits = mine.filter(({f}) => routeMatches(want, f))
    if (!hits.length) warnings.push(`${name} has no route to ${routeText(routeFacts(want))}: nothing to remove`)
    for (const {f} of hits) routeDels.add(f)
  }
  const wantedRoutes = new Map(d.routes.map((r) => [routeKey(routeFacts(r)), routeFacts(r)]))
  if (d.exactRoutes) {
    for (const {r, f} of mine) {
      if (foreignProtocols.has(r.protocol) || (r.family === 6 && r.dst.startsWith('fe80:'))) continue
      const w = wantedRoutes.get(routeKey(f))
      if (!w || w.via !== f.via) routeDels.add(f)
    }
  }
  const routeAdds: RouteSpec[] = []
  d.routes.forEach((r, index) => {
    const f = routeFacts(r)
    const existing = mine.find((m) => routeKey(m.f) === routeKey(f))
    if (existing && existing.f.via === f.via && !routeDels.has(existing.f)) return
    if (existing) routeDels.add(existing.f) // another gateway: replace
    else {
      const clash = routeElsewhere(snap, f, link.index)
      if (clash) problems.push(clash(index, name))
    }
    routeAdds.push(r)
  })
  if (goesDown) keepThroughDown(snap, link.index, name, isUp, {removed: [...removed, ...adds.map(addressFacts)], routeDels, routeAdds: routeAdds.map(routeFacts)}, push, warnings)
  const routeChange = (f: RouteFacts, add: boolean): Change => (add ? {what: 'route', from: null, to: routeText(f)} : {what: 'route', from: routeText(f), to: null})
  for (const f of routeDels) push({kind: 'route', add: false, ...routeSpec(f), metric: f.metric}, `remove route ${routeText(f)}`, [routeChange(f, false)])
  for (const h of removed) push({kind: 'address', add: false, ...toSpec(h)}, `remove address ${addressText(h)}`, [{what: 'address', from: addressText(h), to: null}])
  for (const a of adds) push({kind: 'address', add: true, local: a.local, peer: a.peer}, `add address ${addressText(addressFacts(a))}`, [{what: 'address', from: null, to: addressText(addressFacts(a))}])
  for (const r of routeAdds) push({kind: 'route', add: true, dst: r.dst, via: r.via, metric: r.metric}, `add route ${routeText(routeFacts(r))}`, [routeChange(routeFacts(r), true)])

  const view: DeviceView = {
    label: name, mode, hasMac: d.mac !== undefined, mtu: d.mtu ?? link.mtu, mtuRequested: d.mtu !== undefined, up: isUp,
    addresses: finalAddresses, requestedAddresses: d.addresses, routes: d.routes,
  }
  problems.unshift(...checkDevice(view))
  if (problems.length) throw problemError(problems)
  const changes = steps.flatMap((s) => s.changes)
  return {name, action: changes.length ? 'change' : 'unchanged', index: link.index, mode, multiQueue: tun.multiQueue, steps, changes, warnings}
}

/**
 * A device taken down loses, by the kernel's rule, its IPv4 routes (other than the prefix routes of its
 * addresses) and its IPv6 addresses and routes. Down and up again in one request (--down ... --up):
 * they are put back after it is up, and the warning says so; left down: the warning names what is gone.
 */
function keepThroughDown(
  snap: Snapshot, index: number, name: string, upAgain: boolean,
  planned: {removed: AddressFacts[]; routeDels: Set<RouteFacts>; routeAdds: RouteFacts[]},
  push: (step: Step, what: string, changes: Change[]) => void, warnings: string[],
): void {
  const key = (a: AddressFacts) => `${a.family} ${a.address}/${a.prefixLen}`
  const skipAddr = new Set(planned.removed.map(key))
  const addresses = snap.addresses(index).filter((a) => a.family === 6 && a.scope !== C.RT_SCOPE_LINK).map(addrFacts).filter((a) => !skipAddr.has(key(a)))
  const skipRoute = new Set([...planned.routeDels, ...planned.routeAdds].map(routeKey))
  const routes = (routeIndex(snap).byOif.get(index) ?? [])
    .filter((r) => !foreignProtocols.has(r.protocol) && !(r.family === 6 && r.dst.startsWith('fe80:')))
    .map(facts).filter((f) => !skipRoute.has(routeKey(f)))
  if (!addresses.length && !routes.length) return
  const lost = [...addresses.map((a) => `address ${addressText(a)}`), ...routes.map((r) => `route ${routeText(r)}`)].join(', ')
  if (!upAgain) {
    warnings.push(`${name} goes down, and the kernel drops with it: ${lost}; bringing it up does not bring them back (tunadm apply, or --address/--route, does)`)
    return
  }
  warnings.push(`${name} goes down and up again: the kernel drops ${lost} when it goes down; tunadm adds them again once it is up`)
  for (const a of addresses) push({kind: 'address', add: true, ...toSpec(a)}, `add address ${addressText(a)} again`, [])
  for (const f of routes) push({kind: 'route', add: true, ...routeSpec(f), metric: f.metric}, `add route ${routeText(f)} again`, [])
}

function sameAddress(a: AddressFacts | undefined, b: AddressFacts): boolean {
  return a !== undefined && a.prefixLen === b.prefixLen && (a.peer ?? a.address) === (b.peer ?? b.address)
}

export function describeChange(c: Change): string {
  const v = (x: Change['from']) => (x === null || x === undefined ? 'none' : String(x))
  if (c.what === 'address' || c.what === 'route') return c.to === null ? `removed ${c.what} ${c.from}` : `added ${c.what} ${c.to}`
  if (c.what === 'device') return c.from === null ? `created ${c.to}` : `recreated ${c.to}`
  return `${c.what} ${v(c.from)} -> ${v(c.to)}`
}

/** The same change, said of a dry run. */
export function describeWouldChange(c: Change): string {
  const v = (x: Change['from']) => (x === null || x === undefined ? 'none' : String(x))
  if (c.what === 'address' || c.what === 'route') return c.to === null ? `would remove ${c.what} ${c.from}` : `would add ${c.what} ${c.to}`
  if (c.what === 'device') return c.from === null ? `would create ${c.to}` : `would recreate ${c.to}`
  if (c.from === null) return `would set ${c.what} ${v(c.to)}`
  return `would change ${c.what} ${v(c.from)} -> ${v(c.to)}`
}
