/**
 * The TUN flags as each boot-file format writes them, from the settings registry, and the refusal of a
 * config that uses one a format has no way to say (generating without it would make devices that differ
 * from the config).
 */
import type {DeviceConfig, TunadmConfig} from '../config/types'
import {InvalidInputError} from '../errors'
import {InitFormat, MASTER_WORDS, MasterKind, TUN_FLAGS} from '../model/settings'
import type {GenerateOptions} from './types'

/** The format's words for a device's TUN flags, in registry order: [word, on] for every flag it can say. */
export function tunFlagWords(d: DeviceConfig, format: InitFormat): Array<[string, boolean]> {
  const out: Array<[string, boolean]> = []
  for (const s of TUN_FLAGS) {
    const way = s.init[format]
    if ('as' in way) out.push([way.as, Boolean(d[s.key])])
  }
  return out
}

/** Throw (exit 2) when a device turns on a TUN flag `format` cannot say; `target` names it for the message. */
export function refuseUnexpressible(config: TunadmConfig, format: InitFormat, target: string): void {
  const found: string[] = []
  const reasons = new Set<string>()
  for (const d of config.devices) {
    for (const s of TUN_FLAGS) {
      const way = s.init[format]
      if ('refused' in way && d[s.key]) {
        found.push(`${s.key} (${d.name})`)
        reasons.add(way.refused)
      }
    }
  }
  if (found.length === 0) return
  throw new InvalidInputError(`${target} cannot express ${found.join('; ')}`, {
    code: 'UNSUPPORTED_BY_TARGET',
    why: `${[...reasons].join('; ')}; generating without them would make devices that differ from the config`,
    fix: 'use --target systemd (or sysv/openrc without --standalone): they run tunadm apply at boot, which sets them',
  })
}

/**
 * The kind of each master the config names, as this machine has it; a master that does not exist now is
 * taken for a bridge (what a VM host's taps join), and a note says so.
 */
export function masterKinds(config: TunadmConfig, opts: GenerateOptions, notes: string[]): Map<string, {kind: MasterKind; words: (typeof MASTER_WORDS)[MasterKind]}> {
  const out = new Map<string, {kind: MasterKind; words: (typeof MASTER_WORDS)[MasterKind]}>()
  for (const d of config.devices) {
    if (d.master === undefined || out.has(d.master)) continue
    const found = opts.masterKind?.(d.master)
    if (!found) notes.push(`${d.master} does not exist on this machine now: written as a bridge; if it is a bond or a vrf, create it and run tunadm init again`)
    const kind = found ?? 'bridge'
    out.set(d.master, {kind, words: MASTER_WORDS[kind]})
  }
  return out
}
