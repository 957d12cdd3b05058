import {closest, editDistance} from '../model/closest'
import {SETTINGS} from '../model/settings'

/**
 * The keys the config file accepts, in one place: the loader checks against these, and a test checks
 * that the published JSON Schema (init/tunadm.schema.json) lists exactly the same ones.
 */

export const TOP_LEVEL_KEYS = ['version', 'id', 'link_group', 'defaults', 'devices'] as const

/** Keys of a device entry, in the order documentation and generators present them (the settings registry's). */
export const DEVICE_KEYS: readonly string[] = SETTINGS.map((s) => s.key)

/**
 * Keys that `defaults:` may set. Left out: the name, and what must differ from device to device
 * (a MAC, addresses, a peer, routes): shared, they would clash on the second device.
 */
export const DEFAULT_KEYS: readonly string[] = SETTINGS.filter((s) => s.shared).map((s) => s.key)

export const ROUTE_KEYS = ['to', 'via', 'metric'] as const

export const BOOLEAN_KEYS: readonly string[] = SETTINGS.filter((s) => s.kind === 'boolean').map((s) => s.key)

/** What people write by habit (other tools' spellings) and the key meant. */
export const KEY_ALIASES: Record<string, string> = {
  owner: 'user', uid: 'user', gid: 'group', type: 'mode', kind: 'mode', address: 'addresses', ip: 'addresses',
  hwaddr: 'mac', hwaddress: 'mac', macaddress: 'mac', mac_address: 'mac', qlen: 'txqueuelen', txqlen: 'txqueuelen',
  route: 'routes', device: 'devices', interfaces: 'devices', destination: 'to', gateway: 'via', one_queue: 'multi_queue',
  allmulticast: 'allmulti', noarp: 'arp',
}

/** The known key closest to a mistyped one, or undefined when nothing is close. */
export function closestKey(typed: string, known: readonly string[]): string | undefined {
  const norm = typed.toLowerCase().replace(/-/g, '_')
  if (known.includes(norm)) return norm
  const alias = KEY_ALIASES[norm]
  if (alias && known.includes(alias)) return alias
  const best = closest(norm, known)
  return best !== undefined && editDistance(norm, best) <= Math.max(1, Math.floor(norm.length / 3)) ? best : undefined
}
