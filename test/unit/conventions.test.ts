/** Small rules with big effects on what people paste and read: fixes for a namespace, escaped names, owners by name. */
import {errorInNetns, fixTextInNetns} from '../../src/services/in-netns'
import {printable, printableLines} from '../../src/render/escape'
import {namedChange} from '../../src/render/changes'
import {TunadmError} from '../../src/errors'
import {hoistGlobals, wantsJson} from '../../src/cli/argv'

// The accounts of a fixed system (the real look-up goes through libc, which the kernel tests exercise).
jest.mock('../../src/system/accounts', () => ({
  userName: (id: number) => ({0: 'root', 65534: 'nobody'} as Record<number, string>)[id],
  groupName: (id: number) => ({0: 'root', 65534: 'nogroup'} as Record<number, string>)[id],
}))

describe('a fix said for the namespace the command worked in', () => {
  test.each([
    ['stop the program first, or delete it anyway with: tunadm del --force tun0', 'stop the program first, or delete it anyway with: tunadm --netns blue del --force tun0'],
    ['recreate it: tunadm del t && tunadm add t --mode tun --any-user', 'recreate it: tunadm --netns blue del t && tunadm --netns blue add t --mode tun --any-user'],
    ['run sudo tunadm set tap0 --up', 'run sudo tunadm --netns blue set tap0 --up'],
    ['see it with ip -d link show tap0, or ip route', 'see it with ip -n blue -d link show tap0, or ip -n blue route'],
    ['turn IPv6 on: sysctl -w net.ipv6.conf.tap0.disable_ipv6=0', 'turn IPv6 on: ip netns exec blue sysctl -w net.ipv6.conf.tap0.disable_ipv6=0'],
    // Left alone: prose, the namespace commands themselves, help.
    ['see ip netns list; create it with: ip netns add x', 'see ip netns list; create it with: ip netns add x'],
    ['tunadm cannot do this; see tunadm --help', 'tunadm cannot do this; see tunadm --help'],
  ])('%s', (fix, want) => {
    expect(fixTextInNetns(fix, 'blue')).toBe(want)
    expect(fixTextInNetns(want, 'blue')).toBe(want) // twice is once
  })

  test('an error keeps its class, code and message; only the fix changes', () => {
    const e = new TunadmError('tun0 is in use', {code: 'EBUSY', fix: 'tunadm del --force tun0'})
    const n = errorInNetns(e, 'blue')
    expect(n).toBeInstanceOf(TunadmError)
    expect({code: n.code, message: n.message, fix: n.fix, exitCode: n.exitCode}).toEqual({code: 'EBUSY', message: 'tun0 is in use', fix: 'tunadm --netns blue del --force tun0', exitCode: 1})
    expect(errorInNetns(e, undefined)).toBe(e)
  })
})

describe('names that print as something else', () => {
  test('zero-width, bidi and other invisible characters are escaped like control characters', () => {
    expect(printable('ta\u200bp0')).toBe('ta\\u200bp0')
    expect(printable('tap\u202e0pat')).toBe('tap\\u202e0pat')
    expect(printable('\u2066x\u2069\ufeff\u00ad\u200d\u061c')).toBe('\\u2066x\\u2069\\ufeff\\xad\\u200d\\u061c')
    expect(printable('a\x1b[2Jb')).toBe('a\\x1b[2Jb')
    expect(printable('tap-é-ü-日本')).toBe('tap-é-ü-日本') // visible letters stay
    expect(printableLines('one\ntwo\u202e')).toBe('one\ntwo\\u202e')
  })
})

describe('changes read with names', () => {
  test('owner and group by name where the system has one, by number otherwise', () => {
    expect(namedChange({what: 'owner', from: 0, to: 65534})).toEqual({what: 'owner', from: 'root (0)', to: 'nobody (65534)'})
    expect(namedChange({what: 'group', from: null, to: 0})).toEqual({what: 'group', from: null, to: 'root (0)'})
    expect(namedChange({what: 'owner', from: 3999999, to: 0})).toEqual({what: 'owner', from: 3999999, to: 'root (0)'})
    expect(namedChange({what: 'mtu', from: 1500, to: 1400})).toEqual({what: 'mtu', from: 1500, to: 1400})
  })
})

describe('global flags before the command', () => {
  test.each([
    [['-n', 'blue', 'list'], ['list', '--netns', 'blue']],
    [['--json', '-n', 'x', 'show', 'tun0'], ['show', '--json', '--netns', 'x', 'tun0']],
    [['-j', 'apply', '-n'], ['apply', '--json', '-n']],
    [['-h'], ['--help']],
    [['-h', 'add'], ['add', '--help']],
    [['add', '-h'], ['add', '--help']],
    [['add', '--', '-h'], ['add', '--', '-h']],
    [['--netns=a', 'ls'], ['ls', '--netns=a']],
    [['-v'], ['-v']],
    [['list'], ['list']],
  ])('%j -> %j', (argv, want) => {
    expect(hoistGlobals(argv)).toEqual(want)
  })

  test('--json or -j before any --', () => {
    expect([wantsJson(['list', '-j']), wantsJson(['x', '--json']), wantsJson(['del', '--', '--json']), wantsJson(['list'])]).toEqual([true, true, false, false])
  })
})
