/**
 * What the config file intends for each device it declares, and how far the kernel is from it: the
 * planner's own answer (the plan apply would make), so doctor and apply never disagree about drift.
 * Loaded only when doctor reads a config.
 */
import * as path from 'node:path'
import type {DeviceConfig, TunadmConfig} from '../config/types'
import {desiredFromConfig} from '../services/desired'
import {normaliseError} from '../services/normalise'
import {ownershipOf} from '../services/ownership'
import {Change, plan} from '../services/plan'
import {OwnerRecord} from '../system/owner-record'
import type {Snapshot} from '../services/snapshot'

export interface Intent {
  name: string
  /** The config file that declares the device. */
  source: string
  /** Its entry, after defaults and ranges. */
  declared: DeviceConfig
  /** What tunadm apply would change (empty when the device matches; "device" when it would create it). */
  changes: Change[]
  /** Why apply would not make it match: another config's or a hand-made device, a fixed part that differs, a value the system refuses. */
  problem?: {code: string; message: string; fix?: string}
}

export function intentsFrom(config: TunadmConfig, snap: Snapshot): Intent[] {
  const source = path.resolve(config.source)
  // Which devices are the config's, as apply decides it (its identity, link group and tunadm's record).
  const {identity, ownership, group} = ownershipOf(config, snap.links(), {record: OwnerRecord.read(undefined)})
  return config.devices.map((declared) => {
    const intent: Intent = {name: declared.name, source, declared, changes: []}
    try {
      intent.changes = plan(snap, desiredFromConfig(declared, identity.marker, group), {intent: 'apply', owner: (l) => ownership.match(l)}).changes
    } catch (err) {
      const e = normaliseError(err)
      intent.problem = {code: e.code, message: e.message, ...(e.fix ? {fix: e.fix} : {})}
    }
    return intent
  })
}
