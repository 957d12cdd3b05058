/** The generators by target, and the one entry point the command calls. */
import type {TunadmConfig} from '../config/types'
import {InvalidInputError} from '../errors'
import {ifupdown} from './ifupdown'
import {networkd} from './networkd'
import {nm} from './nm'
import {openrc, sysv} from './scripts'
import {systemd} from './systemd'
import {GenerateOptions, Generated, Generator, TARGETS, Target} from './types'

export const GENERATORS: Record<Target, Generator> = {systemd, networkd, sysv, openrc, ifupdown, nm}

export function generatorFor(target: string): Generator {
  if (!(TARGETS as readonly string[]).includes(target)) {
    throw new InvalidInputError(`unknown init target "${target}"`, {
      code: 'UNKNOWN_TARGET', fix: `choose one of: ${TARGETS.join(', ')}`,
    })
  }
  return GENERATORS[target as Target]
}

export function generate(target: string, config: TunadmConfig, opts: Omit<GenerateOptions, 'installDir'> & {installDir?: string}): Generated {
  const g = generatorFor(target)
  const out = g.generate(config, {...opts, installDir: opts.installDir ?? g.installDir})
  // One newline at the end of every file, however the templates and sections joined up.
  for (const f of out.files) f.content = f.content.replace(/\n*$/, '\n')
  return out
}
