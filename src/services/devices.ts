/** Use cases for TUN/TAP devices: create, delete, list, show. */
import * as C from '../kernel/constants'
import {Address, Link, Route} from '../kernel/netlink-codec'
import {LinkState} from '../model/state'
import {Netlink, withNetlink} from '../kernel/netlink'
import {readTunFlags} from '../kernel/sysfs'
import {TunadmError} from '../errors'
import {DesiredDevice} from '../model/desired'
import {AddressView, Holder, Mode, RouteView, TunDevice, busy, holdersOf} from '../model/device'
import {IFNAMSIZ} from '../model/limits'
import {attachFlags, createdTunFlags} from '../model/settings'
import {validateIfName} from '../model/validate'
import {findHolders} from '../system/holders'
import {KernelError, isKernelError} from '../kernel/errno'
import {TUN_NODE, TunHandle} from '../kernel/tun'
import {createFlags} from '../model/settings'
import {explainKernelError} from './explain'
import {Outcome, descriptorBudget, execute} from './execute'
import {notFound, notTun, toDevice, tunState} from './links'
import {normaliseError} from './normalise'
import {Change, DevicePlan, PlanOptions, plan, planDelete} from './plan'
import {Snapshot, isMainUnicast, kernelSnapshot} from './snapshot'
import {compareNames} from '../model/natural'
import {MANY_DEVICES, noOptimisingCompiler} from '../system/jit'

export {flagNames, kindOf, toDevice} from './links'
export {isMainUnicast} from './snapshot'

const PROTOCOLS: Record<number, string> = {[C.RTPROT_KERNEL]: 'kernel', [C.RTPROT_BOOT]: 'boot', [C.RTPROT_STATIC]: 'static'}

export interface ReadOptions {
  processes?: boolean
  /** Addresses and routes (one more dump each). */
  addressing?: boolean
}

export function routeView(r: Route): RouteView {
  return {
    destination: `${r.dst}/${r.dstLen}`,
    gateway: r.gateway,
    metric: r.priority,
    linkdown: (r.flags & C.RTNH_F_LINKDOWN) !== 0,
    protocol: PROTOCOLS[r.protocol] ?? String(r.protocol),
  }
}

function addAddressing(nl: Netlink, devices: TunDevice[]): void {
  assignAddressing(devices, nl.addresses(), nl.mainUnicastRoutes())
}

/** Give each device its addresses and its main-table unicast routes, from one dump of each. */
export function assignAddressing(devices: TunDevice[], addresses: Address[], routes: Route[]): void {
  // Indexed loops and the map filled in place: list --json does this for each of thousands of devices
  // (no pair array a device, no iterator result a device, address or route).
  const byIndex = new Map<number, TunDevice>()
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]
    byIndex.set(d.index, d)
    d.addresses = []
    d.routes = []
  }
  for (let i = 0; i < addresses.length; i++) {
    const a = addresses[i]
    const d = byIndex.get(a.index)
    if (!d) continue
    const v: AddressView = {address: a.address, prefixLen: a.prefixLen, family: a.family}
    if (a.peer) v.peer = a.peer
    d.addresses!.push(v)
  }
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i]
    const d = r.oif !== undefined ? byIndex.get(r.oif) : undefined
    if (!d || !isMainUnicast(r)) continue
    d.routes!.push(routeView(r))
  }
}


function addProcesses(devices: TunDevice[]): void {
  const holders = findHolders()
  for (const d of devices) d.processes = holdersOf(d, holders.get(d.name) ?? [])
}

export function listDevices(opts: ReadOptions = {}): TunDevice[] {
  const devices = withNetlink((nl) => {
    // A long list is one pass over many devices: V8's optimising compiler would cost more than it saves.
    // Each link made a device view as it is read: the links are not kept (for young-generation collections
    // to copy) until the dump ends.
    let seen = 0
    let list: TunDevice[] = []
    nl.eachLink('tun', (l) => {
      if (++seen === MANY_DEVICES) noOptimisingCompiler()
      if (l.kind === 'tun') list.push(toDevice(l, readTunFlags(l.name)))
    }, () => { list = [] })
    nameMasters(nl, list)
    if (opts.addressing) addAddressing(nl, list)
    return list
  })
  if (opts.processes) addProcesses(devices)
  return devices.sort((a, b) => compareNames(a.name, b.name))
}

/** The names of the devices' masters: one request per master (a VM host has a bridge or two, not one per device). */
function nameMasters(nl: Netlink, devices: TunDevice[]): void {
  const names = new Map<number, string | undefined>()
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]
    if (!d.master) continue
    if (!names.has(d.master.index)) names.set(d.master.index, nl.linkAt(d.master.index)?.name)
    d.master.name = names.get(d.master.index) ?? d.master.name
  }
}

/** The TUN/TAP link named `name`, or a clear error when there is none or it is another kind. */
export function tunLink(nl: Netlink, name: string): Link {
  if (!name || Buffer.byteLength(name) >= IFNAMSIZ || name.includes('\0')) validateIfName(name)
  const link = nl.link(name)
  if (!link) {
    validateIfName(name)
    throw notFound(name)
  }
  if (link.kind !== 'tun') throw notTun(link)
  return link
}

export function showDevice(name: string, opts: ReadOptions = {processes: true, addressing: true}): TunDevice {
  const dev = withNetlink((nl) => {
    const d = toDevice(tunLink(nl, name), readTunFlags(name))
    nameMasters(nl, [d])
    if (opts.addressing) addAddressing(nl, [d])
    return d
  })
  if (opts.processes) addProcesses([dev])
  return dev
}

// ---- add, set, del: thin over plan() and execute() ----------------------------------------------

/** Plan and execute one device; its failure is thrown. */
function runOne(nl: Netlink, snap: Snapshot, desired: DesiredDevice, opts: PlanOptions & {dryRun?: boolean}): {plan: DevicePlan; outcome?: Outcome} {
  const p = plan(snap, desired, opts)
  if (opts.dryRun || p.steps.length === 0) return {plan: p}
  const [outcome] = execute(nl, [p])
  if (outcome.error) throw outcome.error
  return {plan: p, outcome}
}

/** Create a device as `desired` says (name, fixed part, settings); removed again if any step fails. */
export function addDevice(desired: DesiredDevice): TunDevice {
  return withNetlink((nl) => {
    const {plan: p, outcome} = runOne(nl, kernelSnapshot(nl), desired, {intent: 'add'})
    const link = nl.link(outcome!.name)
    if (!link) throw new TunadmError(`${outcome!.name} was created but has disappeared since`, {code: 'ENODEV', why: 'another program removed it'})
    // The flags it was just created with are its tun_flags: no sysfs read (under --netns, a mount of its own).
    const create = p.steps.find((s) => s.step.kind === 'create')?.step
    const d = toDevice(link, create?.kind === 'create' ? createdTunFlags(create.flags) : readTunFlags(link.name))
    nameMasters(nl, [d])
    return d
  })
}

export interface SetReport {
  name: string
  changes: Change[]
  warnings: string[]
}

/** Change an existing device; every value and rule is checked before the first change. */
export function setDevice(desired: DesiredDevice, opts: {dryRun?: boolean} = {}): SetReport {
  return withNetlink((nl) => {
    const snap = kernelSnapshot(nl)
    acceptName(snap, desired.name)
    const {plan: p, outcome} = runOne(nl, snap, desired, {intent: 'set', dryRun: opts.dryRun})
    return {name: outcome?.name ?? p.name, changes: outcome?.done ?? p.changes, warnings: p.warnings}
  })
}

/**
 * A name given for an existing device: any name the kernel accepted (ip can make names tunadm would
 * refuse for a new device, e.g. with control characters) is fine when such a device exists.
 */
function acceptName(snap: Snapshot, name: string): void {
  try {
    validateIfName(name)
  } catch (err) {
    const bytes = Buffer.byteLength(name)
    if (bytes > 0 && bytes < IFNAMSIZ && !name.includes('\0') && snap.link(name)) return
    throw err
  }
}

export interface DeleteResult {
  name: string
  deleted: boolean
  /** For --if-exists: the device was not there. */
  absent?: boolean
  mode?: Mode
  /** Processes that had it open when --force deleted it. */
  detached?: Holder[]
  error?: TunadmError
}

/**
 * Delete a device as its owner, without CAP_NET_ADMIN: TUNSETIFF with the device's own mode and
 * queue flag, then TUNSETPERSIST 0; closing the fd removes it (at once, when nothing else is attached).
 * A caller the kernel does not admit gets a precise message; undefined when it worked.
 */
function deleteAsOwner(link: LinkState, own: number | undefined): Error | undefined {
  const tun = link.tun!
  let handle: TunHandle | undefined
  try {
    // The device's own TUN flags where sysfs shows them (`own`: an attach sets the features it asks for,
    // and TUNSETPERSIST 0 could still fail); otherwise those netlink shows, which include all the kernel
    // checks (mode, multi_queue). The device goes when the fd closes.
    handle = TunHandle.attachExisting(link.name, own ?? createFlags(tun.type, {pi: tun.pi, vnet_hdr: tun.vnetHdr, multi_queue: tun.multiQueue}))
    handle.setPersist(false)
    return undefined
  } catch (err) {
    if (isKernelError(err, 'EPERM')) {
      const owner = tun.owner === undefined ? 'no owner' : `owner uid ${tun.owner}`
      return new TunadmError(`cannot delete ${link.name}: only root (CAP_NET_ADMIN) or the device's owner may delete it`, {
        code: 'EPERM', why: `${link.name} has ${owner}${tun.group !== undefined ? ` and group gid ${tun.group}` : ''}, which does not admit uid ${process.geteuid?.()}: the kernel lets the owner make its own device non-persistent (which removes it) and give it away (TUNSETOWNER), and nobody else`,
        fix: `run it as root (sudo tunadm del ${link.name}), or as the device's owner`,
      })
    }
    if (isKernelError(err, 'EACCES') && (err as KernelError).op.startsWith('open')) {
      return new TunadmError(`cannot delete ${link.name} as its owner: this user cannot open ${TUN_NODE}`, {
        code: 'EACCES', why: `without CAP_NET_ADMIN the owner deletes its device through ${TUN_NODE} (attach, then TUNSETPERSIST 0), and the node's mode does not let this user open it`,
        fix: `run it as root (sudo tunadm del ${link.name})`,
      })
    }
    return err as Error
  } finally {
    handle?.close()
  }
}

/**
 * Delete devices by name. Every name is checked first (an invalid one refuses the whole request
 * before anything is deleted); then each device is checked against the kernel (exists, is TUN/TAP,
 * not held unless forced) from one snapshot and, unless the kernel itself says that nobody holds them
 * (idleByKernel), one /proc scan; the deletions go as one batch.
 */
export function deleteDevices(names: string[], opts: {force?: boolean; ifExists?: boolean} = {}): DeleteResult[] {
  const probes: TunHandle[] = []
  try {
    return withNetlink((nl) => deleteIn(nl, names, opts, probes))
  } finally {
    for (const p of probes) p.close()
  }
}

/** At most this many devices are kept attached (one descriptor each) until their delete; the rest are scanned for. */
const MAX_PROBES = 64

/**
 * Whether the kernel itself says that no program holds `link` open, so that its holders need not be
 * looked for in /proc (a scan of every process's descriptors: most of del's own time). A multi-queue
 * device counts its attached and disabled queues: none, nobody. A single-queue device with its carrier
 * on is held (the scan then names the holders); with its carrier off, it is held only by a program that
 * turned the carrier off. If it is down, root attaches to it (TUNSETIFF), which the kernel refuses with
 * EBUSY while another file is attached, and keeps that attachment in `probes` until the delete is done:
 * nobody can attach in between. An attach turns the carrier on, which on a device that is down changes
 * nothing that passes traffic (an up device's routes and bridge port would come alive: scanned for
 * instead). It also sets the device's TUN features to those it asks for (tun.c), so it asks for exactly
 * the device's own, read from sysfs (napi and napi_frags are nowhere else): should the delete then fail,
 * the device is as it was. Anything else (up, flags unreadable, refused, not root, `room` used up):
 * false, and the scan decides as it always did.
 */
function idleByKernel(snap: Snapshot, link: LinkState, probes: TunHandle[], room: number): boolean {
  const tun = link.tun!
  if (tun.multiQueue) return tun.numQueues === 0 && tun.numDisabledQueues === 0
  if (link.carrier !== false || (link.flags & C.IFF_UP) !== 0 || process.geteuid?.() !== 0 || probes.length >= room) return false
  const flags = attachFlags(tunState(link, snap.tunFlags(link)))
  if (flags === undefined) return false
  try {
    probes.push(TunHandle.attachExisting(link.name, flags))
    return true
  } catch {
    return false
  }
}

function deleteIn(nl: Netlink, names: string[], opts: {force?: boolean; ifExists?: boolean}, probes: TunHandle[]): DeleteResult[] {
  const kernel = kernelSnapshot(nl)
  // Attachments stay open until the delete: within the descriptors free, less tunadm's reserve.
  let room = MAX_PROBES
  if (names.length > 1) {
    try {
      room = Math.min(MAX_PROBES, descriptorBudget(names.length))
    } catch {
      room = 0
    }
  }
  // Devices the kernel says nobody holds (idleByKernel) have no holders to look for.
  const idle = new Set<string>()
  const snap: Snapshot = {...kernel, holders: (name) => (idle.has(name) ? [] : kernel.holders(name))}
  if (names.length > 16) snap.links()
  for (const name of names) acceptName(snap, name)
  const results: DeleteResult[] = []
  const doomed: Array<{r: DeleteResult; p: DevicePlan; link: LinkState}> = []
  const seen = new Set<string>()
  for (const name of names) {
    if (seen.has(name)) continue
    seen.add(name)
    const link = snap.link(name)
    const r: DeleteResult = {name, deleted: false}
    results.push(r)
    if (!link) {
      if (opts.ifExists) r.absent = true
      else r.error = notFound(name)
      continue
    }
    if (link.kind !== 'tun' || !link.tun) {
      r.error = notTun(link)
      continue
    }
    r.mode = link.tun.type
    if (idleByKernel(kernel, link, probes, room)) idle.add(name)
    try {
      doomed.push({r, p: planDelete(snap, link, {force: opts.force, asker: 'del'}), link})
    } catch (err) {
      r.error = normaliseError(err)
      continue
    }
    const reason = busy({multiQueue: link.tun.multiQueue, queues: link.tun.numQueues, disabledQueues: link.tun.numDisabledQueues, carrier: link.carrier ?? false}, snap.holders(name))
    if (reason?.code === 'HELD') r.detached = reason.holders
  }
  const outcomes = execute(nl, doomed.map(({p}) => p))
  // Detached by the delete already; closed before an owner's delete, which attaches itself.
  for (const p of probes.splice(0)) p.close()
  doomed.forEach(({r, link}, i) => {
    // RTM_DELLINK needs CAP_NET_ADMIN; the device's owner may still remove its own device the way the
    // kernel allows it: attach (TUNSETIFF) and make it non-persistent, so it goes when the fd closes.
    let error: Error | undefined = outcomes[i].error
    if (error && (error as TunadmError).code === 'EPERM') {
      const owner = deleteAsOwner(link, attachFlags(tunState(link, kernel.tunFlags(link))))
      error = owner && normaliseError(explainKernelError(owner, {action: `delete ${r.name}`, device: r.name}))
    }
    if (error) r.error = error as TunadmError
    else r.deleted = true
  })
  return results
}
