/**
 * What `down` needs from a config file: only its identity (id:, or its path) and link_group (a witness),
 * read by the loader's own reader (config/load.ts readIdentity), so that down and apply never disagree.
 */
import {LINK_GROUP_MAX} from '../model/identity'
import {maxConfigBytes, readCapped} from './read'

export interface ManagedSet {
  /** The config file's path, as given. */
  source: string
  /** id from the file. */
  id?: string
  /** link_group from the file; undefined: the default derived from the identity. */
  linkGroup?: number
  /** Why the file said nothing usable, for a warning. */
  warning?: string
}

/**
 * What down needs from a config file: its identity and link_group, read by the reader apply uses, with
 * the same checks; whatever else is wrong in the file is left alone, so that a file broken by an edit,
 * or removed, never keeps its devices from being removed at stop time.
 */
export function readManagedSet(file: string): ManagedSet {
  let text: string
  try {
    // Capped in size, and a FIFO or device in place of the file is no hang.
    text = readCapped(file, maxConfigBytes()).toString('utf8')
  } catch (err) {
    return {source: file, warning: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); removing the devices marked as managed by it (if it had an id:, give it as --id)`}
  }
  // Neither key can be in a file without these (an escaped key has a backslash): no YAML to parse (1000 entries take ~150 ms).
  if (!text.includes('link_group') && !/\bid\b/.test(text) && !text.includes('\\')) return {source: file}
  let read: ReturnType<typeof import('./load').readIdentity>
  try {
    // The loader, loaded only when the file may say something (it is not on other commands' start-up path either).
    read = (require('./load') as typeof import('./load')).readIdentity(text, file)
  } catch {
    read = {invalid: true}
  }
  if (read.invalid) return {source: file, warning: `${file} is not valid YAML; removing the devices marked as managed by its path (if it had an id:, give it as --id; see tunadm apply --dry-run for the problems)`}
  const out: ManagedSet = {source: file}
  const warnings: string[] = []
  if (typeof read.id === 'string') out.id = read.id
  else if (read.id) warnings.push(`id in ${file} is not valid (${read.id.problem}); removing the devices marked as managed by its path`)
  if (typeof read.linkGroup === 'number') out.linkGroup = read.linkGroup
  else if (read.linkGroup) warnings.push(`link_group in ${file} is not a whole number from 1 to ${LINK_GROUP_MAX}; it is left out`)
  if (warnings.length) out.warning = warnings.join('; ')
  return out
}
