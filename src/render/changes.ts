/** A plan's changes in words: what was done, or what a dry run would do; owners and groups by name. */
import type {Change} from '../model/steps'
import {groupName, userName} from '../system/accounts'

/** An owner or group by name where the system has one ("nobody (65534)"). */
export function namedChange(c: Change): Change {
  if (c.what !== 'owner' && c.what !== 'group') return c
  const lookup = c.what === 'owner' ? userName : groupName
  const named = (x: Change['from']) => {
    if (typeof x !== 'number') return x
    const n = lookup(x)
    return n === undefined ? x : `${n} (${x})`
  }
  return {...c, from: named(c.from), to: named(c.to)}
}

export function describeChange(c: Change): string {
  const v = (x: Change['from']) => (x === null || x === undefined ? 'none' : String(x))
  if (c.what === 'address' || c.what === 'route') return c.to === null ? `removed ${c.what} ${c.from}` : `added ${c.what} ${c.to}`
  if (c.what === 'device') return c.from === null ? `created ${c.to}` : `recreated ${c.to}`
  return `${c.what} ${v(c.from)} -> ${v(c.to)}`
}

/** The same change, said of a dry run. */
export function describeWouldChange(c: Change): string {
  const v = (x: Change['from']) => (x === null || x === undefined ? 'none' : String(x))
  if (c.what === 'address' || c.what === 'route') return c.to === null ? `would remove ${c.what} ${c.from}` : `would add ${c.what} ${c.to}`
  if (c.what === 'device') return c.from === null ? `would create ${c.to}` : `would recreate ${c.to}`
  if (c.from === null) return `would set ${c.what} ${v(c.to)}`
  return `would change ${c.what} ${v(c.from)} -> ${v(c.to)}`
}
