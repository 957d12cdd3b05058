/** Flags shared by add and set (and their mapping to FlagInput), defined once. */
import {Flags} from './cli/spec'
import {FlagInput} from './services/desired'
import {InvalidInputError} from './errors'
import {MASTER, TUN_FLAGS, TunFlagValues, flagOf} from './model/settings'

const CONFIG = 'CONFIGURATION'

export const configureFlags = {
  mac: Flags.string({summary: 'MAC address (TAP only): six hex bytes, unicast, not all zeros.', helpGroup: CONFIG}),
  up: Flags.boolean({summary: 'Bring the device up (administratively).', helpGroup: CONFIG}),
  down: Flags.boolean({summary: 'Bring the device down (with --up and --rename: down, rename, up again).', helpGroup: CONFIG}),
  promisc: Flags.boolean({summary: 'Promiscuous mode on (--no-promisc: off).', allowNo: true, helpGroup: CONFIG}),
  allmulti: Flags.boolean({summary: 'Receive all multicast (--no-allmulti: off).', allowNo: true, helpGroup: CONFIG}),
  arp: Flags.boolean({summary: 'ARP on (--no-arp sets NOARP).', allowNo: true, helpGroup: CONFIG}),
  multicast: Flags.boolean({summary: 'Multicast on (--no-multicast: off).', allowNo: true, helpGroup: CONFIG}),
  mtu: Flags.integer({summary: 'MTU in bytes, within the device\'s range (68-65535 for TUN).', helpGroup: CONFIG}),
  txqueuelen: Flags.integer({summary: 'Transmit queue length in packets (--qlen, as ip calls it, is the same).', aliases: ['qlen'], helpGroup: CONFIG}),
  [MASTER.key]: Flags.string({summary: MASTER.help, helpValue: MASTER.helpValue, helpGroup: CONFIG}),
  [`no-${MASTER.key}`]: Flags.boolean({summary: MASTER.helpNo!, helpGroup: CONFIG}),
  address: Flags.string({char: 'a', summary: 'Add an address, ADDR/LEN (IPv4 or IPv6); repeatable.', multiple: true, helpGroup: CONFIG}),
  peer: Flags.string({summary: 'Point-to-point peer of the --address of the same family (TUN only).', helpGroup: CONFIG}),
  route: Flags.string({summary: 'Add a route via the device: CIDR, "CIDR via GW" or "CIDR via GW metric N"; repeatable.', multiple: true, helpGroup: CONFIG}),
  via: Flags.string({summary: 'Gateway for each --route that names none.', helpGroup: CONFIG}),
}

/** add's TUN flags (--pi, --vnet-hdr, --multi-queue, --napi, --napi-frags), one per registry entry. */
export const tunFlagFlags: Record<string, ReturnType<typeof Flags.boolean>> = Object.fromEntries(
  TUN_FLAGS.map((s) => [flagOf(s.key), Flags.boolean({summary: s.help})]),
)

/** The parsed TUN flags by config key. */
export function tunFlagsFromFlags(flags: Record<string, unknown>): TunFlagValues {
  return Object.fromEntries(TUN_FLAGS.map((s) => [s.key, Boolean(flags[flagOf(s.key)])]))
}

export type ConfigureFlagValues = {
  [K in keyof typeof configureFlags]?: unknown
} & {
  mac?: string; up?: boolean; down?: boolean; promisc?: boolean; allmulti?: boolean; arp?: boolean; multicast?: boolean
  mtu?: number; txqueuelen?: number; address?: string[]; peer?: string; route?: string[]; via?: string
  master?: string; 'no-master'?: boolean
}

export function settingsInputFromFlags(f: ConfigureFlagValues & {rename?: string}): FlagInput {
  if (f.up && f.down && f.rename === undefined) {
    throw new InvalidInputError('--up and --down together make sense only with --rename (down, rename, up again)', {code: 'USAGE'})
  }
  if (f.master !== undefined && f['no-master']) {
    throw new InvalidInputError('--master and --no-master contradict each other', {code: 'USAGE', fix: 'give one of them'})
  }
  let master: string | null | undefined = f['no-master'] ? null : undefined
  if (f.master !== undefined) {
    const parsed = MASTER.parse(f.master)
    if ('problem' in parsed) throw new InvalidInputError(parsed.problem.replace(/^master/, '--master').replace('master: br0', '--master br0'), {code: 'INVALID_NAME'})
    master = parsed.value
  }
  return {
    master,
    mac: f.mac,
    up: f.up ? true : f.down ? false : undefined,
    downFirst: Boolean(f.up && f.down),
    promisc: f.promisc,
    allmulti: f.allmulti,
    arp: f.arp,
    multicast: f.multicast,
    mtu: f.mtu,
    txqueuelen: f.txqueuelen,
    addresses: f.address,
    peer: f.peer,
    routes: f.route,
    via: f.via,
  }
}
