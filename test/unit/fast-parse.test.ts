/**
 * The fast path's parser against oclif's: for every argument list it takes, oclif's parser (with the
 * oclif flags the full path makes from the same definitions) must take it too and give the same flags,
 * arguments and argv; whatever it declines goes to oclif, so declining is always safe, and the common
 * forms must not be declined. Hand-picked lists, then random ones (fast-check, fixed seed).
 */
import fc from 'fast-check'
import {parse as oclifParse} from '@oclif/core/parser'
// eslint-disable-next-line @typescript-eslint/no-var-requires
const {aggregateFlags} = require('@oclif/core/util/aggregate-flags') as {aggregateFlags: (f: unknown, b: unknown, json: boolean) => Record<string, never>}
import {fastParse} from '../../src/cli/parse'
import {toOclif, TunadmCommandClass} from '../../src/cli/oclif'
import {HOT as FAST} from '../../src/fast'
import Doctor from '../../src/commands/doctor'

const HOT = {...FAST, doctor: Doctor}

type Outcome = {flags: Record<string, unknown>; args: Record<string, unknown>; argv: unknown[]}

async function viaOclif(C: TunadmCommandClass, argv: string[]): Promise<Outcome | Error> {
  const O = toOclif(C)
  try {
    const r = await oclifParse([...argv], {flags: aggregateFlags(O.flags, O.baseFlags, true), args: O.args, strict: O.strict, context: undefined})
    return {flags: r.flags, args: r.args, argv: r.argv}
  } catch (err) {
    return err as Error
  }
}

/** Drop undefined values: oclif leaves some keys present but undefined, which no command can tell apart. */
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))

async function agree(id: keyof typeof HOT, argv: string[]): Promise<'taken' | 'declined'> {
  const C = HOT[id] as unknown as TunadmCommandClass
  const fast = fastParse(argv, C)
  if (!fast) return 'declined'
  const full = await viaOclif(C, argv)
  expect({id, argv, full: full instanceof Error ? `oclif refused: ${full.message}` : {flags: defined(full.flags), args: defined(full.args), argv: full.argv}})
    .toEqual({id, argv, full: {flags: defined(fast.flags), args: defined(fast.args), argv: fast.argv}})
  return 'taken'
}

describe('fast parser', () => {
  test('takes the everyday forms, exactly as oclif reads them', async () => {
    const everyday: Array<[keyof typeof HOT, string[]]> = [
      ['add', ['tun77', '--user', 'waldner']],
      ['add', ['tap0', '-u', 'qemu', '--multi-queue', '--vnet-hdr']],
      ['add', ['-m', 'tap', '-q', '--group', 'kvm']],
      ['add', ['tap0', '--user=waldner', '--address', '192.168.0.1/24', '--promisc', '--up', '--json']],
      ['add', ['tun0', '--netns', 'blue', '--address', '10.0.0.1/24', '10.0.0.2/24']],
      ['add', ['--address', '10.0.0.1/24', 'tun9']], // oclif's greedy rule: tun9 is an address
      ['add', ['tun1', '--mtu', '1400', '--qlen', '100', '--no-arp', '--no-multicast']],
      ['add', ['tun1', '--any-user']],
      ['del', ['tun77']],
      ['del', ['tap0', 'tap1', '--if-exists', '-f']],
      ['list', []], ['list', ['--json']], ['list', ['-a', '-p']],
      ['show', ['tun77']], ['show', ['tun77', '--json', '--netns', 'x']],
      ['set', ['tap0', '--mtu', '1300']],
      ['set', ['tap0', '--address', '10.77.0.1/32', '--peer', '10.77.0.2', '--up']],
      ['set', ['tap0', '--route', '10.9.0.0/16 via 10.99.0.1', '--dry-run']],
      ['apply', []], ['apply', ['--config', '/etc/tunadm.yaml', '--prune', '--dry-run']],
      ['down', ['--wait', '5']], ['down', ['--json']],
      ['del', ['--netns', 'b', 'a', 'b']], ['del', ['a', 'b', 'a']], ['doctor', ['-u', 'tun1', 'tun0', 'tun1']], ['del', ['--if-exists', 'x', '--netns', 'x', 'y']],
      ['list', ['-j', '-n', 'blue']], ['apply', ['-n', '-j']], ['show', ['tun1', '-n', 'x']],
      ['doctor', []], ['doctor', ['tun77', '--user', 'waldner']], ['doctor', ['--check', 'device.up', '--check', 'system', '--json']], ['doctor', ['-e', 'Cannot ioctl TUNSETIFF tun0: Operation not permitted']],
    ]
    for (const [id, argv] of everyday) expect(await agree(id, argv)).toBe('taken')
  })

  test('declines what oclif refuses or reads in its own way', async () => {
    const unusual: Array<[keyof typeof HOT, string[]]> = [
      ['add', ['tun1', '--bogus']], ['add', ['tun1', '--user']], ['add', ['tun1', '--mtu', 'big']], ['add', ['tun1', '--mtu', '-5']],
      ['add', ['tun1', '--user', 'a', '--user', 'b']], ['add', ['tun1', '--any-user', '--user', 'x']], ['add', ['tun1', '-qm', 'tap']],
      ['add', ['tun1', '--', '--up']], ['add', ['tun1', 'tun2']], ['add', ['tun1', '--up=yes']], ['add', ['tun1', '--mode', 'eth']],
      ['add', ['tun1', '--no-up']], ['add', ['tun1', '--user=']], ['del', []], ['show', []], ['show', ['a', 'b']],
      ['down', ['--wait', '1.5']], ['down', ['--wait', '-1']],
    ]
    for (const [id, argv] of unusual) expect(await agree(id, argv)).toBe('declined')
  })

  test('random argument lists: whatever it takes, oclif takes the same way', async () => {
    const words = ['tun1', 'tap0', '10.0.0.1/24', 'waldner', '0', '1400', 'tap', 'tun', 'x', '', '-', '--', '-5',
      '--user', '-u', '--group', '--mode', '-m', '--mtu', '--qlen', '--txqueuelen', '--address', '-a', '--route', '--up',
      '--down', '--no-arp', '--arp', '--promisc', '--no-promisc', '--json', '--netns', '-q', '-qm', '--force', '-f',
      '--if-exists', '--dry-run', '--config', '--prune', '--wait', '--any-user', '--user=root', '--mtu=1280', '--up=1',
      '--bogus', '--no-up', '-p', '-a', '--via', '--peer', '--rename', '--alias', '--check', '-c', '--explain', '--list-checks', 'device.up', '-j', '-n']
    const ids = Object.keys(HOT) as Array<keyof typeof HOT>
    let taken = 0
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ids), fc.array(fc.constantFrom(...words), {maxLength: 7}), async (id, argv) => {
      if ((await agree(id, argv)) === 'taken') taken++
    }), {seed: 20261202, numRuns: 1500})
    expect(taken).toBeGreaterThan(100)
  })
})
