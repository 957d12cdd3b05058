/**
 * Make the system match the configuration: create what is missing, correct what drifted, leave
 * what matches alone. Devices tunadm manages carry a marker in their interface alias, so that
 * --prune and down touch only those, never someone else's.
 *
 * Crash safety: a new device becomes persistent only after it is fully configured and marked
 * (see createDevice), so an apply killed half-way leaves either a complete device or none, and
 * the next apply finishes the job.
 */
import * as path from 'node:path'
import * as C from '../kernel/constants'
import {Link, Route} from '../kernel/netlink-codec'
import {Netlink, withNetlink} from '../kernel/netlink'
import {TunadmError} from '../errors'
import {DeviceConfig, TunadmConfig} from '../config/types'
import {IdRef} from '../model/device'
import {bytesToIp, parsePrefix} from '../model/ip'
import {resolveGroup, resolveUser} from '../system/accounts'
import {findHolders, describeHolders} from '../system/holders'
import {Change, Settings, SettingsInput, applySettings, checkAgainstDevice, parseRoute, parseSettings} from './configure'
import {createDevice, deleteDevice} from './devices'
import {normaliseError} from './normalise'

export type Action = 'created' | 'changed' | 'unchanged' | 'recreated' | 'removed' | 'failed'

export interface DeviceOutcome {
  name: string
  action: Action
  changes: Change[]
  error?: Record<string, unknown>
}

export interface ApplyReport {
  dryRun: boolean
  changed: boolean
  failed: number
  devices: DeviceOutcome[]
}

export interface ApplyOptions {
  dryRun?: boolean
  prune?: boolean
  recreate?: boolean
  /** Called after each device, for progress output. */
  onDevice?: (o: DeviceOutcome) => void
}

/** The alias that marks a device as managed by the configuration at `source`. */
export function managedMarker(source: string): string {
  const marker = `tunadm:${source}`
  // IFALIASZ is 256 including the NUL; a longer path is shortened to a stable digest.
  if (Buffer.byteLength(marker) <= 255) return marker
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {createHash} = require('node:crypto') as typeof import('node:crypto')
  return `tunadm:sha256:${createHash('sha256').update(source).digest('hex')}`
}

const idText = (v: string | number | undefined) => (v === undefined ? undefined : String(v))

/** The settings a config entry asks for; the keys it leaves out are not managed. */
export function desiredSettings(d: DeviceConfig): SettingsInput {
  return {
    mac: d.mac, mtu: d.mtu, txqueuelen: d.txqueuelen, up: d.up, promisc: d.promisc, allmulti: d.allmulti, arp: d.arp,
    multicast: d.multicast, user: idText(d.user), group: idText(d.group), anyUser: d.any_user,
    addresses: d.addresses, peer: d.peer, routes: d.routes?.map((r) => `${r.to}${r.via ? ` via ${r.via}` : ''}${r.metric !== undefined ? ` metric ${r.metric}` : ''}`),
  }
}

function owners(d: DeviceConfig): {owner?: IdRef; group?: IdRef} {
  return {
    owner: d.user === undefined ? undefined : resolveUser(String(d.user)),
    group: d.group === undefined ? undefined : resolveGroup(String(d.group)),
  }
}

/** Creation-time properties that cannot change in place. */
function fixedDifferences(d: DeviceConfig, link: Link): string[] {
  const t = link.tun!
  const diffs: string[] = []
  if (t.type !== d.mode) diffs.push(`mode is ${t.type}, the file says ${d.mode}`)
  if (t.multiQueue !== Boolean(d.multi_queue)) diffs.push(`multi_queue is ${t.multiQueue}, the file says ${Boolean(d.multi_queue)}`)
  if (t.pi !== Boolean(d.pi)) diffs.push(`pi is ${t.pi}, the file says ${Boolean(d.pi)}`)
  if (t.vnetHdr !== Boolean(d.vnet_hdr)) diffs.push(`vnet_hdr is ${t.vnetHdr}, the file says ${Boolean(d.vnet_hdr)}`)
  if (d.any_user && (t.owner !== undefined || t.group !== undefined)) diffs.push('it has an owner or group, the file says any_user (the kernel cannot unset them)')
  if (d.user === undefined && !d.any_user && t.owner !== undefined && d.group !== undefined) diffs.push('it has an owner, the file names only a group (the kernel cannot unset an owner)')
  if (d.group === undefined && !d.any_user && t.group !== undefined && d.user !== undefined) diffs.push('it has a group, the file names only a user (the kernel cannot unset a group)')
  return diffs
}

/** Addresses and routes the device has that the file does not list: apply removes them. */
function extras(nl: Netlink, d: DeviceConfig, link: Link, s: Settings): void {
  if (d.addresses !== undefined || d.peer !== undefined) {
    const want = new Set(s.addresses.map((a) => `${bytesToIp(a.local.bytes)}/${a.local.prefixLen}`))
    for (const a of nl.addresses()) {
      if (a.index !== link.index || a.scope === C.RT_SCOPE_LINK) continue // link-local: the kernel's own
      if (want.has(`${a.address}/${a.prefixLen}`)) continue
      s.delAddresses.push({local: parsePrefix(`${a.address}/${a.prefixLen}`, 'address'), peer: a.peer ? parsePrefix(a.peer, 'peer', true) : undefined})
    }
  }
  if (d.routes !== undefined) {
    const mine = (r: Route) => r.oif === link.index && r.table === C.RT_TABLE_MAIN && r.type === C.RTN_UNICAST && r.protocol !== C.RTPROT_KERNEL && !(r.family === 6 && r.dst.startsWith('fe80'))
    for (const r of nl.routes()) {
      if (!mine(r)) continue
      const spec = parseRoute(`${r.dst}/${r.dstLen}${r.gateway ? ` via ${r.gateway}` : ''}`)
      const wanted = s.routes.some((w) => w.dst.bytes.equals(spec.dst.bytes) && w.dst.prefixLen === spec.dst.prefixLen && (w.via?.address ?? '') === (spec.via ? bytesToIp(spec.via.bytes) : '') )
      if (!wanted) s.delRoutes.push({...spec, metric: r.priority})
    }
  }
}

function applyOne(nl: Netlink, d: DeviceConfig, marker: string, opts: ApplyOptions): DeviceOutcome {
  const settings = parseSettings(desiredSettings(d))
  const link = nl.link(d.name)
  if (link && (link.kind !== 'tun' || !link.tun)) {
    throw new TunadmError(`${d.name} exists and is not a TUN/TAP device (it is ${link.kind ?? 'a physical device'})`, {code: 'NOT_TUN', fix: 'rename one of them'})
  }
  let recreating = false
  if (link) {
    const diffs = fixedDifferences(d, link)
    if (diffs.length) {
      const holders = findHolders().get(d.name) ?? []
      if (!opts.recreate) {
        throw new TunadmError(`${d.name} differs in what cannot change in place: ${diffs.join('; ')}`, {
          code: 'NEEDS_RECREATE', fix: `run tunadm apply --recreate to delete and create it again (only while nothing is attached${holders.length ? `; now held by ${describeHolders(holders)}` : ''})`,
        })
      }
      if (holders.length) {
        throw new TunadmError(`${d.name} must be recreated (${diffs.join('; ')}) but is in use by ${describeHolders(holders)}`, {code: 'EBUSY', fix: 'stop that program and apply again'})
      }
      if (!opts.dryRun) deleteDevice(nl, d.name, {})
      recreating = true
    }
  }
  if (!link || recreating) {
    const {owner, group} = owners(d)
    const changes: Change[] = [{what: 'device', from: null, to: `${d.mode} ${d.name}`}]
    if (!opts.dryRun) {
      createDevice({name: d.name, mode: d.mode, pi: Boolean(d.pi), vnetHdr: Boolean(d.vnet_hdr), multiQueue: Boolean(d.multi_queue), owner, group}, (ctx) => {
        const fresh = ctx.nl.link(ctx.name)!
        checkAgainstDevice(settings, fresh, d.mode, ctx.nl)
        changes.push(...applySettings({nl: ctx.nl, link: fresh, mode: d.mode, handle: ctx.handle}, settings).changes)
        ctx.nl.setAlias(ctx.index, ctx.name, marker)
      })
    }
    return {name: d.name, action: recreating ? 'recreated' : 'created', changes}
  }
  checkAgainstDevice(settings, link, d.mode, nl)
  extras(nl, d, link, settings)
  const {changes} = applySettings({nl, link, mode: d.mode, dryRun: opts.dryRun}, settings)
  if (link.alias !== marker) {
    if (!opts.dryRun) nl.setAlias(link.index, link.name, marker)
    changes.push({what: 'managed', from: link.alias ?? null, to: marker})
  }
  return {name: d.name, action: changes.length ? 'changed' : 'unchanged', changes}
}

export function applyConfig(config: TunadmConfig, opts: ApplyOptions = {}): ApplyReport {
  const marker = managedMarker(path.resolve(config.source))
  const devices: DeviceOutcome[] = []
  const record = (o: DeviceOutcome) => {
    devices.push(o)
    opts.onDevice?.(o)
  }
  const stepDelay = Number(process.env.TUNADM_TEST_APPLY_DELAY_MS ?? 0)
  withNetlink((nl) => {
    for (const d of config.devices) {
      try {
        record(applyOne(nl, d, marker, opts))
      } catch (err) {
        record({name: d.name, action: 'failed', changes: [], error: normaliseError(err).toJSON()})
      }
      // Test hook: widen the window in which a test kills apply half-way.
      if (stepDelay > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, stepDelay)
    }
    if (opts.prune) {
      const wanted = new Set(config.devices.map((d) => d.name))
      for (const link of nl.links()) {
        if (link.kind !== 'tun' || link.alias !== marker || wanted.has(link.name)) continue
        record(removeManaged(nl, link, opts.dryRun))
      }
    }
  })
  return summarise(devices, Boolean(opts.dryRun))
}

function removeManaged(nl: Netlink, link: Link, dryRun?: boolean, force?: boolean): DeviceOutcome {
  try {
    if (!dryRun) deleteDevice(nl, link.name, {force})
    return {name: link.name, action: 'removed', changes: [{what: 'device', from: `${link.tun?.type} ${link.name}`, to: null}]}
  } catch (err) {
    return {name: link.name, action: 'failed', changes: [], error: normaliseError(err).toJSON()}
  }
}

function summarise(devices: DeviceOutcome[], dryRun: boolean): ApplyReport {
  return {
    dryRun,
    changed: devices.some((o) => o.action !== 'unchanged' && o.action !== 'failed'),
    failed: devices.filter((o) => o.action === 'failed').length,
    devices,
  }
}

/** Remove every device this configuration manages (what init "stop" actions call). */
export function downConfig(config: TunadmConfig, opts: {dryRun?: boolean; force?: boolean; onDevice?: (o: DeviceOutcome) => void} = {}): ApplyReport {
  const marker = managedMarker(path.resolve(config.source))
  const devices: DeviceOutcome[] = []
  withNetlink((nl) => {
    for (const link of nl.links()) {
      if (link.kind !== 'tun' || link.alias !== marker) continue
      const o = removeManaged(nl, link, opts.dryRun, opts.force)
      devices.push(o)
      opts.onDevice?.(o)
    }
  })
  return summarise(devices, Boolean(opts.dryRun))
}
