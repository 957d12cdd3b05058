/**
 * Doctor checks are data: an id, a group, a title and a function from the injected context to a
 * finding. The runner turns throws into "crash" findings, so one broken check never hides the others.
 */
import type {Host} from '../system/host'
import type {Holder} from '../system/holders'
import type {TunDevice} from '../model/device'
import type {Account} from './host-facts'
import type {Intent} from './intent'

export type Status = 'ok' | 'warn' | 'fail' | 'crash' | 'skip'
export const STATUSES: readonly Status[] = ['ok', 'warn', 'fail', 'crash', 'skip']

/** What to do, in words, and the exact commands (placeholders in <ANGLE_BRACKETS>). */
export interface Fix {
  text: string
  commands: string[]
}

export interface Outcome {
  status: Status
  messages: string[]
  fix?: Fix
}

/** One finding as printed and as emitted by --json. */
export interface Finding extends Outcome {
  id: string
  group: CheckGroup
  title: string
  /** Set for device checks. */
  device?: string
}

export type CheckGroup = 'system' | 'device'

/** A route of any link, for checks that compare devices (overlaps). */
export interface LinkRoute {
  device: string
  family: 4 | 6
  destination: string
  gateway?: string
  metric?: number
  linkdown: boolean
}

/** A link of any kind, with what the checks of bridge ports and their masters need. */
export interface LinkFacts {
  name: string
  /** "tun", "bridge", "veth", "loopback"... */
  kind: string
  index?: number
  up?: boolean
  mtu?: number
  /** IFLA_MASTER: the index of the bridge, bond or vrf this link is a port of. */
  master?: number
  /** As a port: its master's kind, and a bridge port's STP state (forwarding, blocking...). */
  port?: {kind: string; state?: string}
}

/** A device the user named or that the netlink dump returned. `device` is unset when there is no TUN/TAP device of that name. */
export interface Target {
  name: string
  device?: TunDevice
  /** When the name belongs to a link that is not TUN/TAP: its kind. */
  otherKind?: string
  /** What the config file declares for it, and how the kernel differs. */
  intent?: Intent
}

/** TUNGETFEATURES, or why it could not be read. */
export type Features = {flags: number} | {error: string}

/** The config file doctor judges by: how many devices it declares, or why it could not be read. */
export type ConfigFacts = {source: string; declared: number} | {source: string; error: {message: string; fix?: string}}

export interface DoctorContext {
  /** The config file, when doctor reads one (--config, or the default file that exists). */
  config?: ConfigFacts
  host: Host
  /** Who will run the program: the caller, or --user. */
  subject: Account
  /** Whether the subject is the caller itself (capabilities from /proc/self/status apply). */
  subjectIsCaller: boolean
  /** The caller's effective capability mask. */
  capEff: bigint
  targets: Target[]
  /** Every link by ifindex: a port's master, its kind, state and MTU. */
  links: Map<number, LinkFacts>
  /** Main-table unicast routes of every link in the namespace. */
  routes: LinkRoute[]
  holders: Map<string, Holder[]>
  features: Features
  /** Per-run memo of host reads shared by checks. */
  cache: Map<string, unknown>
}

export interface DeviceContext extends DoctorContext {
  target: Target
}

interface CheckBase {
  id: string
  title: string
  /** One line for --list-checks and the README. */
  description: string
}

/** Return undefined when the check does not apply to this system (nothing is reported). */
export interface SystemCheck extends CheckBase {
  group: 'system'
  run(ctx: DoctorContext): Outcome | undefined
}

/**
 * Run once per device; return undefined when the check does not apply (nothing is reported).
 * `dev` is undefined only for checks marked `alsoWhenMissing` (a named device that does not exist).
 */
export interface DeviceCheck extends CheckBase {
  group: 'device'
  alsoWhenMissing?: boolean
  run(ctx: DeviceContext, dev: TunDevice): Outcome | undefined
}

export type Check = SystemCheck | DeviceCheck

export interface Report {
  findings: Finding[]
  summary: Record<Status, number>
  /** True when a check failed or crashed: the exit code is then 1. */
  failed: boolean
}
