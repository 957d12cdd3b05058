/**
 * Addresses and routes of one existing device: what to remove and add so that it has what a request
 * asks, from what the kernel has (model facts). Identities are the kernel's (model/desired.ts): an
 * IPv4 address is its local address, length and peer, an IPv6 address the address alone, a route its
 * destination and metric.
 */
import {
  AddressFacts, AddressSpec, DesiredDevice, RouteFacts, RouteSpec, addressFacts, addressMatches, addressSpecOf,
  addressText, routeFacts, routeKey, routeMatches, routeText, sameAddressIdentity,
} from './desired'
import {Problem} from './rules'

function sameAddress(a: AddressFacts | undefined, b: AddressFacts): boolean {
  return a !== undefined && a.prefixLen === b.prefixLen && (a.peer ?? a.address) === (b.peer ?? b.address)
}

/**
 * `have`: the device's addresses; linkScope marks the kernel's own (fe80::/64 among them), removed only
 * when asked by name. Returns what to remove and add, and the addresses the device will then have.
 */
export function planAddresses(name: string, have: Array<AddressFacts & {linkScope?: boolean}>, d: Pick<DesiredDevice, 'addresses' | 'delAddresses' | 'exactAddresses'>, warnings: string[]):
  {removed: Set<AddressFacts>; adds: AddressSpec[]; final: AddressSpec[]} {
  // The set and lists made when something goes in them: a device whose addresses are as asked (most of
  // an apply of thousands) gets the shared empty ones, which its callers only read.
  let removed: Set<AddressFacts> | undefined
  for (let i = 0; i < d.delAddresses.length; i++) {
    const want = d.delAddresses[i]
    const hits = have.filter((h) => addressMatches(want, h))
    if (!hits.length) warnings.push(`${name} has no address ${addressText(addressFacts(want))}${want.anyPrefix ? '' : ' (with that prefix length)'}: nothing to remove`)
    for (const h of hits) (removed ??= new Set()).add(h)
  }
  // Identities compared in place (sameAddressIdentity), in plain loops: a device has a few addresses, an
  // apply thousands of devices. A wanted address is matched as a map by identity would: the last of its identity.
  const wantFacts = d.addresses.map(addressFacts)
  // A kept address that is exactly a wanted one without a peer (the same family, address and length) is
  // the final list's as that request gives it, not read again from the kernel's text (addressSpecOf).
  let keptAs: Array<AddressSpec | undefined> | undefined
  if (d.exactAddresses) {
    for (let i = 0; i < have.length; i++) {
      const h = have[i]
      if (h.linkScope) continue
      // The last wanted address of this identity, and where it is in the request.
      let at = wantFacts.length - 1
      while (at >= 0 && !sameAddressIdentity(wantFacts[at], h)) at--
      const w = at >= 0 ? wantFacts[at] : undefined
      if (!sameAddress(w, h)) (removed ??= new Set()).add(h)
      // At its length: a store at index 0 of an empty list gives it room for 17.
      else if (w!.peer === undefined && h.peer === undefined) (keptAs ??= new Array(have.length))[i] = d.addresses[at]
    }
  }
  let adds: AddressSpec[] | undefined
  for (let i = 0; i < wantFacts.length; i++) {
    const f = wantFacts[i]
    // The first address the device has of this identity.
    let existing: AddressFacts | undefined
    for (let k = 0; k < have.length && existing === undefined; k++) if (sameAddressIdentity(have[k], f)) existing = have[k]
    if (existing && !removed?.has(existing) && sameAddress(f, existing)) continue
    if (existing) (removed ??= new Set()).add(existing) // IPv6: another prefix length or peer; the kernel has one per address
    ;(adds ??= []).push(d.addresses[i])
  }
  // The final list made at its length (pushed onto an empty list, it was given room for 17).
  let count = adds ? adds.length : 0
  for (let i = 0; i < have.length; i++) if (!removed?.has(have[i]) && !have[i].linkScope) count++
  const final: AddressSpec[] = new Array(count)
  let n = 0
  for (let i = 0; i < have.length; i++) if (!removed?.has(have[i]) && !have[i].linkScope) final[n++] = keptAs?.[i] ?? addressSpecOf(have[i])
  if (adds) for (let i = 0; i < adds.length; i++) final[n++] = adds[i]
  return {removed: removed ?? NO_REMOVALS, adds: adds ?? NO_ADDS, final}
}

/** planAddresses' empty set and list, shared (frozen where it can be: a Set cannot), which its callers only read. */
const NO_REMOVALS: Set<AddressFacts> = new Set()
const NO_ADDS: AddressSpec[] = Object.freeze([]) as unknown as AddressSpec[]

/** planRoutes' answer when nothing is asked of the routes: one object for every such device (its callers only read it). */
const NO_ROUTE_CHANGES: {dels: Set<RouteFacts>; adds: RouteSpec[]; problems: Problem[]} = Object.freeze({
  dels: new Set<RouteFacts>(), adds: Object.freeze([]) as unknown as RouteSpec[], problems: Object.freeze([]) as unknown as Problem[],
})

/**
 * `mine`: the main-table routes through the device; `ours` is false for those the kernel or a router
 * advertisement made (never removed unasked). `elsewhere`: the problem when another device has a route.
 */
export function planRoutes(name: string, mine: Array<RouteFacts & {ours: boolean}>, d: Pick<DesiredDevice, 'routes' | 'delRoutes' | 'exactRoutes'>, warnings: string[],
  elsewhere: (f: RouteFacts, index: number) => Problem | undefined): {dels: Set<RouteFacts>; adds: RouteSpec[]; problems: Problem[]} {
  // Nothing asked of the routes (most devices of a config): nothing to compare, nothing made.
  if (d.routes.length === 0 && d.delRoutes.length === 0 && !(d.exactRoutes && mine.length > 0)) return NO_ROUTE_CHANGES
  const dels = new Set<RouteFacts>()
  const problems: Problem[] = []
  for (const want of d.delRoutes) {
    const hits = mine.filter((f) => routeMatches(want, f))
    if (!hits.length) warnings.push(`${name} has no route to ${routeText(routeFacts(want))}: nothing to remove`)
    for (const f of hits) dels.add(f)
  }
  const wanted = new Map(d.routes.map((r) => [routeKey(routeFacts(r)), routeFacts(r)]))
  if (d.exactRoutes) {
    for (const f of mine) {
      if (!f.ours) continue
      const w = wanted.get(routeKey(f))
      if (!w || w.via !== f.via) dels.add(f)
    }
  }
  const adds: RouteSpec[] = []
  d.routes.forEach((r, index) => {
    const f = routeFacts(r)
    const existing = mine.find((m) => routeKey(m) === routeKey(f))
    if (existing && existing.via === f.via && !dels.has(existing)) return
    if (existing) dels.add(existing) // another gateway: replace
    else {
      const clash = elsewhere(f, index)
      if (clash) problems.push(clash)
    }
    adds.push(r)
  })
  return {dels, adds, problems}
}

/**
 * A device taken down loses, by the kernel's rule, its IPv4 routes (other than the prefix routes of its
 * addresses) and its IPv6 addresses and routes. Down and up again in one request (--down ... --up):
 * they are put back after it is up (returned), and the warning says so; left down: the warning names
 * what is gone. `has`: its IPv6 addresses (not link scope) and the routes that are ours; `planned`: what
 * the plan removes or adds anyway.
 */
export function keptThroughDown(name: string, upAgain: boolean, has: {addresses: AddressFacts[]; routes: RouteFacts[]},
  planned: {removed: AddressFacts[]; routes: RouteFacts[]}, warnings: string[]): {addresses: AddressFacts[]; routes: RouteFacts[]} {
  const key = (a: AddressFacts) => `${a.family} ${a.address}/${a.prefixLen}`
  const skipAddr = new Set(planned.removed.map(key))
  const skipRoute = new Set(planned.routes.map(routeKey))
  const kept = {addresses: has.addresses.filter((a) => !skipAddr.has(key(a))), routes: has.routes.filter((f) => !skipRoute.has(routeKey(f)))}
  if (!kept.addresses.length && !kept.routes.length) return kept
  const lost = [...kept.addresses.map((a) => `address ${addressText(a)}`), ...kept.routes.map((r) => `route ${routeText(r)}`)].join(', ')
  if (!upAgain) {
    warnings.push(`${name} goes down, and the kernel drops with it: ${lost}; bringing it up does not bring them back (tunadm apply, or --address/--route, does)`)
    return {addresses: [], routes: []}
  }
  warnings.push(`${name} goes down and up again: the kernel drops ${lost} when it goes down; tunadm adds them again once it is up`)
  return kept
}
