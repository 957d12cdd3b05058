/**
 * ipTextAt's byte tables are made at the first address written: the first one may be IPv6 (hex tables) or
 * IPv4 (decimal), in a module that has written nothing yet.
 */
type IpModule = typeof import('../../src/model/ip')

function fresh(): IpModule {
  let mod: IpModule | undefined
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    mod = require('../../src/model/ip') as IpModule
  })
  return mod!
}

test('the first address a fresh module writes is IPv6', () => {
  const {ipTextAt} = fresh()
  const v6 = Buffer.from('20010db80000000000000000000000ff', 'hex')
  expect(ipTextAt(v6, 0, 16)).toBe('2001:db8::ff')
  expect(ipTextAt(Buffer.from([10, 0, 255, 1]), 0, 4)).toBe('10.0.255.1')
})

test('the first address a fresh module writes is IPv4, then IPv6 in place', () => {
  const {ipTextAt} = fresh()
  expect(ipTextAt(Buffer.from([0, 192, 168, 7, 42, 0]), 1, 4)).toBe('192.168.7.42')
  const b = Buffer.concat([Buffer.from([9]), Buffer.from('fe80000000000000020000fffe0000a0', 'hex')])
  expect(ipTextAt(b, 1, 16)).toBe('fe80::200:ff:fe00:a0')
})
