/**
 * Which devices a config owns: its identity, the marker (interface alias) that says so on each device,
 * and the link group its devices share. Pure: no file system, no kernel (services/ownership.ts reads
 * those and applies these rules).
 *
 * An identity is explicit (`id:` in the file or `--id`), or by default the config file's real path. A
 * config read from a pipe has no default identity: two pipes would be the same "file" (/dev/fd/63),
 * and a --prune of one would delete the other's devices. Such a config may create and correct devices
 * (they carry the anonymous marker), but deletion and adoption need an identity.
 */
import {IFALIASZ} from './limits'

/** Where a config's identity came from. */
export type IdentitySource = 'id' | '--id' | 'path' | 'none'

export interface Identity {
  /** The identity: an explicit id, or the file's real path; undefined for a config from a pipe without one. */
  id?: string
  from: IdentitySource
  /** The interface alias that marks this config's devices. */
  marker: string
  /** Markers earlier versions wrote for the same config (the path as given, not resolved): still this config's. */
  oldMarkers: string[]
}

/** The marker of devices made by a config without identity (read from a pipe, no id). */
export const ANONYMOUS_MARKER = 'tunadm:(anonymous)'

/** Explicit ids: a name, never a path (paths are the default identities) and never with ':' (markers' separator). */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/

/** Why `id` is not a valid identity, or undefined when it is. */
export function idProblem(id: string): string | undefined {
  if (ID_PATTERN.test(id)) return undefined
  return `id ${JSON.stringify(id)} is not valid; expected 1 to 64 letters, digits and . _ @ + - (starting with a letter or digit), e.g. id: vmhost`
}

export const isTunadmMarker = (alias: string | undefined): alias is string => alias !== undefined && alias.startsWith('tunadm:')

/**
 * The marker of a config file at absolute path `file`: "tunadm:" and the path; a path that does not fit
 * the kernel's IFALIASZ (255 bytes and the NUL) or holds control characters becomes a stable digest of it.
 */
export function pathMarker(file: string): string {
  const marker = `tunadm:${file}`
  // eslint-disable-next-line no-control-regex
  if (Buffer.byteLength(marker) <= IFALIASZ - 1 && !/[\x00-\x1f\x7f]/.test(marker)) return marker
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const {createHash} = require('node:crypto') as typeof import('node:crypto') // not at the top: its load costs about 2 ms
  return `tunadm:sha256:${createHash('sha256').update(file).digest('hex')}`
}

/** The marker of an explicit id. Ids have no '/' or ':', so it never equals a path's marker. */
export const idMarker = (id: string): string => `tunadm:${id}`

/**
 * Markers that earlier versions wrote for configs read from a pipe (/dev/stdin, /dev/fd/N, /proc/PID/fd/N):
 * every such config wrote the same one, so they name no config in particular. A config without identity
 * treats them as its anonymous marker; a config with one never claims them (--adopt does).
 */
export function isOldPipeMarker(alias: string): boolean {
  return /^tunadm:(\/dev\/stdin|\/dev\/fd\/\d+|\/proc\/(self|thread-self|\d+)\/fd\/\d+)$/.test(alias)
}

/** Link groups every tool can read: iproute2 6.1 refuses (and misprints) groups above 2^31-1. */
export const LINK_GROUP_MAX = 0x7fffffff
/** Derived groups start here, clear of the small numbers people pick by hand (and of 0, every device's). */
export const DERIVED_GROUP_MIN = 65536
const DERIVED_SPAN = LINK_GROUP_MAX - DERIVED_GROUP_MIN + 1

/** FNV-1a of the marker: a stable 32-bit number. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5
  const bytes = Buffer.from(text)
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/**
 * The `attempt`-th candidate for a config's derived link group, in 65536..2147483647. Attempt 0 is the
 * number derived from the marker; a collision with another config's devices moves on to the next.
 */
export function derivedGroup(marker: string, attempt = 0): number {
  return DERIVED_GROUP_MIN + ((fnv1a(marker) % DERIVED_SPAN) + attempt) % DERIVED_SPAN
}

/** How a device was found to be this config's: reported per device in the plan and in --json. */
export type MatchedBy =
  /** created by this apply */
  | 'new'
  /** its alias is this config's marker */
  | 'marker'
  /** its alias is the marker an earlier version wrote for this config (the path as given): it is rewritten */
  | 'old-marker'
  /** its alias was changed by hand, but it carries the config's link group and tunadm's record says the config made it */
  | 'link-group+record'
  /** taken over with --adopt */
  | 'adopted'
