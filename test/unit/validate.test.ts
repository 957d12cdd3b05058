import {validateIfName, parseNumericId} from '../../src/model/validate'
import {modeFromName, describeOwnership} from '../../src/model/device'

const code = (fn: () => unknown) => {
  try {
    fn()
  } catch (err) {
    return (err as {code: string; exitCode: number}).code + ':' + (err as {exitCode: number}).exitCode
  }
  return 'ok'
}

describe('interface names', () => {
  test.each(['tun0', 'tap77', 'a', 'x'.repeat(15), 'vnet-1_2.b', 'ünï'])('accepts %s', (n) => expect(validateIfName(n)).toBe(n))
  test.each([
    ['', 'the device name is empty'],
    ['x'.repeat(16), 'is 16 bytes long; the kernel allows at most 15'],
    ['ü'.repeat(8), 'is 16 bytes long'],
    ['.', 'cannot be a device name'],
    ['..', 'cannot be a device name'],
    ['a/b', 'contains "/"'],
    ['a:b', 'contains ":"'],
    ['a b', 'contains white space'],
    ['a\tb', 'contains white space'],
    ['tap%d', 'contains "%"'],
  ])('rejects %j', (n, msg) => {
    expect(() => validateIfName(n)).toThrow(msg)
    expect(code(() => validateIfName(n))).toBe('INVALID_NAME:2')
  })
  test('templates only where allowed, with exactly one %d', () => {
    expect(validateIfName('tap%d', {template: true})).toBe('tap%d')
    expect(() => validateIfName('tap%d%d', {template: true})).toThrow('exactly one "%d"')
    expect(() => validateIfName('tap%s', {template: true})).toThrow('exactly one "%d"')
  })
})

describe('numeric ids', () => {
  test('accepts 0 to 4294967294', () => {
    expect(parseNumericId('0', 'user')).toBe(0)
    expect(parseNumericId('4294967294', 'user')).toBe(4294967294)
  })
  test.each(['4294967295', '4294967296', '-1', '+5', '99999999999999999999'])('rejects %s (no wrap-around)', (t) => {
    expect(code(() => parseNumericId(t, 'user'))).toBe('INVALID_ID:2')
  })
  test('names are not numbers', () => expect(parseNumericId('waldner', 'user')).toBeUndefined())
})

describe('mode from name and ownership text', () => {
  test('infers', () => {
    expect(modeFromName('tun77')).toBe('tun')
    expect(modeFromName('tap%d')).toBe('tap')
    expect(modeFromName('vnet0')).toBeUndefined()
    expect(modeFromName(undefined)).toBeUndefined()
  })
  test('ownership', () => {
    expect(describeOwnership({owner: null, group: null})).toBe('none: any user who can open /dev/net/tun may attach')
    expect(describeOwnership({owner: {id: 1000, name: 'waldner'}, group: {id: 5}})).toBe('user waldner (1000), group (unknown) (5)')
  })
})
