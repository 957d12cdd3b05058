/**
 * The list path's per-device pieces, rewritten for speed (indexed loops, work done once per registry or
 * flags value), held to what they printed before: the table against the plain formula it replaced, over
 * random cells (colour codes, empty and ragged rows); the device view's fields and their JSON order.
 */
import fc from 'fast-check'
import * as C from '../../src/kernel/constants'
import {Link} from '../../src/kernel/netlink-codec'
import {flagNames, toDevice} from '../../src/services/links'
import {IFF_NAPI, IFF_NAPI_FRAGS, IFF_NO_PI, IFF_TAP, IFF_TUN, IFF_VNET_HDR} from '../../src/model/settings'
import {table, visibleLength} from '../../src/render/style'
import {tunFlagText} from '../../src/render/devices'

// The accounts of a fixed system: libc's struct can be defined only once per jest worker, and another test
// file in the same worker may have done it (the real look-up goes through libc, which the kernel tests exercise).
jest.mock('../../src/system/accounts', () => ({
  userName: (id: number) => ({0: 'root', 65534: 'nobody'} as Record<number, string>)[id],
  groupName: (id: number) => ({0: 'root', 65534: 'nogroup'} as Record<number, string>)[id],
}))

/** The table as it was written before: columns padded to the widest cell, two spaces apart, lines trimmed. */
function reference(headers: string[], rows: string[][], bold: (s: string) => string): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - visibleLength(c)))).join('  ').trimEnd()
  return [bold(line(headers)), ...rows.map(line)].join('\n')
}

describe('list table', () => {
  test('the same text as the formula it replaced, for any cells', () => {
    const cell = fc.oneof(
      fc.string({maxLength: 12}),
      fc.constantFrom('', ' ', '-', 'any user', 'up, no-carrier', '\x1b[33mdown\x1b[39m', 'a  ', '\x1b[1m\x1b[22m'),
    )
    const bold = (s: string) => `\x1b[1m${s}\x1b[22m`
    fc.assert(fc.property(
      fc.array(fc.string({minLength: 1, maxLength: 8}), {minLength: 1, maxLength: 6}),
      fc.array(fc.array(cell, {maxLength: 8}), {maxLength: 12}),
      fc.boolean(),
      (headers, rows, coloured) => {
        const st = coloured ? {ok: (s: string) => s, warn: (s: string) => s, bad: (s: string) => s, dim: (s: string) => s, bold} : undefined
        expect(table(headers, rows, st)).toBe(reference(headers, rows, coloured ? bold : (s) => s))
      },
    ), {seed: 23, numRuns: 400})
  })

  test('a list of 1000 rows: one line each, columns aligned', () => {
    const rows = Array.from({length: 1000}, (_, i) => [`tap${i}`, 'tap', 'root', '-'])
    const lines = table(['NAME', 'MODE', 'OWNER', 'GROUP'], rows).split('\n')
    expect(lines).toHaveLength(1001)
    expect(lines[0]).toBe('NAME    MODE  OWNER  GROUP')
    expect(lines[1000]).toBe('tap999  tap   root   -')
  })
})

function tunLink(over: Partial<Link> & {tun?: Partial<NonNullable<Link['tun']>>} = {}): Link {
  const {tun, ...rest} = over
  return {
    index: 7, name: 'tap7', flags: C.IFF_UP | C.IFF_BROADCAST | C.IFF_MULTICAST, hwType: 1, mtu: 1500, minMtu: 68, maxMtu: 65521,
    txqlen: 1000, mac: '02:00:5e:10:00:01', operstate: 'down', carrier: false, kind: 'tun',
    tun: {type: 'tap', owner: 0, pi: false, vnetHdr: true, persist: true, multiQueue: false, ...tun},
    ...rest,
  }
}

describe('device view', () => {
  test('fields in the order JSON shows them, the sysfs flags after multiQueue', () => {
    const d = toDevice(tunLink(), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_NAPI)
    expect(Object.keys(d)).toEqual([
      'name', 'index', 'mode', 'pi', 'vnetHdr', 'multiQueue', 'napi', 'napiFrags', 'persist', 'owner', 'group',
      'anyUserMayAttach', 'up', 'carrier', 'operstate', 'flags', 'mtu', 'minMtu', 'maxMtu', 'txqueuelen', 'queues',
      'disabledQueues', 'alias', 'mac', 'master',
    ])
    expect(JSON.parse(JSON.stringify(d))).toEqual({
      name: 'tap7', index: 7, mode: 'tap', pi: false, vnetHdr: true, multiQueue: false, napi: true, napiFrags: false, persist: true,
      owner: {id: 0, name: 'root'}, group: null, anyUserMayAttach: false, up: true, carrier: false, operstate: 'down',
      flags: ['up', 'broadcast', 'multicast'], mtu: 1500, minMtu: 68, maxMtu: 65521, txqueuelen: 1000, mac: '02:00:5e:10:00:01', master: null,
    })
    expect(tunFlagText(d)).toBe('vnet_hdr,napi,persist')
  })

  test('napi unknown without tun_flags, or when they disagree with netlink (another namespace\'s device of that name)', () => {
    for (const flags of [undefined, IFF_TUN | IFF_NAPI, IFF_TAP | IFF_NAPI | IFF_NAPI_FRAGS]) {
      const d = toDevice(tunLink(), flags)
      expect(d.napi).toBeUndefined()
      expect(d.napiFrags).toBeUndefined()
      expect(JSON.stringify(d)).not.toMatch(/napi/)
      expect(tunFlagText(d)).toBe('vnet_hdr,persist')
    }
  })

  test('each device its own flag names (the names of a flags value are worked out once)', () => {
    const a = flagNames(C.IFF_UP | C.IFF_LOWER_UP)
    a.push('changed')
    expect(flagNames(C.IFF_UP | C.IFF_LOWER_UP)).toEqual(['up', 'lower_up'])
    expect(flagNames(0)).toEqual([])
  })
})
