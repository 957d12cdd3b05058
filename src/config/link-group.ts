/**
 * What `down` needs from a config file: only its identity (id:, or its path) and link_group (a witness).
 * down does not validate the rest, so that a file broken by an edit, or removed, never keeps its
 * devices from being removed at stop time; and it does not parse YAML at all unless the file
 * mentions id or link_group (1000 entries take ~150 ms to parse).
 */
import {LINK_GROUP_MAX, idProblem} from '../model/identity'
import {maxConfigBytes, readCapped} from './read'
import {loadYaml} from './yaml'
import {parseFast} from './yaml-fast'

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

export function readManagedSet(file: string): ManagedSet {
  let text: string
  try {
    // The loader's reader: capped in size, and a FIFO or device in place of the file is no hang.
    text = readCapped(file, maxConfigBytes()).toString('utf8')
  } catch (err) {
    return {source: file, warning: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); removing the devices marked as managed by it (if it had an id:, give it as --id)`}
  }
  if (!text.includes('link_group') && !/\bid\s*:/.test(text)) return {source: file}
  let top: Record<string, unknown> | undefined
  const fast = parseFast(text)
  if (fast) {
    // The common subset, read without the library (see yaml-fast.ts); the last of repeated keys wins, as in yaml.parse.
    const root = fast.contents
    if (root?.kind === 'map') {
      top = {}
      for (const pair of root.items) {
        const key = pair.key.value
        if (key === 'id' || key === 'link_group') top[String(key)] = pair.value ? (pair.value.kind === 'scalar' ? pair.value.value : {}) : null
      }
    }
  } else {
    try {
      // uniqueKeys: the library's check is quadratic in a mapping's keys; a duplicate does not matter here.
      top = loadYaml().parse(text, {uniqueKeys: false, maxAliasCount: 1000}) as Record<string, unknown> | undefined
    } catch {
      return {source: file, warning: `${file} is not valid YAML; removing the devices marked as managed by its path (if it had an id:, give it as --id; see tunadm apply --dry-run for the problems)`}
    }
  }
  const out: ManagedSet = {source: file}
  const warnings: string[] = []
  const id = top && typeof top === 'object' ? top.id : undefined
  if (id !== undefined) {
    if (typeof id === 'string' && !idProblem(id)) out.id = id
    else warnings.push(`id in ${file} is not valid (${typeof id === 'string' ? idProblem(id) : 'not text'}); removing the devices marked as managed by its path`)
  }
  const value = top && typeof top === 'object' ? top.link_group : undefined
  if (value !== undefined) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= LINK_GROUP_MAX) out.linkGroup = value
    else warnings.push(`link_group in ${file} is not a whole number from 1 to ${LINK_GROUP_MAX}; it is left out`)
  }
  if (warnings.length) out.warning = warnings.join('; ')
  return out
}
