/**
 * tunadm import: the files tunadm's own init writes come back as the config they were made from, and
 * hand-written files in the styles of the tools' documentation give the devices they describe, with every
 * line that cannot be translated reported at its FILE:LINE.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {loadConfig, parseConfig} from '../../src/config/load'
import {DeviceConfig, TunadmConfig} from '../../src/config/types'
import {expandName} from '../../src/config/range'
import {importFiles} from '../../src/migrate/import'
import {collapseRanges} from '../../src/migrate/ranges'
import {renderYaml, yamlScalar} from '../../src/migrate/emit'
import {splitCommands} from '../../src/migrate/shell'

const ROOT = path.resolve(__dirname, '..', '..')
const GOLDEN = path.join(ROOT, 'test', 'golden')
const FIX = path.join(ROOT, 'test', 'fixtures', 'import')
const rel = (p: string) => path.relative(ROOT, p)

/** The devices of a config, with what the file said (the loader's view), without where it came from. */
const devicesOf = (c: TunadmConfig): DeviceConfig[] => c.devices
const loaded = (yaml: string) => parseConfig(yaml, 'imported.yaml')

function imported(files: string[]) {
  const r = importFiles(files)
  return {...r, config: loaded(r.yaml)}
}

const found = (r: ReturnType<typeof importFiles>) => r.untranslated.map((f) => `${rel(f.file)}:${f.line}: ${f.message}`)

describe('import of what tunadm init writes gives back the config', () => {
  const rich = loadConfig(path.join(ROOT, 'test', 'fixtures', 'config', 'rich.yaml'))

  test('networkd (.netdev, .network, .link)', () => {
    const dir = path.join(GOLDEN, 'networkd')
    const files = fs.readdirSync(dir).filter((f) => f !== 'SUMMARY.txt').map((f) => path.join(dir, f))
    const r = imported(files)
    expect(r.untranslated).toEqual([])
    expect(r.skipped).toEqual([])
    // networkd reads the files in name order; the config's order is the file's.
    const byName = (a: DeviceConfig, b: DeviceConfig) => (a.name < b.name ? -1 : 1)
    expect([...devicesOf(r.config)].sort(byName)).toEqual([...devicesOf(rich)].sort(byName))
    expect(r.yaml).toContain('name: "vm{0..2}"')
  })

  test('ifupdown', () => {
    const r = imported([path.join(GOLDEN, 'ifupdown', 'tunadm')])
    expect(r.untranslated).toEqual([])
    expect(devicesOf(r.config)).toEqual(devicesOf(rich))
  })

  test('NetworkManager: the same, with owner and group as the numbers NetworkManager stores, and every device up', () => {
    const nm = loadConfig(path.join(ROOT, 'test', 'fixtures', 'config', 'nm.yaml'))
    const dir = path.join(GOLDEN, 'nm')
    const r = imported(fs.readdirSync(dir).filter((f) => f.endsWith('.nmconnection')).map((f) => path.join(dir, f)))
    expect(r.untranslated).toEqual([])
    const ids: Record<string, number> = {nobody: 65534, nogroup: 65534}
    const expected = devicesOf(nm).map((d) => ({
      ...d, up: true,
      ...(d.user !== undefined ? {user: ids[d.user] ?? d.user} : {}),
      ...(d.group !== undefined ? {group: ids[d.group] ?? d.group} : {}),
    }))
    const byName = (a: DeviceConfig, b: DeviceConfig) => (a.name < b.name ? -1 : 1)
    // NetworkManager keeps IPv4 and IPv6 routes apart; their order says nothing.
    const routesSorted = (d: DeviceConfig) => (d.routes ? {...d, routes: [...d.routes].sort((a, b) => (a.to < b.to ? -1 : 1))} : d)
    expect(devicesOf(r.config).map(routesSorted).sort(byName)).toEqual(expected.map(routesSorted).sort(byName))
  })

  test('the standalone sysv script is a shell program with variables: reported, never guessed', () => {
    const r = importFiles([path.join(GOLDEN, 'sysv-standalone', 'tunadm')])
    expect(r.devices).toEqual([])
    expect(r.untranslated.length).toBeGreaterThan(0)
    expect(r.untranslated[0].message).toMatch(/a value the shell computes/)
  })
})

describe('hand-written files in the tools\' own styles', () => {
  test('systemd-networkd: netdev, the first matching network, the link; a bridge and DHCP are not guessed', () => {
    const r = imported([path.join(FIX, 'networkd')])
    expect(r.config.devices).toEqual([
      {
        name: 'tap-vm', mode: 'tap', user: 'nobody', group: 'kvm', vnet_hdr: true, multi_queue: true, mac: '02:00:00:aa:bb:01',
        mtu: 9000, txqueuelen: 2000, up: true, addresses: ['192.168.50.1/24', 'fd00:50::1/64'],
        routes: [{to: '10.60.0.0/16', via: '192.168.50.254', metric: 100}], master: 'br-lan',
      },
      {name: 'tun-vpn', mode: 'tun', any_user: true},
    ])
    expect(found(r)).toEqual(expect.arrayContaining([
      'test/fixtures/import/networkd/25-tap-vm.network:13: [Network] DNS=192.168.50.53: tunadm has no setting for this',
      'test/fixtures/import/networkd/30-vpn.network:8: [Network] DHCP=yes: tunadm has no setting for this',
      'test/fixtures/import/networkd/30-vpn.network:5: ActivationPolicy=manual: tunadm sets a device up or down, or leaves it as it is',
    ]))
    expect(r.skipped.map((f) => `${path.basename(f.file)}:${f.line}`)).toEqual(['10-br-lan.netdev:3'])
  })

  test('NetworkManager keyfiles as nmcli writes them', () => {
    const r = imported([path.join(FIX, 'nm')])
    expect(r.config.devices).toEqual([
      {name: 'tap1', mode: 'tap', group: 110, multi_queue: true, mtu: 1450, up: true, master: 'br0'},
      {name: 'tun0', mode: 'tun', user: 1000, pi: true, up: true, addresses: ['10.0.0.1/24']},
    ])
    expect(found(r)).toEqual(expect.arrayContaining([
      'test/fixtures/import/nm/tap-port.nmconnection:8: autoconnect=false: NetworkManager creates tap1 only when someone activates the connection; tunadm apply creates it every time',
      'test/fixtures/import/nm/tap-port.nmconnection:16: cloned-mac-address=random: NetworkManager makes this MAC address up at activation; tunadm sets a fixed one (mac:) or leaves the kernel\'s',
      'test/fixtures/import/nm/tun0.nmconnection:18: [ipv6] method=auto: NetworkManager configures this address itself (DHCP, autoconfiguration or sharing); tunadm sets fixed addresses only',
    ]))
    expect(r.skipped.map((f) => path.basename(f.file))).toEqual(['eth0.nmconnection'])
  })

  test('ifupdown: hooks, tunctl_user, static with pointopoint, sourced files, stanzas that are not auto', () => {
    const r = imported([path.join(FIX, 'ifupdown', 'interfaces')])
    expect(r.config.devices).toEqual([
      {name: 'tun1', mode: 'tun', user: 'nobody', up: true, addresses: ['10.9.0.1/32'], peer: '10.9.0.2/32', routes: [{to: '10.90.0.0/16'}]},
      {name: 'tun2', mode: 'tun', any_user: true, up: true},
      {name: 'tap0', mode: 'tap', user: 'root', up: true, addresses: ['192.168.1.121/24']},
      {name: 'tap1', mode: 'tap', user: 'alice', up: true, master: 'br0'},
      {name: 'tap2', mode: 'tap', user: 'bob', mtu: 1400, up: true},
    ])
    expect(found(r)).toEqual(expect.arrayContaining([
      'test/fixtures/import/ifupdown/interfaces.d/vpn:7: post-up sysctl -w net.ipv4.conf.tun1.rp_filter=0: a command tunadm does not know; it runs when ifupdown brings tun1 up',
      'test/fixtures/import/ifupdown/interfaces.d/vpn:11: iface tun2 inet dhcp: tunadm sets fixed addresses only (methods manual and static)',
      'test/fixtures/import/ifupdown/interfaces:24: tap2 is not marked auto or allow-hotplug: ifupdown creates it only on "ifup tap2"; tunadm apply creates it every time',
    ]))
  })

  test('rc.local: tunctl, ifconfig, brctl, ip, openvpn --mktun; a loop variable and a sysctl are reported', () => {
    const r = imported([path.join(FIX, 'scripts', 'rc.local')])
    expect(r.config.devices).toEqual([
      {name: 'tap0', mode: 'tap', user: 'alice', up: true, promisc: true, master: 'br0'},
      {
        name: 'tun5', mode: 'tun', user: 'bob', group: 'netdev', pi: true, mtu: 1400, up: true,
        addresses: ['10.5.0.1/24', 'fd00:5::1/64'], routes: [{to: '10.50.0.0/16', via: '10.5.0.254', metric: 20}],
      },
      {name: 'tap9', mode: 'tap', user: 'nobody', group: 'nogroup', mac: '02:11:22:33:44:55', up: true},
      {name: 'vm0', mode: 'tap', group: 'kvm', vnet_hdr: true},
      {name: 'vm1', mode: 'tap', group: 'kvm', vnet_hdr: true},
      {name: 'vm2', mode: 'tap', group: 'kvm', vnet_hdr: true, up: false},
    ])
    expect(r.yaml).toContain('name: "vm{0..1}"')
    const f = found(r)
    expect(f).toEqual(expect.arrayContaining([
      expect.stringMatching(/^test\/fixtures\/import\/scripts\/rc.local:18: ip tuntap add uses "tap1\$i", a value the shell computes/),
      expect.stringMatching(/^test\/fixtures\/import\/scripts\/rc.local:23: "sysctl -w net.ipv4.conf.tun5.forwarding=1" concerns tun5/),
      expect.stringMatching(/^test\/fixtures\/import\/scripts\/rc.local:24: "echo 1 > \/proc\/sys\/net\/ipv4\/conf\/tap0\/proxy_arp" concerns tap0/),
    ]))
    expect(r.skipped.map((s) => s.device)).toEqual(['eth0'])
  })
})

describe('what is not translated is reported, never guessed', () => {
  function script(text: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-import-'))
    const file = path.join(dir, 'rc.local')
    fs.writeFileSync(file, text)
    try {
      return imported([file])
    } finally {
      fs.rmSync(dir, {recursive: true})
    }
  }
  const messages = (r: ReturnType<typeof script>) => r.untranslated.map((f) => `${f.line}: ${f.message}`)

  test.each([
    ['ip tuntap add mode tap', /the kernel chooses it/],
    ['tunctl -u alice', /tunctl without -t/],
    ['openvpn --mktun --dev tun', /kernel chooses the name/],
    ['ip tuntap add tap0 mode tap\nip link set tap0 name vm-net', /a rename/],
    ['ip tuntap add tap0 mode tap\nip link set tap0 up\nip route add 10.1.0.0/16 via 10.0.0.1', /without dev/],
    ['ip tuntap add tap0', /has no mode/],
    ['ip -n other tuntap add tap0 mode tap', /another namespace/],
    ['ip tuntap add tun0 mode tun\nip addr add 10.0.0.1/24 dev tun0 valid_lft 60', /address option/],
  ])('%j', (text, message) => {
    const r = script(text)
    expect(messages(r).join('\n')).toMatch(message)
  })

  test('a MAC on a TUN device, routes through a device never set up, a second peer', () => {
    const r = script([
      'ip tuntap add tun0 mode tun user nobody',
      'ip link set tun0 address 02:00:00:00:00:01',
      'ip addr add 10.0.0.1 peer 10.0.0.2 dev tun0',
      'ip addr add 10.0.0.3 peer 10.0.0.4 dev tun0',
      'ip route add 10.9.0.0/16 dev tun0',
    ].join('\n'))
    expect(r.config.devices).toEqual([{name: 'tun0', mode: 'tun', user: 'nobody', addresses: ['10.0.0.1/32'], peer: '10.0.0.2/32'}])
    expect(messages(r)).toEqual([
      expect.stringMatching(/^2: a MAC address on tun0, a TUN device/),
      expect.stringMatching(/^4: 10.0.0.3\/32 peer 10.0.0.4\/32 on tun0: a tunadm device has one peer/),
      expect.stringMatching(/^5: route to 10.9.0.0\/16 via tun0, which these files do not set up/),
    ])
  })

  test('a device the loader refuses is left out, with the loader\'s reason', () => {
    const r = script('ip tuntap add tap0 mode tap user nobody\nip link set tap0 mtu 1000 up\nip addr add fd00::1/64 dev tap0')
    expect(r.config.devices).toEqual([])
    expect(messages(r).join('\n')).toMatch(/^1: tap0 is left out: .*MTU 1000 is below 1280/)
  })

  test('a later line of the same file wins; two files that disagree are reported', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-import-'))
    try {
      fs.writeFileSync(path.join(dir, 'a'), 'ip tuntap add tap0 mode tap\nip link set tap0 mtu 1400\nip link set tap0 mtu 1300\n')
      fs.writeFileSync(path.join(dir, 'b'), 'ip link set tap0 mtu 9000\n')
      const r = imported([path.join(dir, 'a'), path.join(dir, 'b')])
      expect(r.config.devices).toEqual([{name: 'tap0', mode: 'tap', any_user: true, mtu: 9000}])
      expect(r.untranslated.map((f) => f.message)).toEqual([expect.stringMatching(/^mtu of tap0 is 1300 in .*\/a:3 and 9000 here; kept 9000/)])
    } finally {
      fs.rmSync(dir, {recursive: true})
    }
  })

  test('a file that does not exist is an error (exit 2); a directory stands for its files', () => {
    expect(() => importFiles(['/nonexistent/rc.local'])).toThrow(expect.objectContaining({code: 'NO_FILE', exitCode: 2}))
    expect(() => importFiles([])).toThrow(expect.objectContaining({exitCode: 2}))
  })
})

describe('pieces', () => {
  test('ranges: runs of equal entries collapse, and expanding the range gives back exactly the names', () => {
    const names = ['tap0', 'tap1', 'tap2', 'tap4', 'vm08', 'vm09', 'vm10', 'x7', 'eth1a', 'eth2a']
    const entries = names.map((name) => ({name, mode: 'tap'}))
    const out = collapseRanges(entries)
    expect(out.map((e) => e.name)).toEqual(['tap{0..2}', 'tap4', 'vm{08..09}', 'vm10', 'x7', 'eth{1..2}a'])
    for (const e of out) expect(expandName(e.name).names).toEqual(e.members ?? [e.name])
    // Different settings, or a setting that must differ per device, keep them apart.
    expect(collapseRanges([{name: 'tap0', mtu: 1}, {name: 'tap1', mtu: 2}]).map((e) => e.name)).toEqual(['tap0', 'tap1'])
    expect(collapseRanges([{name: 'tap0', addresses: ['10.0.0.1/24']}, {name: 'tap1'}]).map((e) => e.name)).toEqual(['tap0', 'tap1'])
  })

  test('YAML scalars that YAML would read as something else are quoted', () => {
    expect(['tap0', 'yes', 'No', 'null', '0x10', '1e3', '10.0.0.1/24', 'fd00::1/64', 'a b', 'x#y', '-x'].map(yamlScalar))
      .toEqual(['tap0', '"yes"', '"No"', '"null"', '"0x10"', '"1e3"', '"10.0.0.1/24"', '"fd00::1/64"', '"a b"', '"x#y"', '"-x"'])
    const text = renderYaml([{name: 'on', mode: 'tap', user: 'true', any_user: undefined as unknown as boolean}].map(({any_user: _a, ...e}) => e), {})
    expect(loaded(text).devices[0]).toEqual({name: 'on', mode: 'tap', user: 'true'})
  })

  test('shell lines: quotes, continuations, operators, redirections and wrappers', () => {
    const words = (line: string) => splitCommands(line, {file: 'f', line: 1}).map((c) => c.words.map((w) => (w.dynamic ? `$(${w.text})` : w.text)).join(' '))
    expect(words(`[ -e /sys/class/net/tap0 ] || sudo ip tuntap add 'tap 0' mode "tap" 2>/dev/null; exit 0 # done`))
      .toEqual(['[ -e /sys/class/net/tap0 ]', 'ip tuntap add tap 0 mode tap', 'exit 0'])
    expect(words('for i in 1 2; do tunctl -t "tap$i"; done')).toEqual(['for i in 1 2', 'tunctl -t $(tap$i)'])
    expect(splitCommands('echo 1 > /proc/sys/x', {file: 'f', line: 1})[0].writes).toEqual(['/proc/sys/x'])
  })
})
