/** Users and groups: resolve what the user typed, and name the ids the kernel reports. */
import {InvalidInputError} from '../errors'
import {looksLikeAccountName, parseNumericId} from '../model/validate'
import {lookupGroupById, lookupGroupByName, lookupUserById, lookupUserByName} from '../kernel/libc'

export interface Account {
  id: number
  /** undefined when the id has no entry in the user/group database. */
  name?: string
}

/** Names by id (getpwuid/getgrgid), kept for the run: an id is named again and again in a list or a plan. */
const userNames = new Map<number, string | undefined>()
const groupNames = new Map<number, string | undefined>()

function resolve(text: string, what: 'user' | 'group'): Account {
  const flag = what === 'user' ? '--user' : '--group'
  const id = parseNumericId(text.trim(), what)
  if (id !== undefined) {
    const entry = what === 'user' ? lookupUserById(id) : lookupGroupById(id)
    const names = what === 'user' ? userNames : groupNames
    names.set(id, entry?.name) // what userName/groupName would look up again to show the device's owner
    return {id, name: entry?.name}
  }
  if (!looksLikeAccountName(text)) {
    throw new InvalidInputError(`${flag} "${text}" is neither a ${what} name nor a number`, {code: 'INVALID_ID'})
  }
  const entry = what === 'user' ? lookupUserByName(text) : lookupGroupByName(text)
  if (!entry) {
    throw new InvalidInputError(`there is no ${what} named "${text}"`, {
      code: what === 'user' ? 'UNKNOWN_USER' : 'UNKNOWN_GROUP',
      fix: `check the spelling (getent ${what === 'user' ? 'passwd' : 'group'} ${text}), or give a numeric id`,
    })
  }
  return {id: what === 'user' ? (entry as {uid: number}).uid : (entry as {gid: number}).gid, name: entry.name}
}

/** Look-ups are cached: a config of 1000 devices names the same few accounts again and again. */
const resolved = {user: new Map<string, Account>(), group: new Map<string, Account>()}

function cachedResolve(text: string, what: 'user' | 'group'): Account {
  const cache = resolved[what]
  let hit = cache.get(text)
  if (!hit) {
    hit = resolve(text, what)
    cache.set(text, hit)
  }
  return hit
}

export const resolveUser = (text: string) => cachedResolve(text, 'user')
export const resolveGroup = (text: string) => cachedResolve(text, 'group')

// One look-up in the map for an id already named (list names the owner of each of thousands of devices).
export function userName(uid: number): string | undefined {
  const name = userNames.get(uid)
  if (name !== undefined || userNames.has(uid)) return name
  const found = lookupUserById(uid)?.name
  userNames.set(uid, found)
  return found
}

export function groupName(gid: number): string | undefined {
  const name = groupNames.get(gid)
  if (name !== undefined || groupNames.has(gid)) return name
  const found = lookupGroupById(gid)?.name
  groupNames.set(gid, found)
  return found
}

/**
 * The user who asked for this command: the sudo caller when run through sudo (SUDO_UID), otherwise
 * the effective uid. New devices default to this owner, so nobody gets an attachable-by-all device
 * by accident.
 */
export function invokingUid(env: NodeJS.ProcessEnv = process.env): number {
  const sudo = env.SUDO_UID
  if (sudo && /^\d+$/.test(sudo) && Number(sudo) < 0xffffffff && process.geteuid?.() === 0) return Number(sudo)
  return process.geteuid?.() ?? 0
}

/** Is the user a member of the group, as primary group or listed member? */
export function userInGroup(uid: number, gid: number): boolean {
  const user = lookupUserById(uid)
  if (!user) return false
  if (user.gid === gid) return true
  return lookupGroupById(gid)?.members.includes(user.name) ?? false
}
