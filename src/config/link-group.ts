/**
 * What `down` needs from a config file: only its path (the marker of its devices) and link_group.
 * down does not validate the rest, so that a file broken by an edit, or removed, never keeps its
 * devices from being removed at stop time; and it does not parse YAML at all unless the file
 * mentions link_group (1000 entries take ~150 ms to parse).
 */
import {maxConfigBytes, readCapped} from './read'
import {loadYaml} from './yaml'
import {parseFast} from './yaml-fast'

export interface ManagedSet {
  /** The config file's path, as given. */
  source: string
  /** link_group from the file; undefined: the default derived from the path. */
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
    return {source: file, warning: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); removing the devices marked as managed by it`}
  }
  if (!text.includes('link_group')) return {source: file}
  let value: unknown
  const fast = parseFast(text)
  if (fast) {
    // The common subset, read without the library (see yaml-fast.ts); the last of repeated keys wins, as in yaml.parse.
    const root = fast.contents
    const pair = root?.kind === 'map' ? root.items.filter((p) => p.key.value === 'link_group').pop() : undefined
    value = pair ? (pair.value?.kind === 'scalar' ? pair.value.value : pair.value === null ? null : {}) : undefined
  } else {
    try {
      // uniqueKeys: the library's check is quadratic in a mapping's keys; a duplicate does not matter here.
      value = (loadYaml().parse(text, {uniqueKeys: false, maxAliasCount: 1000}) as Record<string, unknown> | null)?.link_group
    } catch {
      return {source: file, warning: `${file} is not valid YAML; its devices are removed one by one (see tunadm apply --dry-run for the problems)`}
    }
  }
  if (value === undefined) return {source: file}
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    return {source: file, warning: `link_group in ${file} is not a whole number from 1 to 4294967295; its devices are removed one by one`}
  }
  return {source: file, linkGroup: value}
}
