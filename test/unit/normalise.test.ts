/** Errors are classified by type and code; the exit code follows from that, never from a name. */
import {Errors} from '@oclif/core'
import {NetlinkParseError} from '../../src/kernel/netlink-codec'
import {KernelError} from '../../src/kernel/errno'
import {normaliseError, wordTakenByFlag} from '../../src/services/normalise'
import {descriptorBudget} from '../../src/services/execute'

describe('normaliseError', () => {
  test('a malformed kernel reply is an operation that failed (1), not a usage error', () => {
    const e = normaliseError(new NetlinkParseError('attribute 3 at offset 20 runs past its message'))
    expect([e.exitCode, e.code]).toEqual([1, 'NETLINK_MALFORMED'])
  })

  test('an error whose name merely looks like parsing is not a usage error', () => {
    const odd = new Error('boom')
    odd.name = 'ArgParseFlagError'
    expect(normaliseError(odd).exitCode).toBe(1)
  })

  test('oclif\'s command-line errors (exit 2) are usage errors', () => {
    const e = normaliseError(new Errors.CLIError('Missing 1 required arg', {exit: 2}))
    expect([e.exitCode, e.code]).toEqual([2, 'USAGE'])
  })

  test('a kernel error keeps its errno name as the code and says why', () => {
    const e = normaliseError(new KernelError('TUNSETIFF (create)', 16, 'tun0'))
    expect([e.exitCode, e.code]).toEqual([1, 'EBUSY'])
    expect(e.why).toBeTruthy()
  })
})

describe('every errno is named in words', () => {
  test('EHOSTUNREACH, and any errno Node knows, never "errno N (error N)"', () => {
    expect(new KernelError('RTM_NEWROUTE', 113, 'tun6').message).toBe('RTM_NEWROUTE on tun6: EHOSTUNREACH (No route to host)')
    for (let n = 1; n <= 133; n++) {
      const m = new KernelError('op', n).message
      if (require('node:util').getSystemErrorMap().has(-n)) expect(m).not.toMatch(/errno \d|error \d/)
    }
    expect(new KernelError('op', 121).message).toBe('op: EREMOTEIO (Remote I/O error)')
  })
})

describe('which flag took a word', () => {
  const flags = {address: {kind: 'string', multiple: true, char: 'a'}, mtu: {kind: 'integer'}, up: {kind: 'boolean'}, route: {kind: 'string', multiple: true}}
  test.each([
    [['--address', '10.0.0.1/24', 'tap0'], {flag: 'address', word: 'tap0'}],
    [['-a', '10.0.0.1/24', '10.0.0.2/24', 'tap0'], {flag: 'address', word: 'tap0'}],
    [['--address=10.0.0.1/24', 'tap0'], {flag: 'address', word: 'tap0'}],
    [['--mtu', '1400', 'tap0'], undefined],
    [['--up', 'tap0'], undefined],
    [['--route', '10.1.0.0/16', '--up'], undefined],
  ])('%j', (argv, taken) => {
    expect(wordTakenByFlag({argv, flags})).toEqual(taken)
  })
})

describe('the descriptor budget of new devices', () => {
  const limits = (n: string) => () => `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${n}                  4096                 files\n`
  test('chunks fit the limit; too small a limit refuses before any change', () => {
    expect(descriptorBudget(500, limits('128'), () => 22)).toBe(90)
    expect(descriptorBudget(500, limits('unlimited'), () => 22)).toBe(256)
    expect(descriptorBudget(3, limits('42'), () => 22)).toBe(4)
    expect(() => descriptorBudget(500, limits('30'), () => 22)).toThrow(/^cannot create 500 device\(s\): only 8 file descriptors are free \(ulimit -n is 30\)$/)
  })
})
