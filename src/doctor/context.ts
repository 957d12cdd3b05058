/**
 * Build the doctor context: the live network facts (one netlink dump each of links, addresses and
 * routes), the holders, the driver's features and the user the checks reason about. Unit tests call
 * contextFrom() with fixture facts and a fixture Host instead of gatherNet().
 */
import {InvalidInputError} from '../errors'
import {IFF_UP} from '../kernel/constants'
import {Host} from '../system/host'
import {findHolders} from '../system/holders'
import type {Link, Route, Address} from '../kernel/netlink-codec'
import {holdersOf} from '../model/device'
import type {Holder, TunDevice} from '../model/device'
import {assignAddressing, isMainUnicast, kindOf, routeView, toDevice} from '../services/devices'
import {parseNumericId, validateIfName} from '../model/validate'
import {resolveUser} from '../system/accounts'
import {Account, CAP_DAC_OVERRIDE, CAP_NET_ADMIN, accountOf, hasCap, readAccounts, readProcStatus} from './host-facts'
import type {DoctorContext, Features, LinkFacts, LinkRoute, Target} from './types'
import type {Intent} from './intent'
import {compareNames} from '../model/natural'

/** What netlink says about the namespace, in the shape checks use. */
export interface NetFacts {
  devices: TunDevice[]
  /** Every link with its kind (to tell "missing" from "not TUN/TAP"), and what ports and masters need. */
  links: LinkFacts[]
  routes: LinkRoute[]
  /** The dumps themselves, for planning against a config (doctor --config). */
  raw?: {links: Link[]; addresses: Address[]; routes: Route[]}
}

export function linkFacts(l: Link): LinkFacts {
  const f: LinkFacts = {name: l.name, kind: kindOf(l), index: l.index, up: (l.flags & IFF_UP) !== 0}
  if (l.mtu !== undefined) f.mtu = l.mtu
  if (l.master !== undefined) f.master = l.master
  if (l.port) f.port = l.port
  return f
}

export function netFactsFrom(links: Link[], addresses: Address[], routes: Route[]): NetFacts {
  const byIndex = new Map(links.map((l) => [l.index, l.name]))
  const devices = links.filter((l) => l.kind === 'tun').map((l) => toDevice(l))
  for (const d of devices) if (d.master) d.master.name = byIndex.get(d.master.index) ?? d.master.name
  assignAddressing(devices, addresses, routes)
  const names = new Map(links.map((l) => [l.index, l.name]))
  const linkRoutes: LinkRoute[] = []
  for (const r of routes) {
    const device = r.oif !== undefined ? names.get(r.oif) : undefined
    if (!device || !isMainUnicast(r)) continue
    const v = routeView(r)
    linkRoutes.push({device, family: v.destination.includes(':') ? 6 : 4, destination: v.destination, gateway: v.gateway, metric: v.metric, linkdown: v.linkdown})
  }
  devices.sort((a, b) => compareNames(a.name, b.name))
  return {devices, links: links.map(linkFacts), routes: linkRoutes, raw: {links, addresses, routes}}
}

export function gatherNet(): NetFacts {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {withNetlink} = require('../kernel/netlink') as typeof import('../kernel/netlink')
  return withNetlink((nl) => netFactsFrom(nl.links(), nl.addresses(), nl.routes()))
}

export function gatherFeatures(): Features {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {tunFeatures} = require('../kernel/tun') as typeof import('../kernel/tun')
  try {
    return {flags: tunFeatures()}
  } catch (err) {
    return {error: (err as Error).message}
  }
}

/** --user USER (name or uid) from the user database under the host root; a uid without entry is still checked. */
export function resolveSubject(host: Host, text: string): Account {
  const db = readAccounts(host)
  const id = parseNumericId(text.trim(), 'user')
  const line = id !== undefined ? db.users.find((u) => u.uid === id) : db.users.find((u) => u.name === text)
  if (line) return accountOf(db, line)
  const bare = (uid: number, name?: string): Account => ({uid, gid: -1, groups: db.groups.filter((g) => name && g.members.includes(name)).map((g) => g.gid), name, dacOverride: uid === 0, netAdmin: uid === 0})
  if (id !== undefined) return bare(id)
  // Not in /etc/passwd: on the real host ask NSS (LDAP, sssd); in a fixture tree it does not exist.
  if (host.root === '/') {
    const a = resolveUser(text)
    return bare(a.id, a.name)
  }
  throw new InvalidInputError(`there is no user named "${text}"`, {code: 'UNKNOWN_USER', fix: `check the spelling (getent passwd ${text}), or give a numeric uid`})
}

export function callerAccount(host: Host): {account: Account; capEff: bigint} {
  const st = readProcStatus(host)
  const uid = st?.uid ?? process.geteuid?.() ?? 0
  const db = readAccounts(host)
  const capEff = st?.capEff ?? 0n
  return {
    account: {
      uid, gid: st?.gid ?? uid, groups: st?.groups ?? [], name: db.users.find((u) => u.uid === uid)?.name,
      dacOverride: hasCap(capEff, CAP_DAC_OVERRIDE), netAdmin: hasCap(capEff, CAP_NET_ADMIN),
    },
    capEff,
  }
}

/**
 * The devices to check: the named ones, or every TUN/TAP device and every device the config declares
 * (a declared device that is missing is a target too: its absence is the finding).
 */
export function targetsFor(net: NetFacts, names: string[], intents: Intent[] = []): Target[] {
  const declared = new Map(intents.map((i) => [i.name, i]))
  const target = (name: string): Target => {
    const intent = declared.get(name)
    const device = net.devices.find((d) => d.name === name)
    if (device) return intent ? {name, device, intent} : {name, device}
    const link = net.links.find((l) => l.name === name)
    const t: Target = link ? {name, otherKind: /^[aeiou]/.test(link.kind) ? `an ${link.kind}` : `a ${link.kind}`} : {name}
    if (intent) t.intent = intent
    return t
  }
  if (names.length === 0) {
    const all = new Set([...net.devices.map((d) => d.name), ...declared.keys()])
    return [...all].sort(compareNames).map(target)
  }
  return names.map((name) => {
    validateIfName(name)
    return target(name)
  })
}

/** Each device's holders, judged against its own queue counts (another namespace's device may bear the name). */
function deviceHolders(net: NetFacts, candidates: Map<string, Holder[]>): Map<string, Holder[]> {
  const out = new Map<string, Holder[]>()
  for (const [name, list] of candidates) {
    const d = net.devices.find((x) => x.name === name)
    const kept = d ? holdersOf(d, list) : list
    if (kept.length) out.set(name, kept)
  }
  return out
}

export interface ContextOptions {
  names?: string[]
  user?: string
  features: Features
  /** What the config file declares (doctor --config, or the default config). */
  intents?: Intent[]
}

export function contextFrom(host: Host, net: NetFacts, opts: ContextOptions): DoctorContext {
  const caller = callerAccount(host)
  const subject = opts.user !== undefined ? resolveSubject(host, opts.user) : caller.account
  return {
    host,
    subject,
    subjectIsCaller: opts.user === undefined,
    capEff: caller.capEff,
    targets: targetsFor(net, opts.names ?? [], opts.intents),
    links: new Map(net.links.filter((l) => l.index !== undefined).map((l) => [l.index!, l])),
    routes: net.routes,
    holders: deviceHolders(net, findHolders(host)),
    features: opts.features,
    cache: new Map(),
  }
}
