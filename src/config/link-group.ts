/**
 * What `down` needs from a config file: only its path (the marker of its devices) and link_group.
 * down does not validate the rest, so that a file broken by an edit, or removed, never keeps its
 * devices from being removed at stop time; and it does not parse YAML at all unless the file
 * mentions link_group (1000 entries take ~150 ms to parse).
 */
import * as fs from 'node:fs'

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
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    return {source: file, warning: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); removing the devices marked as managed by it`}
  }
  if (!text.includes('link_group')) return {source: file}
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const yaml = require('yaml') as typeof import('yaml')
  let value: unknown
  try {
    value = (yaml.parse(text) as Record<string, unknown> | null)?.link_group
  } catch {
    return {source: file, warning: `${file} is not valid YAML; its devices are removed one by one (see tunadm apply --dry-run for the problems)`}
  }
  if (value === undefined) return {source: file}
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    return {source: file, warning: `link_group in ${file} is not a whole number from 1 to 4294967295; its devices are removed one by one`}
  }
  return {source: file, linkGroup: value}
}
