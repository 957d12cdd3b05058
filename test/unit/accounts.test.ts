/**
 * Account look-ups: a numeric --user/--group asks libc once, and naming that id for the output reuses
 * the answer (add printed "owner user root (0)" after a second getpwuid that read /etc/passwd again).
 */
const byId = jest.fn((uid: number) => (uid === 0 ? {name: 'root', uid: 0, gid: 0} : undefined))
const groupById = jest.fn((gid: number) => (gid === 0 ? {name: 'root', gid: 0, members: []} : undefined))
jest.mock('../../src/kernel/libc', () => ({
  lookupUserById: (uid: number) => byId(uid),
  lookupGroupById: (gid: number) => groupById(gid),
  lookupUserByName: () => undefined,
  lookupGroupByName: () => undefined,
}))
import {groupName, resolveGroup, resolveUser, userName} from '../../src/system/accounts'

test('a numeric id resolved for a flag is named again without a second look-up', () => {
  expect(resolveUser('0')).toEqual({id: 0, name: 'root'})
  expect(userName(0)).toBe('root')
  expect(byId).toHaveBeenCalledTimes(1)
  expect(resolveUser(' 4242')).toEqual({id: 4242, name: undefined})
  expect(userName(4242)).toBeUndefined()
  expect(byId).toHaveBeenCalledTimes(2)
  expect(resolveGroup('0')).toEqual({id: 0, name: 'root'})
  expect(groupName(0)).toBe('root')
  expect(groupById).toHaveBeenCalledTimes(1)
  // An id never resolved is looked up once, then kept.
  expect(groupName(7)).toBeUndefined()
  expect(groupName(7)).toBeUndefined()
  expect(groupById).toHaveBeenCalledTimes(2)
})
