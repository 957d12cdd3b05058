/** A device's plan in model terms: the steps that make the kernel match a request, and what each changes. */
import type {LinkState} from './state'
import {Holder, Mode} from './device'
import {MatchedBy} from './identity'
import {Prefix} from './ip'

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
  owner?: (link: LinkState) => {by?: MatchedBy; foreign?: string}
}

/**
 * Why the planner refuses a request, as a code and its facts: render/refusals.ts says it in words (and
 * decides the exit code: 2 for what the request got wrong, 1 for what the system's state forbids).
 */
export type Refusal =
  | {code: 'NOT_TUN'; name: string; kind: string}
  /** why: ownership's own reason (services/ownership.ts), else the alias says. */
  | {code: 'FOREIGN'; name: string; alias?: string; why?: string}
  | {code: 'NEEDS_RECREATE'; name: string; diffs: string[]; heldBy?: Holder[]}
  | {code: 'NO_MASTER' | 'NOT_A_MASTER' | 'TUN_IN_BRIDGE'; name: string; master: string; kind?: string}
  | {code: 'CANNOT_UNSET'; name: string; mode: Mode}
  | {code: 'OWNER_BUSY'; name: string; heldBy: Holder[]}
  | {code: 'TUN_FLAGS_UNKNOWN'; name: string}
  | {code: 'EEXIST'; name: string; to: string}
  | {code: 'OUT_OF_RANGE'; name: string; mtu: number; lo: number; hi: number; mode: Mode; fresh: boolean}
