/** --explain reads a message as pasted (wrapped, indented, spaced) and is right about root. */
import {contextFrom, NetFacts} from '../../src/doctor/context'
import {explainMessage, Explanation} from '../../src/doctor/explain'
import type {TunDevice} from '../../src/model/device'
import {FixtureHost, STATUS, cleanupTrees, fixtureTree} from '../helpers/fixture-host'

afterAll(cleanupTrees)

const tun77: TunDevice = {
  name: 'tun77', index: 7, mode: 'tun', pi: false, vnetHdr: false, multiQueue: false, persist: true, owner: {id: 65534, name: 'nobody'}, group: null,
  anyUserMayAttach: false, up: true, carrier: false, flags: [], queues: 0, addresses: [], routes: [],
}
const NET: NetFacts = {devices: [tun77], links: [{name: 'tun77', kind: 'tun'}], routes: []}
const explain = (message: string, host: FixtureHost = fixtureTree(), user?: string): Explanation =>
  explainMessage(message, {ctx: contextFrom(host, NET, {user, features: {error: 'not asked'}}), net: NET})
const verdicts = (e: Explanation) => Object.fromEntries(e.patterns.flatMap((p) => p.causes.map((c) => [c.id, c.verdict])))

describe('doctor --explain', () => {
  const one = 'Cannot ioctl TUNSETIFF tun77: Operation not permitted (errno=1)'

  test.each([
    ['extra spaces', 'Cannot  ioctl   TUNSETIFF tun77:  Operation not permitted (errno=1)'],
    ['a line break', 'Cannot ioctl TUNSETIFF tun77:\nOperation not permitted (errno=1)'],
    ['wrapped and indented, as copied from --help', '  Cannot ioctl TUNSETIFF\n      tun77: Operation not\r\n  permitted (errno=1)  '],
    ['tabs', 'Cannot\tioctl TUNSETIFF tun77:\tOperation not permitted (errno=1)'],
  ])('reads a message with %s as the one-line message', (_, pasted) => {
    const want = explain(one, fixtureTree({'proc/self/status': STATUS(1234, '0')}))
    const got = explain(pasted, fixtureTree({'proc/self/status': STATUS(1234, '0')}))
    expect(want.recognised).toBe(true)
    expect(got).toEqual(want)
    expect(got.message).toBe(one)
  })

  test('root (CAP_NET_ADMIN) is not "not admitted": the owner and group do not limit it', () => {
    const root = explain(one)
    expect(verdicts(root)).toMatchObject({'no-cap-net-admin': 'unlikely', 'not-owner': 'unlikely'})
    const user = explain(one, fixtureTree({'proc/self/status': STATUS(1234, '0')}))
    expect(verdicts(user)).toMatchObject({'no-cap-net-admin': 'likely', 'not-owner': 'likely'})
  })
})
