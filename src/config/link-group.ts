/**
 * What `down` needs from a config file: only its identity (id:, or its path) and link_group (a witness),
 * read by the loader's own reader (config/load.ts readManagedSet), so that down and apply never disagree.
 */
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

/** The loader's reader, loaded when down asks (it is not on other commands' start-up path). */
export function readManagedSet(file: string): ManagedSet {
  return (require('./load') as typeof import('./load')).readManagedSet(file)
}
