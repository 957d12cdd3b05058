/** Errors are classified by type and code; the exit code follows from that, never from a name. */
import {Errors} from '@oclif/core'
import {NetlinkParseError} from '../../src/kernel/netlink-codec'
import {KernelError} from '../../src/kernel/errno'
import {normaliseError} from '../../src/services/normalise'

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
