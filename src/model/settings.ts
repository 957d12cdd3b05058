/**
 * The device settings registry: one entry per setting, and everything about it in that entry: its
 * config key (the CLI flag and the model's field are derived from it), its phase (fixed at creation,
 * a link setting, or network configuration), the one parser for CLI values and YAML scalars, where
 * tunadm reads it from the kernel and how, its JSON Schema fragment and help text, and how each boot
 * target that copies settings into its own files writes it (or why it cannot).
 *
 * Flag definitions (cli), config keys (config/keys.ts), the published schema (test/unit/config-schema),
 * the tun flags of create and attach (services/plan.ts) and of show/list, and the init generators are
 * derived from here. Pure: nothing from kernel/ or system/. Adding a setting: see README, "Adding a
 * device setting".
 */
import {Mode} from './device'
import {TunState} from './state'
import {TXQUEUELEN_MAX} from './limits'
import type {Change} from './steps'

export type Phase = 'creation' | 'link' | 'network'

/** Where tunadm reads a setting from: the netlink dump, or sysfs for what rtnetlink does not report. */
export type Source = 'netlink' | 'sysfs tun_flags' | 'none'

/** The boot-file formats that copy a device's settings: systemd-networkd, NetworkManager keyfiles, iproute2 commands. */
export type InitFormat = 'networkd' | 'nm' | 'iproute2'

/** How a format writes a setting: its key or word there, or why it cannot (the config is then refused for it). */
export type InitWay = {as: string} | {refused: string}

/** One setting as the config file, the schema and the documentation know it. */
export interface Setting {
  /** The YAML key (snake_case); the CLI flag is its kebab-case, the model field its camelCase. */
  key: string
  phase: Phase
  /** May be given in `defaults:` (false for what must differ from device to device). */
  shared: boolean
  /** The loader's kind of value; 'special' keys have their own readers (name, ownership, addresses, routes). */
  kind: 'boolean' | 'special'
  source: Source
  /** The JSON Schema fragment of its value (init/tunadm.schema.json's $defs). */
  schema: Record<string, unknown>
}

/** A TUN flag fixed at creation: one IFF_* bit of TUNSETIFF. */
export interface TunFlagSetting extends Setting {
  key: TunFlagKey
  phase: 'creation'
  kind: 'boolean'
  /** The IFF_* bit; with `inverted`, the bit means the setting is off (IFF_NO_PI for pi). */
  bit: number
  inverted?: boolean
  /** The --flag's summary in add's help. */
  help: string
  /** Its value on the device, or undefined when the source could not be read. */
  read(state: TunState): boolean | undefined
  init: Record<InitFormat, InitWay>
  /** Other settings it needs (napi_frags needs napi and a TAP device), as a rule with its words. */
  needs?: {napi?: true; mode?: Mode; why: string}
}

// The tun driver's flags (include/uapi/linux/if_tun.h). Here, not in kernel/, because the model names them.
export const IFF_TUN = 0x0001
export const IFF_TAP = 0x0002
export const IFF_NAPI = 0x0010
export const IFF_NAPI_FRAGS = 0x0020
export const IFF_MULTI_QUEUE = 0x0100
export const IFF_NO_PI = 0x1000
export const IFF_ONE_QUEUE = 0x2000
export const IFF_VNET_HDR = 0x4000
const IFF_PERSIST = 0x0800
/** What an attacher's TUNSETIFF sets on an existing device (tun.c's TUN_FEATURES), and the type. */
const ATTACH_BITS = IFF_TUN | IFF_TAP | IFF_NO_PI | IFF_ONE_QUEUE | IFF_VNET_HDR | IFF_MULTI_QUEUE | IFF_NAPI | IFF_NAPI_FRAGS

const fromTunFlags = (bit: number) => (s: TunState) => (s.tunFlags === undefined ? undefined : (s.tunFlags & bit) !== 0)
const noTunFlag = (what: string): Record<InitFormat, InitWay> => ({
  networkd: {refused: `systemd-networkd's [Tun] and [Tap] sections have no setting for ${what}`},
  nm: {refused: `NetworkManager's tun connections have no setting for ${what}`},
  iproute2: {refused: `ip tuntap add has no option for ${what}`},
})

export const TUN_FLAG_KEYS = ['pi', 'vnet_hdr', 'multi_queue', 'napi', 'napi_frags'] as const
export type TunFlagKey = (typeof TUN_FLAG_KEYS)[number]
export type TunFlagValues = Partial<Record<TunFlagKey, boolean>>

export const TUN_FLAGS: readonly TunFlagSetting[] = [
  {
    key: 'pi', phase: 'creation', shared: true, kind: 'boolean', source: 'netlink', bit: IFF_NO_PI, inverted: true,
    help: 'Prepend the 4-byte packet-information header to each packet (off by default, as in ip tuntap).',
    schema: {type: 'boolean', description: 'Prepend the 4-byte packet-information header (off by default).'},
    read: (s) => s.pi,
    init: {networkd: {as: 'PacketInfo'}, nm: {as: 'pi'}, iproute2: {as: 'pi'}},
  },
  {
    key: 'vnet_hdr', phase: 'creation', shared: true, kind: 'boolean', source: 'netlink', bit: IFF_VNET_HDR,
    help: 'Use the virtio-net header (IFF_VNET_HDR), as QEMU and vhost-net expect.',
    schema: {type: 'boolean', description: 'virtio-net header (IFF_VNET_HDR), as QEMU and vhost-net expect.'},
    read: (s) => s.vnetHdr,
    init: {networkd: {as: 'VNetHeader'}, nm: {as: 'vnet-hdr'}, iproute2: {as: 'vnet_hdr'}},
  },
  {
    key: 'multi_queue', phase: 'creation', shared: true, kind: 'boolean', source: 'netlink', bit: IFF_MULTI_QUEUE,
    help: 'Allow several file descriptors (queues) to attach at once (IFF_MULTI_QUEUE).',
    schema: {type: 'boolean', description: 'Several file descriptors (queues) may attach (IFF_MULTI_QUEUE).'},
    read: (s) => s.multiQueue,
    init: {networkd: {as: 'MultiQueue'}, nm: {as: 'multi-queue'}, iproute2: {as: 'multi_queue'}},
  },
  {
    key: 'napi', phase: 'creation', shared: true, kind: 'boolean', source: 'sysfs tun_flags', bit: IFF_NAPI,
    help: 'Pass the packets a program writes through NAPI, the receive path of real network drivers (IFF_NAPI).',
    schema: {type: 'boolean', description: 'Packets the program writes go through NAPI, the receive path of real network drivers (IFF_NAPI).'},
    read: fromTunFlags(IFF_NAPI),
    init: noTunFlag('IFF_NAPI'),
  },
  {
    key: 'napi_frags', phase: 'creation', shared: true, kind: 'boolean', source: 'sysfs tun_flags', bit: IFF_NAPI_FRAGS,
    help: 'Let a program write a packet in fragments through NAPI (IFF_NAPI_FRAGS; TAP only, with --napi).',
    schema: {type: 'boolean', description: 'A program may write a packet in fragments through NAPI (IFF_NAPI_FRAGS); TAP only, with napi: true.'},
    read: fromTunFlags(IFF_NAPI_FRAGS),
    init: noTunFlag('IFF_NAPI_FRAGS'),
    needs: {napi: true, mode: 'tap', why: 'the kernel accepts IFF_NAPI_FRAGS only on a TAP device with IFF_NAPI'},
  },
]

/** snake_case key -> camelCase model field (vnet_hdr -> vnetHdr). */
export function fieldOf(key: string): string {
  // Asked once per flag per device by list and apply: each key is worked out once.
  let field = fields.get(key)
  if (field === undefined) {
    field = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
    fields.set(key, field)
  }
  return field
}
const fields = new Map<string, string>()
/** snake_case key -> kebab-case CLI flag (vnet_hdr -> --vnet-hdr). */
export const flagOf = (key: string): string => key.replace(/_/g, '-')

/** The JSON Schema of a link flag (promisc, allmulti, arp, multicast). */
const flagSchema = (description: string) => ({type: 'boolean', description: `${description}; absent: left as it is.`})
const setting = (key: string, phase: Phase, shared: boolean, kind: Setting['kind'], schema: Record<string, unknown>): Setting =>
  ({key, phase, shared, kind, source: key === 'name' ? 'none' : 'netlink', schema})

/** The kinds of link a TUN/TAP device can be a port of (IFLA_MASTER). tunadm never creates or changes them. */
export const MASTER_KINDS = ['bridge', 'bond', 'vrf'] as const
export type MasterKind = (typeof MASTER_KINDS)[number]

/** How each boot format says "a port of this master": networkd's key in .network, NetworkManager's slave-type. */
export const MASTER_WORDS: Record<MasterKind, {networkd: string; nm: string}> = {
  bridge: {networkd: 'Bridge', nm: 'bridge'},
  bond: {networkd: 'Bond', nm: 'bond'},
  vrf: {networkd: 'VRF', nm: 'vrf'},
}

/** A link setting with a full entry: one parser for CLI text and YAML scalars, its reading, its words per boot format. */
export interface LinkSetting<T> extends Setting {
  phase: 'link'
  /** The --flag's summary in add's and set's help. */
  help: string
  helpValue: string
  /** --no-FLAG: what it does, when the setting can be cleared. */
  helpNo?: string
  parse(value: unknown): {value: T} | {problem: string}
  /** Its value on the device (null: none), as the view of a device (show, list) gives it. */
  read(view: {master?: {name: string} | null}): T | null | undefined
  /** How each format writes it: in words for the documentation (the generators use MASTER_WORDS). */
  init: Record<InitFormat, InitWay>
}

/**
 * master: the bridge, bond or vrf the device is a port of (IFLA_MASTER), by name. The master must exist
 * and be of one of those kinds; tunadm makes the device its port (or, with --no-master, takes it out) and
 * never creates or changes the master itself.
 */
export const MASTER: LinkSetting<string> = {
  key: 'master', phase: 'link', shared: true, kind: 'special', source: 'netlink',
  help: 'Make the device a port of this bridge, bond or vrf (which must exist; tunadm never creates it).',
  helpValue: 'BRIDGE',
  helpNo: 'Take the device out of its bridge, bond or vrf.',
  schema: {
    title: 'BRIDGE', type: 'string', minLength: 1, maxLength: 15, pattern: '^[^/:\\s%]+$',
    description: 'The bridge, bond or vrf the device is a port of (IFLA_MASTER), e.g. br0. It must exist; tunadm never creates or changes it.',
  },
  parse(value) {
    if (typeof value !== 'string' || !value) return {problem: 'master is not a device name; expected the name of a bridge, bond or vrf, e.g. master: br0'}
    if (Buffer.byteLength(value) > 15 || value === '.' || value === '..' || /[/:\s%]/.test(value)) {
      return {problem: `master "${value}" is not a valid device name; expected 1 to 15 bytes without "/", ":", "%" or white space, e.g. br0`}
    }
    return {value}
  },
  read: (view) => (view.master === undefined ? undefined : view.master?.name ?? null),
  init: {
    networkd: {as: 'Bridge=, Bond= or VRF= in [Network] of the .network file, by the master\'s kind'},
    nm: {as: 'master= and slave-type= in [connection]'},
    iproute2: {as: 'ip link set dev NAME master MASTER'},
  },
}

/**
 * Every key of a device entry, in the order documentation and generators present them. The TUN flags
 * are full entries (above); the others are read by the loader's own readers and planned in
 * services/plan.ts, and are listed here with their phase and schema.
 */
export const SETTINGS: readonly Setting[] = [
  setting('name', 'creation', false, 'special', {
    description: 'Device name, 1 to 15 bytes; or a range such as "tap{0..63}" (at most 4096 devices; a leading zero pads: vm{00..15}).',
    type: 'string', minLength: 1, pattern: '^[^/:\\s%]+$',
  }),
  setting('mode', 'creation', true, 'special', {enum: ['tun', 'tap'], description: 'tun: layer 3, IP packets; tap: layer 2, Ethernet frames.'}),
  setting('user', 'creation', true, 'special', {$ref: '#/$defs/account'}),
  setting('group', 'creation', true, 'special', {$ref: '#/$defs/account'}),
  setting('any_user', 'creation', true, 'boolean', {type: 'boolean', description: 'Neither owner nor group: any user who can open /dev/net/tun may attach. Required (true) when there is neither user nor group.'}),
  ...TUN_FLAGS,
  setting('mac', 'link', false, 'special', {
    title: 'six hex bytes, colon-separated (quoted)', description: 'tap only, not on ranges: a unicast MAC address.',
    type: 'string', pattern: '^[0-9a-fA-F][02468aceACE](:[0-9a-fA-F]{2}){5}$',
  }),
  setting('mtu', 'link', true, 'special', {type: 'integer', minimum: 68, maximum: 65535, description: 'MTU in bytes; at least 1280 when the device has IPv6 addresses.'}),
  setting('txqueuelen', 'link', true, 'special', {type: 'integer', minimum: 0, maximum: TXQUEUELEN_MAX, description: `Transmit queue length in packets; above ${TXQUEUELEN_MAX} the kernel cannot allocate a TUN/TAP queue, so no program could attach.`}),
  setting('up', 'link', true, 'boolean', {type: 'boolean', description: 'Set the link up (true) or down (false); absent: left as it is.'}),
  setting('promisc', 'link', true, 'boolean', flagSchema('Promiscuous mode on (true) or off (false)')),
  setting('allmulti', 'link', true, 'boolean', flagSchema('Receive all multicast (true) or not (false)')),
  setting('arp', 'link', true, 'boolean', flagSchema('ARP on (true) or off (false: NOARP)')),
  setting('multicast', 'link', true, 'boolean', flagSchema('Multicast on (true) or off (false)')),
  MASTER,
  setting('addresses', 'network', false, 'special', {
    description: 'Addresses with prefix length, e.g. 192.168.0.1/24, fd00::1/64. Not on ranges.',
    type: 'array', uniqueItems: true, items: {$ref: '#/$defs/prefix'},
  }),
  setting('peer', 'network', false, 'special', {
    title: 'ADDRESS or ADDRESS/LENGTH',
    description: 'tun only: the remote end of the point-to-point link (ADDRESS or ADDRESS/LENGTH). The device\'s one address of that family must then be a host address (/32 or /128).',
    type: 'string', pattern: '^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$',
  }),
  setting('routes', 'network', false, 'special', {description: 'Routes through the device (needs up: true).', type: 'array', items: {$ref: '#/$defs/route'}}),
]

/** The keys whose values are booleans. */
export const BOOLEAN_SETTINGS: ReadonlySet<string> = new Set(SETTINGS.filter((s) => s.kind === 'boolean').map((s) => s.key))

/**
 * The one parser of a boolean setting, for YAML scalars (CLI flags arrive as booleans already):
 * the value, or what is wrong and what was expected.
 */
export function parseBoolean(key: string, value: unknown): {value: boolean} | {problem: string} {
  if (typeof value === 'boolean') return {value}
  const hint = typeof value === 'string' && /^(yes|no|on|off|y|n)$/i.test(value) ? ` (YAML 1.2 reads ${value} as text)` : ''
  return {problem: `${key} is not true or false${hint}; expected ${key}: true or ${key}: false`}
}

/** The TUNSETIFF flags that create a device of `mode` with these TUN flags (absent: off). */
export function createFlags(mode: Mode, values: TunFlagValues): number {
  let flags = mode === 'tap' ? IFF_TAP : IFF_TUN
  // Indexed loops over the registry here and below: these run for each of thousands of devices.
  for (let i = 0; i < TUN_FLAGS.length; i++) {
    const s = TUN_FLAGS[i]
    if (Boolean(values[s.key]) !== Boolean(s.inverted)) flags |= s.bit
  }
  return flags
}

/**
 * A device's tun_flags (as sysfs shows them) right after TUNSETIFF with `flags` created it and TUNSETPERSIST
 * made it persistent: tun.c sets the TUN features and the type exactly as asked, or refuses the request.
 */
export function createdTunFlags(flags: number): number {
  return (flags & ATTACH_BITS) | IFF_PERSIST
}

/**
 * The TUNSETIFF flags to attach to an existing device without changing it (the kernel sets every
 * TUN feature to what an attacher asks), or undefined when they are not all known: then nothing may
 * attach, because what tunadm cannot read it must not change.
 */
export function attachFlags(state: TunState): number | undefined {
  return state.tunFlags === undefined ? undefined : state.tunFlags & ATTACH_BITS
}

/** The TUN flags netlink reports (those tunFlagsAgree compares), picked from the registry once. */
let netlinkTunFlags: TunFlagSetting[] | undefined

/** Does sysfs's `tun_flags` agree with what netlink says of the same device (mode, pi, vnet_hdr, multi_queue)? */
export function tunFlagsAgree(state: TunState, tunFlags: number): boolean {
  if (((tunFlags & IFF_TAP) !== 0) !== (state.mode === 'tap')) return false
  // Asked once per device by list: an indexed loop over those flags alone, no callback.
  netlinkTunFlags ??= TUN_FLAGS.filter((s) => s.source === 'netlink')
  for (let i = 0; i < netlinkTunFlags.length; i++) {
    const s = netlinkTunFlags[i]
    if (s.read(state) !== (((tunFlags & s.bit) !== 0) !== (s.inverted === true))) return false
  }
  return true
}

/** The TUN flags that are on, by key, in the order of the registry; unknown ones left out. */
export function tunFlagsOn(state: TunState): TunFlagKey[] {
  return TUN_FLAGS.filter((s) => s.read(state) === true).map((s) => s.key)
}

/** A creation-time setting the request gives and the device has otherwise, in words; unknown values are not claimed. */
export function fixedDifferences(want: TunFlagValues, state: TunState): string[] {
  const out: string[] = []
  for (let i = 0; i < TUN_FLAGS.length; i++) {
    const s = TUN_FLAGS[i]
    const w = want[s.key]
    const have = s.read(state)
    if (w !== undefined && have !== undefined && w !== have) out.push(`${s.key} is ${have}, the file says ${w}`)
  }
  return out
}

/** A rule between TUN flags a request breaks (napi_frags without napi, or on TUN), in words. */
export function tunFlagProblems(mode: Mode | undefined, values: TunFlagValues, label: string): Array<{key: TunFlagKey; message: string; expected: string}> {
  const out: Array<{key: TunFlagKey; message: string; expected: string}> = []
  for (let i = 0; i < TUN_FLAGS.length; i++) {
    const s = TUN_FLAGS[i]
    if (!values[s.key] || !s.needs) continue
    if (s.needs.napi && !values.napi) out.push({key: s.key, message: `${label} asks for ${s.key} without napi; ${s.needs.why}`, expected: `napi: true with ${s.key} (--napi with --${flagOf(s.key)})`})
    else if (s.needs.mode && mode && mode !== s.needs.mode) out.push({key: s.key, message: `${label} is a ${mode.toUpperCase()} device and asks for ${s.key}; ${s.needs.why}`, expected: `${s.key} only on a ${s.needs.mode.toUpperCase()} device`})
  }
  return out
}

/** Interface flags (SIOCSIFFLAGS) the link settings turn on or off, in the order changes are reported. */
export const IFF_UP = 0x1
export const LINK_FLAGS: ReadonlyArray<{key: 'promisc' | 'allmulti' | 'multicast' | 'arp'; bit: number; inverted?: boolean}> = [
  {key: 'promisc', bit: 0x100},
  {key: 'allmulti', bit: 0x200},
  {key: 'multicast', bit: 0x1000},
  {key: 'arp', bit: 0x80, inverted: true}, // arp on = IFF_NOARP off
]

/**
 * The interface flags to set and clear so that a device with flags `current` (undefined: a new device)
 * has what `want` asks, and the changes that makes; `up` sets or clears IFF_UP, reported by the caller.
 */
export function linkFlagBits(want: Partial<Record<'promisc' | 'allmulti' | 'multicast' | 'arp' | 'up', boolean>>, current: number | undefined): {set: number; clear: number; changes: Change[]} {
  let set = 0
  let clear = 0
  // Made when something changes (an apply of thousands asks for each device): else one shared empty list.
  let changes: Change[] | undefined
  for (let i = 0; i < LINK_FLAGS.length; i++) {
    const {key, bit, inverted} = LINK_FLAGS[i]
    const w = want[key]
    if (w === undefined) continue
    const on = inverted ? !w : w
    const has = current === undefined ? undefined : (current & bit) !== 0
    if (has === on) continue
    if (on) set |= bit
    else clear |= bit
    ;(changes ??= []).push({what: key, from: has === undefined ? null : inverted ? !has : has, to: w})
  }
  if (want.up !== undefined) {
    if (want.up) set |= IFF_UP
    else clear |= IFF_UP
  }
  return {set, clear, changes: changes ?? NO_FLAG_CHANGES}
}

/** linkFlagBits' list when nothing changes, shared (its callers only read it). */
const NO_FLAG_CHANGES: Change[] = Object.freeze([]) as unknown as Change[]
