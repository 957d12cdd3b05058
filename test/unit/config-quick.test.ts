/**
 * The loader reads an entry of the everyday shape (a plain name and IPv4 addresses, the rest from
 * defaults) without its setting-by-setting check (load.ts, Checker.quickDevice). Held here to the full
 * check: for every text, both give the same config (key order included) or the same problems, at the same
 * lines. Hand-picked texts, then random configs near the edge of the shape (fast-check, fixed seed).
 */
import fc from 'fast-check'
import {ConfigError, parseConfig} from '../../src/config/load'
import {isCanonicalIPv4Prefix} from '../../src/model/ip'
import {parsePrefixText} from '../../src/model/values'

/** What the loader answers: the config as JSON (key order kept), or the error's message (every problem, at its line). */
function outcome(text: string, full: boolean): string {
  try {
    return JSON.stringify(parseConfig(text, 'c.yaml', {full}))
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    return `error: ${err.message}`
  }
}

function expectSame(text: string): string {
  const quick = outcome(text, false)
  expect(quick).toBe(outcome(text, true))
  return quick
}

const DEFAULTS = [
  '', 'defaults: {mode: tap, user: 0, up: true}\n', 'defaults: {mode: tun, group: 0, mtu: 1400}\n',
  'defaults: {mode: tap, any_user: true}\n', 'defaults: {mode: tap, any_user: true, user: 0}\n', 'defaults: {mode: tap}\n',
  'defaults: {user: 0}\n', 'defaults: {mode: tap, user: 0, any_user: false, vnet_hdr: true, multi_queue: true}\n',
  'defaults: {mode: tap, user: 0, napi_frags: true}\n', 'defaults: {mode: tun, user: 0, napi: true, napi_frags: true}\n',
  'defaults: {mode: tap, user: 0, mac: "52:54:00:12:34:56"}\n', 'defaults: {mode: tap, user: 0, addresses: [10.0.0.1/24]}\n',
  'defaults: {mode: tapp, user: 0}\n', 'defaults: {mode: tap, user: 0, up: yes}\n', 'defaults: {mode: tap, user: 0, mtu: 1200, pi: true}\n',
  'defaults:\n  mode: tap\n  user: 0\n  txqueuelen: 500\n  promisc: false\n',
]

const GOOD_NAMES = ['tap0', 'b1', 'vm-12', 'br_lan.5', 'T.x']
const NAMES = [...GOOD_NAMES, 'tap{0..2}', 'a/b', 'x:y', 'abcdefghijklmnop', '.', '"tap9"', '0x10', 'true', 'tap%d', 'null']
const GOOD_ADDRESSES = ['10.0.0.1/24', '10.0.0.2/24', '192.168.1.1/32', '1.2.3.4/0', '10.200.0.1/16']
const ADDRESSES = [...GOOD_ADDRESSES, '10.0.0.01/24', '10.0.0.1/08', '10.0.0.1/33', '10.0.0.1', '"10.0.0.3/24"', 'fd00::1/64', '1.2.3.4/0', '255.255.255.255/32', '256.0.0.1/8', 'x']

describe('config entries of the everyday shape read without the full check', () => {
  it('gives what the full check gives for hand-picked files', () => {
    const texts = [
      'version: 1\ndefaults: {mode: tap, user: 0, up: true}\ndevices:\n  - {name: b0, addresses: [10.100.0.1/24]}\n  - {name: b1, addresses: [10.100.1.1/24]}\n',
      'version: 1\ndefaults: {mode: tap, user: 0}\ndevices:\n  - name: b0\n    addresses:\n      - 10.0.0.1/24\n      - 10.0.1.1/24\n  - name: b1\n',
      // The same address on two devices, twice on one, a name given twice: reported as the full check reports them.
      'version: 1\ndefaults: {mode: tap, user: 0}\ndevices:\n  - {name: b0, addresses: [10.0.0.1/24]}\n  - {name: b1, addresses: [10.0.0.1/16]}\n  - {name: b0}\n  - {name: b2, addresses: [10.0.9.1/24, 10.0.9.1/24]}\n',
      // Aliases and duplicate keys (the yaml package reads these).
      'version: 1\ndefaults: {mode: tap, user: 0}\ndevices:\n  - {name: &n b0, addresses: [10.0.0.1/24]}\n  - {name: *n}\n  - {name: b2, name: b3}\n',
      'version: 1\ndefaults: {mode: tap, user: 0}\ndevices:\n  - {name: b0, addresses: []}\n  - {name: b1, addresses: ~}\n  - {name: b2, addresses: 10.0.0.1/24}\n  - {name: b3, mode: tun}\n',
      'version: 1\ndefaults: {mode: tap, user: 0}\ndevices:\n  - {name: b0, addresses: [10.0.0.1/24, fd00::1/64]}\n  - {name: b1, addresses: [10.0.0.2/24, [1]]}\n  - {name: b2, <<: {mode: tun}}\n',
    ]
    expect(expectSame(texts[0])).toContain('"addresses":["10.100.1.1/24"]')
    for (const t of texts.slice(1)) expectSame(t)
  })

  it('gives what the full check gives for random files near the edge of the shape', () => {
    let valid = 0
    const entry = fc.record({
      // Mostly good, so that most files are valid and a difference in the config itself shows.
      name: fc.option(fc.oneof({weight: 6, arbitrary: fc.constantFrom(...GOOD_NAMES)}, {weight: 1, arbitrary: fc.constantFrom(...NAMES)}), {nil: undefined, freq: 8}),
      addresses: fc.option(fc.array(fc.oneof({weight: 8, arbitrary: fc.constantFrom(...GOOD_ADDRESSES)}, {weight: 1, arbitrary: fc.constantFrom(...ADDRESSES)}), {maxLength: 3}), {nil: undefined, freq: 4}),
      extra: fc.oneof({weight: 6, arbitrary: fc.constant('')}, {weight: 1, arbitrary: fc.constantFrom(', up: false', ', mtu: 1500', ', name: b9', ', mode: tun', ', user: 1', ', any_user: true')}),
      block: fc.boolean(),
    })
    fc.assert(fc.property(fc.constantFrom(...DEFAULTS), fc.array(entry, {minLength: 1, maxLength: 4}), (defaults, entries) => {
      const lines = entries.map((e) => {
        const parts = [e.name === undefined ? '' : `name: ${e.name}`, e.addresses === undefined ? '' : `addresses: [${e.addresses.join(', ')}]`].filter(Boolean)
        if (!e.block) return `  - {${parts.join(', ')}${parts.length ? e.extra : e.extra.replace(/^, /, '')}}\n`
        const block = [...parts, ...(e.extra ? [e.extra.replace(/^, /, '')] : [])]
        return block.length ? `  - ${block.join('\n    ')}\n` : '  - {}\n'
      })
      if (!expectSame(`version: 1\n${defaults}devices:\n${lines.join('')}`).startsWith('error')) valid++
    }), {seed: 23, numRuns: 1000})
    expect(valid).toBeGreaterThan(80)
  })
})

describe('isCanonicalIPv4Prefix', () => {
  it('holds exactly the IPv4 texts the loader writes back unchanged', () => {
    const octet = fc.oneof(fc.integer({min: 0, max: 300}).map(String), fc.constantFrom('00', '01', '010', '255', '256', '0'))
    const len = fc.oneof(fc.integer({min: 0, max: 40}).map(String), fc.constantFrom('00', '08', '032', ''))
    fc.assert(fc.property(fc.array(octet, {minLength: 3, maxLength: 5}), len, (parts, l) => {
      const text = `${parts.join('.')}${l === '' ? '' : `/${l}`}`
      const parsed = parsePrefixText(text, 'address')
      expect(isCanonicalIPv4Prefix(text)).toBe('value' in parsed && parsed.value === text)
    }), {seed: 23, numRuns: 2000})
  })
})
