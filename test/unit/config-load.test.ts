/** The config loader: valid files parse to the shared model; every malformed kind is reported at FILE:LINE:COL. */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {ConfigError, loadConfig, parseConfig} from '../../src/config/load'
import {expandName} from '../../src/config/range'
import {closestKey, DEVICE_KEYS} from '../../src/config/keys'

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'config', 'rich.yaml')

/** The problems of a config as "LINE:COL: message" strings (the file name is "t.yaml"). */
function problems(text: string): string[] {
  try {
    parseConfig(text, 't.yaml')
  } catch (err) {
    const e = err as ConfigError
    expect(e.code).toBe('INVALID_CONFIG')
    expect(e.exitCode).toBe(2)
    return e.problems.map((p) => `${p.line}:${p.col}: ${p.message}`)
  }
  throw new Error('the config was accepted')
}

const dev = (body: string) => `version: 1\ndevices:\n  - name: tap0\n    mode: tap\n${body}`

describe('valid configs', () => {
  test('the rich sample parses to the model, ranges expanded and defaults merged', () => {
    const cfg = loadConfig(FIXTURE)
    expect(cfg.version).toBe(1)
    expect(cfg.source).toBe(FIXTURE)
    expect(cfg.devices.map((d) => d.name)).toEqual(['tun0', 'tap-web', 'vm0', 'vm1', 'vm2', 'tun-lab'])
    expect(cfg.devices[0]).toEqual({
      name: 'tun0', mode: 'tun', user: 'nobody', mtu: 1400, up: true,
      addresses: ['10.8.0.1/32', 'fd00:8::1/64'], peer: '10.8.0.2/32',
      routes: [{to: '10.20.0.0/16', via: '10.8.0.2', metric: 50}, {to: 'fd00:20::/48'}],
    })
    expect(cfg.devices[1]).toMatchObject({user: 65534, group: 'nogroup', mac: 'fe:54:00:12:34:56', txqueuelen: 1000, master: 'br0'})
    expect(cfg.devices[3]).toEqual({name: 'vm1', mode: 'tap', group: 0, vnet_hdr: true, multi_queue: true, up: false})
    expect(cfg.devices[5]).toMatchObject({any_user: true, pi: true, arp: false, multicast: false, promisc: true, allmulti: true, up: true})
  })

  test('an empty device list is valid; numeric strings become ids; any_user: false is dropped', () => {
    expect(parseConfig('version: 1\ndevices: []\n', 'x').devices).toEqual([])
    expect(parseConfig('version: 1\ndevices:\n', 'x').devices).toEqual([])
    const cfg = parseConfig('version: 1\ndevices:\n  - {name: tun1, mode: tun, user: "1000", group: 5, any_user: false}\n', 'x')
    expect(cfg.devices[0]).toEqual({name: 'tun1', mode: 'tun', user: 1000, group: 5})
  })

  test('ownership is inherited from defaults as a whole', () => {
    const cfg = parseConfig(`version: 1
defaults: {mode: tap, group: kvm}
devices:
  - name: tap0
  - name: tap1
    any_user: true
  - name: tap2
    user: qemu
`, 'x')
    expect(cfg.devices.map((d) => [d.user, d.group, d.any_user])).toEqual([[undefined, 'kvm', undefined], [undefined, undefined, true], ['qemu', undefined, undefined]])
  })

  test('master: in an entry, or for every device from defaults', () => {
    const cfg = parseConfig('version: 1\ndefaults: {master: br0, group: kvm}\ndevices:\n  - {name: "tap{0..1}", mode: tap}\n  - {name: tap9, mode: tap, master: br1}\n', 't.yaml')
    expect(cfg.devices.map((d) => [d.name, d.master])).toEqual([['tap0', 'br0'], ['tap1', 'br0'], ['tap9', 'br1']])
  })

  test('YAML anchors and aliases work', () => {
    const cfg = parseConfig(`version: 1
devices:
  - &base {name: tap0, mode: tap, group: kvm}
  - {name: tap1, mode: tap, group: kvm, addresses: &a [10.0.0.1/24]}
`, 'x')
    expect(cfg.devices).toHaveLength(2)
  })

  test('an alias stands for the last node anchored with its name before it, as the YAML library resolves it', () => {
    const text = `version: 1
devices:
  - {name: t1, mode: tun, user: nobody, mtu: &m 1400}
  - {name: t2, mode: tun, user: nobody, mtu: *m}
  - {name: t3, mode: tun, user: nobody, mtu: &m 1300}
  - &d {name: t4, mode: tun, user: nobody, mtu: *m}
`
    expect(parseConfig(text, 'x').devices.map((d) => [d.name, d.mtu])).toEqual([['t1', 1400], ['t2', 1400], ['t3', 1300], ['t4', 1300]])
    // The library's own reading of the same file agrees.
    const lib = (require('yaml') as typeof import('yaml')).parse(text) as {devices: {mtu: number}[]}
    expect(lib.devices.map((d) => d.mtu)).toEqual([1400, 1400, 1300, 1300])
    // An alias with no anchor before it stands for nothing.
    expect(() => parseConfig(`${text}  - *nosuch\n`, 'x')).toThrow('a device entry is not a mapping')
  })

  test('loadConfig: a missing file is a usage error naming --config', () => {
    expect(() => loadConfig('/nonexistent/tunadm.yaml')).toThrow(expect.objectContaining({code: 'NO_CONFIG', exitCode: 2}))
  })
})

describe('ranges', () => {
  test('expand, with zero padding as in the shell', () => {
    expect(expandName('tap{0..3}').names).toEqual(['tap0', 'tap1', 'tap2', 'tap3'])
    expect(expandName('vm{08..10}x').names).toEqual(['vm08x', 'vm09x', 'vm10x'])
    expect(expandName('tap0')).toEqual({names: ['tap0'], isRange: false})
    expect(expandName('tap{0..4095}').names).toHaveLength(4096)
  })
  test.each([
    ['tap{3..1}', 'counts down'],
    ['tap{0..4096}', 'makes 4097 devices; at most 4096'],
    ['tap{0..1}{0..1}', 'more than one range'],
    ['tap{a..b}', 'not a valid range'],
    ['tap{0..}', 'not a valid range'],
  ])('rejects %s', (p, msg) => expect(() => expandName(p)).toThrow(msg))
})

describe('malformed configs: every problem at its line and column', () => {
  test.each<[string, string, string]>([
    ['not YAML', 'version: 1\ndevices: [\n', '3:1: '],
    ['a duplicate key', 'version: 1\nversion: 1\ndevices: []\n', '2:1: this key appears twice'],
    ['an empty file', '', '1:1: the file is empty'],
    ['a list at the top', '- a\n', '1:1: the file is not a mapping'],
    ['no version', 'devices: []\n', '1:1: version is missing'],
    ['version 2', 'version: 2\ndevices: []\n', '1:10: unsupported version 2; expected version: 1'],
    ['an id that is a path', 'version: 1\nid: /etc/x\ndevices: []\n', '2:5: id "/etc/x" is not valid; expected 1 to 64 letters, digits and . _ @ + -'],
    ['an id YAML reads as a number', 'version: 1\nid: 12\ndevices: []\n', '2:5: id is not text; expected a name such as id: vmhost'],
    ['a link group iproute2 cannot read', 'version: 1\nlink_group: 2147483648\ndevices: []\n', '2:13: link_group 2147483648 is out of range; expected a whole number from 1 to 2147483647'],
    ['no devices', 'version: 1\n', '1:1: devices is missing'],
    ['devices not a list', 'version: 1\ndevices: {a: 1}\n', '2:10: devices is not a list'],
    ['an unknown top-level key', 'version: 1\ndevice: []\ndevices: []\n', '2:1: unknown top-level key "device"; expected "devices"?'],
    ['an unknown device key, with a suggestion', dev('    vnet-hdr: true\n    group: kvm\n'), '5:5: unknown device key "vnet-hdr"; expected "vnet_hdr"?'],
    ['an alias of another tool', dev('    owner: qemu\n    group: kvm\n'), '5:5: unknown device key "owner"; expected "user"?'],
    ['a string where a boolean goes', dev('    group: kvm\n    pi: yes\n'), '6:9: pi is not true or false (YAML 1.2 reads yes as text)'],
    ['no name', 'version: 1\ndevices:\n  - mode: tap\n    group: kvm\n', '3:5: the device entry has no name'],
    ['a name too long', 'version: 1\ndevices:\n  - name: abcdefghijklmnop\n    mode: tap\n    group: kvm\n', '3:11: the device name "abcdefghijklmnop" is 16 bytes long; the kernel allows at most 15'],
    ['a name with a slash', 'version: 1\ndevices:\n  - name: a/b\n    mode: tap\n    group: kvm\n', '3:11: the device name "a/b" contains "/"'],
    ['a range with a bad name', 'version: 1\ndevices:\n  - name: "abcdefghijklmn{9..10}"\n    mode: tap\n    group: kvm\n', '3:11: in range abcdefghijklmn{9..10}: the device name "abcdefghijklmn10" is 16 bytes long'],
    ['an absurd range', 'version: 1\ndevices:\n  - name: "tap{0..99999}"\n    mode: tap\n    group: kvm\n', '3:11: the range {0..99999} makes 100000 devices; at most 4096 per entry'],
    ['no mode', 'version: 1\ndevices:\n  - name: tap0\n    group: kvm\n', '3:5: device tap0 has no mode; expected mode: tun or mode: tap'],
    ['a bad mode', 'version: 1\ndevices:\n  - name: tap0\n    mode: ethernet\n    group: kvm\n', '4:11: mode "ethernet"; expected tun'],
    ['no owner', dev(''), '3:5: device tap0 has no owner; expected user: NAME|UID and/or group: NAME|GID, or any_user: true'],
    ['a master that is not a name', dev('    group: kvm\n    master: 7\n'), '6:13: master is not a device name; expected the name of a bridge, bond or vrf, e.g. master: br0'],
    ['a master name with a space', dev('    group: kvm\n    master: "br 0"\n'), '6:13: master "br 0" is not a valid device name'],
    ['an owner and any_user', dev('    user: qemu\n    any_user: true\n'), '6:15: device tap0 has any_user: true together with user or group'],
    ['a uid out of range', dev('    user: 4294967295\n'), '5:11: user id 4294967295 is out of range'],
    ['a negative gid', dev('    group: -1\n'), '5:12: group id -1 is out of range'],
    ['a junk user name', dev('    user: "a b"\n'), '5:11: user "a b" is not a valid user name'],
    ['a bad MAC', dev('    group: kvm\n    mac: "52:54:00:12:34"\n'), '6:10: mac is not a MAC address'],
    ['a multicast MAC', dev('    group: kvm\n    mac: "01:00:5e:00:00:01"\n'), '6:10: mac 01:00:5e:00:00:01 is a multicast address'],
    ['an all-zero MAC', dev('    group: kvm\n    mac: "00:00:00:00:00:00"\n'), '6:10: mac 00:00:00:00:00:00 is not a usable address'],
    ['a MAC on tun', 'version: 1\ndevices:\n  - name: tun0\n    mode: tun\n    group: kvm\n    mac: "52:54:00:12:34:56"\n', '6:10: device tun0 is a TUN device, which has no MAC address'],
    ['a MAC on a range', 'version: 1\ndevices:\n  - name: "tap{0..1}"\n    mode: tap\n    group: kvm\n    mac: "52:54:00:12:34:56"\n', '6:10: range tap{0..1} would give one MAC to 2 devices'],
    ['an MTU too small', dev('    group: kvm\n    mtu: 67\n'), '6:10: mtu 67 is out of range; expected a whole number from 68 to 65535'],
    ['an MTU as text', dev('    group: kvm\n    mtu: big\n'), '6:10: mtu "big" is out of range'],
    ['an IPv6 address under MTU 1280', dev('    group: kvm\n    mtu: 1000\n    addresses: ["fd00::1/64"]\n'), '6:10: MTU 1000 is below 1280, where the kernel turns IPv6 off'],
    ['txqueuelen negative', dev('    group: kvm\n    txqueuelen: -1\n'), '6:17: txqueuelen -1 is out of range'],
    ['addresses not a list', dev('    group: kvm\n    addresses: 10.0.0.1/24\n'), '6:16: addresses is not a list'],
    ['an address without a prefix', dev('    group: kvm\n    addresses: [10.0.0.1]\n'), '6:17: address "10.0.0.1" has no prefix length; expected add one, e.g. 10.0.0.1/24'],
    ['an address that is not one', dev('    group: kvm\n    addresses: [10.0.0.300/24]\n'), '6:17: address "10.0.0.300/24" is not an address with a prefix length'],
    ['a prefix too long', dev('    group: kvm\n    addresses: ["fd00::1/129"]\n'), '6:17: address "fd00::1/129" has prefix length "129"; IPv6 allows 0 to 128'],
    ['a duplicate address', dev('    group: kvm\n    addresses: [10.0.0.1/24, 10.0.0.1/24]\n'), '6:30: address 10.0.0.1/24 is listed twice'],
    ['a peer on tap', dev('    group: kvm\n    addresses: [10.0.0.1/32]\n    peer: 10.0.0.2\n'), '7:11: device tap0 is a TAP device, and a peer is for point-to-point TUN devices'],
    ['a peer without an address', 'version: 1\ndevices:\n  - name: tun0\n    mode: tun\n    group: kvm\n    peer: 10.0.0.2\n', '6:11: peer 10.0.0.2 needs exactly one IPv4 address on device tun0'],
    ['a peer with a subnet address', 'version: 1\ndevices:\n  - name: tun0\n    mode: tun\n    group: kvm\n    addresses: [10.0.0.1/24]\n    peer: 10.0.0.2\n', '7:11: with a peer, the local address 10.0.0.1/24 of device tun0 must be a single host; expected 10.0.0.1/32'],
    ['routes not a list', dev('    group: kvm\n    up: true\n    routes: 10.0.0.0/8\n'), '7:13: routes is not a list'],
    ['a route without to', dev('    group: kvm\n    up: true\n    routes:\n      - via: 10.0.0.1\n'), '8:9: the route has no destination'],
    ['a route with an unknown key', dev('    group: kvm\n    up: true\n    routes:\n      - {to: 10.0.0.0/8, gw: 10.0.0.1}\n'), '8:26: unknown route key "gw"'],
    ['a route with host bits', dev('    group: kvm\n    up: true\n    routes:\n      - to: 10.1.2.3/16\n'), '8:13: route destination 10.1.2.3/16 has host bits set; expected the network address, 10.1.0.0/16'],
    ['a gateway of the other family', dev('    group: kvm\n    up: true\n    addresses: [10.0.0.1/24]\n    routes:\n      - {to: 10.1.0.0/16, via: "fd00::1"}\n'), '9:32: gateway fd00::1 is IPv6 but the destination 10.1.0.0/16 is IPv4'],
    ['a gateway off the device', dev('    group: kvm\n    up: true\n    addresses: [10.0.0.1/24]\n    routes:\n      - {to: 10.1.0.0/16, via: 10.9.0.1}\n'), '9:9: the gateway 10.9.0.1 of the route to 10.1.0.0/16 is not on device tap0'],
    ['a bad metric', dev('    group: kvm\n    up: true\n    routes:\n      - {to: 10.1.0.0/16, metric: -5}\n'), '8:35: metric -5 is out of range'],
    ['routes without up', dev('    group: kvm\n    routes:\n      - to: 10.1.0.0/16\n'), '6:5: device tap0 would have routes but not be up'],
    ['addresses on a range', 'version: 1\ndevices:\n  - name: "tap{0..1}"\n    mode: tap\n    group: kvm\n    addresses: [10.0.0.1/24]\n', '6:5: range tap{0..1} would give the same addresses to 2 devices'],
    ['a name declared twice after expansion', 'version: 1\ndefaults: {mode: tap, group: kvm}\ndevices:\n  - name: "tap{0..3}"\n  - name: tap2\n', '5:11: device tap2 is declared twice (first at line 4)'],
    ['one address on two devices', 'version: 1\ndefaults: {mode: tap, group: kvm}\ndevices:\n  - {name: tap0, addresses: [10.0.0.1/24]}\n  - {name: tap1, addresses: [10.0.0.1/16]}\n', '5:12: address 10.0.0.1 is on both tap0 and tap1'],
    ['a default that must be per device', 'version: 1\ndefaults: {mac: "52:54:00:00:00:01"}\ndevices: []\n', '2:12: mac cannot be a default'],
    ['an unknown default', 'version: 1\ndefaults: {grup: kvm}\ndevices: []\n', '2:12: unknown key in defaults "grup"; expected "group"?'],
    ['a device that is not a mapping', 'version: 1\ndevices:\n  - tap0\n', '3:5: a device entry is not a mapping'],
  ])('%s', (_what, text, expected) => {
    const found = problems(text)
    if (!found.some((p) => p.startsWith(expected))) expect(found).toContain(expected)
  })

  test('several problems are reported at once, in file order, with the file name', () => {
    let err: ConfigError | undefined
    try {
      parseConfig('version: 1\ndevices:\n  - name: tap0\n    mode: tap\n    group: kvm\n    mtu: 1\n  - name: "a b"\n    mode: tun\n    user: root\n    up: maybe\n', '/etc/tunadm/x.yaml')
    } catch (e) {
      err = e as ConfigError
    }
    expect(err?.problems.map((p) => [p.line, p.col])).toEqual([[6, 10], [7, 11], [10, 9]])
    expect(err?.message.split('\n')[0]).toBe('3 problems in /etc/tunadm/x.yaml:')
    expect(err?.message.split('\n')[1]).toMatch(/^\/etc\/tunadm\/x\.yaml:6:10: mtu 1 is out of range/)
    expect(JSON.parse(JSON.stringify(err)).problems).toHaveLength(3)
  })
})

describe('key suggestions', () => {
  test.each([['multiqueue', 'multi_queue'], ['MTU', 'mtu'], ['addrs', undefined], ['adresses', 'addresses'], ['xyzzy', undefined]])('%s -> %s', (typed, want) => {
    expect(closestKey(typed, DEVICE_KEYS)).toBe(want)
  })
})

describe('loadConfig reads files', () => {
  test('a file with problems names itself in every line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-cfg-'))
    const file = path.join(dir, 'bad.yaml')
    fs.writeFileSync(file, 'version: 1\ndevices:\n  - name: tap0\n    mode: tap\n')
    expect(() => loadConfig(file)).toThrow(`${file}:3:5: device tap0 has no owner`)
    fs.rmSync(dir, {recursive: true})
  })
})
