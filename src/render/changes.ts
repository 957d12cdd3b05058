/** Changes as people read them: an owner or group by name where the system has one ("nobody (65534)"). */
import type {Change} from '../services/plan'
import {groupName, userName} from '../system/accounts'

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
