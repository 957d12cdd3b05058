/**
 * The planner compares a device's addresses by identity in place (sameAddressIdentity) rather than by
 * their keys: both must say the same of every pair, peers and prefix lengths included.
 */
import fc from 'fast-check'
import {AddressFacts, addressKey, sameAddressIdentity} from '../../src/model/desired'

const params = {seed: 20261203, numRuns: 5000}

// Few values, so that equal addresses, lengths and peers come up often.
const v4 = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.1.1', '192.168.0.1', '0.0.0.0')
const v6 = fc.constantFrom('fd00::1', 'fd00::2', 'fe80::1')
const facts: fc.Arbitrary<AddressFacts> = fc.oneof(
  fc.record({family: fc.constant(4 as const), address: v4, prefixLen: fc.constantFrom(0, 8, 24, 31, 32), peer: fc.option(v4, {nil: undefined})}),
  fc.record({family: fc.constant(6 as const), address: v6, prefixLen: fc.constantFrom(64, 128), peer: fc.option(v6, {nil: undefined})}),
).map((f) => (f.peer === undefined ? {family: f.family, address: f.address, prefixLen: f.prefixLen} : f))

test('sameAddressIdentity says what comparing addressKey says, for every pair', () => {
  fc.assert(fc.property(facts, facts, (a, b) => {
    expect(sameAddressIdentity(a, b)).toBe(addressKey(a) === addressKey(b))
    expect(sameAddressIdentity(b, a)).toBe(sameAddressIdentity(a, b))
  }), params)
  // Peers in the same network at the address's length are one address; in another, two.
  expect(sameAddressIdentity({family: 4, address: '10.0.0.1', prefixLen: 24, peer: '10.0.0.2'}, {family: 4, address: '10.0.0.1', prefixLen: 24, peer: '10.0.0.3'})).toBe(true)
  expect(sameAddressIdentity({family: 4, address: '10.0.0.1', prefixLen: 24, peer: '10.0.0.2'}, {family: 4, address: '10.0.0.1', prefixLen: 24, peer: '10.0.1.2'})).toBe(false)
})
