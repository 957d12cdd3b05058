/**
 * Moving a host to tunadm: `tunadm import` from the command line, and its config applied for real in a
 * throwaway namespace (the kernel's own view, ip -j, is the oracle).
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {BIN, Netns, ROOT, describeKernel, json, must, sh} from '../helpers/kernel'

const GOLDEN = path.join(ROOT, 'test', 'golden')
const FIX = path.join(ROOT, 'test', 'fixtures', 'import')
const tunadm = (args: string[]) => sh(process.execPath, [BIN, ...args], {env: {...process.env, NO_COLOR: '1'}})

describe('tunadm import on the command line', () => {
  test('everything translated: the config on stdout, a summary on stderr, exit 0', () => {
    const r = tunadm(['import', path.join(GOLDEN, 'ifupdown', 'tunadm')])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^# Imported by tunadm from .*\n# Review it, then: tunadm apply --adopt --dry-run --config FILE\nversion: 1\ndevices:\n {2}- name: tun0\n/)
    expect(r.stderr).toBe('import: 4 device entries from 1 file\n')
  })

  test('what is not translated: listed on stderr with FILE:LINE and in the config, exit 1', () => {
    const file = path.join(FIX, 'scripts', 'rc.local')
    const r = tunadm(['import', file])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(`not translated: ${file}:18: ip tuntap add uses "tap1$i"`)
    expect(r.stdout).toContain(`#   ${file}:18: ip tuntap add uses "tap1$i"`)
    expect(r.stderr).toMatch(/^import: 5 device entries from 1 file; 3 things not translated/m)
  })

  test('--json: the devices, what was not translated and the YAML in one envelope', () => {
    const r = tunadm(['import', path.join(FIX, 'nm'), '--json'])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('')
    const out = json(r)
    expect(out.devices.map((d: {name: string}) => d.name)).toEqual(['tap1', 'tun0'])
    expect(out.untranslated[0]).toEqual({file: path.join(FIX, 'nm', 'tap-port.nmconnection'), line: 8, device: 'tap1', message: expect.stringMatching(/^autoconnect=false/)})
    expect(out.skipped).toEqual([expect.objectContaining({file: path.join(FIX, 'nm', 'eth0.nmconnection')})])
    expect(out.yaml).toMatch(/^version: 1$/m)
  })

  test('a file that is not there: exit 2 and a JSON error; no file at all: usage error', () => {
    const r = tunadm(['import', '/nonexistent/interfaces', '--json'])
    expect(r.status).toBe(2)
    expect(json(r).error).toMatchObject({code: 'NO_FILE', message: 'cannot read /nonexistent/interfaces: it does not exist'})
    expect(tunadm(['import']).status).toBe(2)
  })
})

describeKernel('an imported config applies', () => {
  let ns: Netns
  let dir: string
  beforeAll(() => {
    ns = new Netns('import')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-import-'))
  })
  afterAll(() => {
    ns?.remove()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  test('networkd files made by init: imported, applied, the kernel has the devices they describe', () => {
    const files = fs.readdirSync(path.join(GOLDEN, 'networkd')).filter((f) => f !== 'SUMMARY.txt').map((f) => path.join(GOLDEN, 'networkd', f))
    const r = tunadm(['import', ...files])
    expect(r.status).toBe(0)
    const config = path.join(dir, 'tunadm.yaml')
    fs.writeFileSync(config, r.stdout)
    ns.ip(['link', 'add', 'br0', 'type', 'bridge']) // the bridge tap-web is a port of (Bridge=br0)
    const a = ns.tunadm(['apply', '--config', config])
    expect(a.stderr).toBe('')
    expect(a.status).toBe(0)
    const links = ns.links().filter((l) => l.linkinfo?.info_kind === 'tun')
    expect(links.map((l) => l.ifname).sort()).toEqual(['tap-web', 'tun-lab', 'tun0', 'vm0', 'vm1', 'vm2'])
    const web = ns.link('tap-web')!
    expect(web).toMatchObject({address: 'fe:54:00:12:34:56', txqlen: 1000})
    expect(ns.ip(['-o', 'link', 'show', 'tap-web'])).toMatch(/ master br0 /)
    expect(web.linkinfo?.info_data).toMatchObject({type: 'tap', vnet_hdr: true, user: 'nobody', group: 'nogroup'})
    expect(ns.link('vm1')!.linkinfo?.info_data).toMatchObject({multi_queue: true, group: 'root'})
    const tun0 = ns.ipJson<Array<{addr_info: Array<{local: string; address?: string}>}>>(['addr', 'show', 'dev', 'tun0'])[0]
    expect(tun0.addr_info).toEqual(expect.arrayContaining([expect.objectContaining({local: '10.8.0.1', address: '10.8.0.2'})]))
    expect(ns.ipJson<Array<{dst: string; gateway?: string}>>(['route', 'show', 'dev', 'tun0'])).toEqual(expect.arrayContaining([expect.objectContaining({dst: '10.20.0.0/16', gateway: '10.8.0.2'})]))
  })
})

describeKernel('tunadm export: capture, delete, apply the capture, and the kernel is as it was', () => {
  let ns: Netns
  let dir: string
  beforeAll(() => {
    ns = new Netns('export')
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tunadm-export-'))
  })
  afterAll(() => {
    ns?.remove()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  /** The kernel's view with what legitimately differs between two creations taken out. */
  function state(randomMacs: string[]) {
    const links = ns.links().filter((l) => l.linkinfo?.info_kind === 'tun').map((l) => {
      const {ifindex: _i, ifalias: _a, group: _g, operstate: _o, ...rest} = l as unknown as Record<string, unknown>
      const out = {...rest, flags: (l.flags as string[]).filter((f) => f !== 'NO-CARRIER')} as Record<string, unknown>
      for (const k of ['link_index', 'master', 'num_tx_queues', 'num_rx_queues', 'gso_max_size', 'gso_max_segs', 'tso_max_size', 'tso_max_segs', 'gro_max_size', 'gso_ipv4_max_size', 'gro_ipv4_max_size', 'inet6_addr_gen_mode', 'broadcast']) delete out[k]
      if (randomMacs.includes(l.ifname)) delete out.address
      const info = out.linkinfo as Record<string, unknown>
      // A bridge port's data names the bridge's id (from its ports' MACs) and its STP state (which follows the
      // carrier the kernel's link watch sets a moment after creation): the port's kind is what stays.
      delete info.info_slave_data
      return out
    })
    const byName = (a: {ifname?: unknown}, b: {ifname?: unknown}) => String(a.ifname).localeCompare(String(b.ifname))
    const addrs = ns.ipJson<Array<{ifname: string; addr_info: Array<Record<string, unknown>>}>>(['addr', 'show'])
      .filter((a) => links.some((l) => l.ifname === a.ifname))
      .map((a) => ({ifname: a.ifname, addr_info: a.addr_info.filter((i) => i.scope !== 'link').map(({valid_life_time: _v, preferred_life_time: _p, ...i}) => i)}))
    const routes = [...ns.ipJson<Array<Record<string, unknown>>>(['-4', 'route', 'show']), ...ns.ipJson<Array<Record<string, unknown>>>(['-6', 'route', 'show'])]
      .filter((r) => links.some((l) => l.ifname === r.dev))
      .map((r) => ({...r, flags: (r.flags as string[]).filter((f) => f !== 'linkdown')}))
    return {links: links.sort(byName), addrs: addrs.sort(byName), routes}
  }

  test('every kind of device: tun/tap, pi, vnet_hdr, multi_queue, napi, owners, groups, peers, IPv4/IPv6, routes, bridge ports, ranges', () => {
    const ip = (line: string) => ns.ip(line.split(' '))
    ip('link add br0 type bridge')
    ip('link set br0 up')
    for (const i of [0, 1, 2, 3]) ip(`tuntap add vm${i} mode tap group nogroup vnet_hdr multi_queue`)
    ip('tuntap add tun0 mode tun user nobody group nogroup pi')
    ip('link set tun0 mtu 1400 up')
    ip('addr add 10.8.0.1 peer 10.8.0.2/32 dev tun0')
    ip('addr add fd00:8::1/64 dev tun0')
    ip('route add 10.20.0.0/16 via 10.8.0.2 dev tun0 metric 50')
    ip('route add fd00:20::/48 dev tun0')
    ip('route add fd00:30::/48 via fd00:8::2 dev tun0 metric 100')
    ip('tuntap add tap-web mode tap user nobody')
    ip('link set tap-web address 02:00:5e:00:00:07 txqueuelen 2000 promisc on master br0 up')
    ip('addr add 192.168.7.1/24 brd + dev tap-web') // tunadm sets the broadcast address too
    ip('tuntap add tap-any mode tap')
    ip('link set tap-any arp off multicast off')
    // napi: ip tuntap cannot ask for it; a program does (IFF_TAP | IFF_NAPI | IFF_NO_PI, persistent).
    must('ip', ['netns', 'exec', ns.name, 'python3', '-c', [
      'import fcntl, os, struct',
      'fd = os.open("/dev/net/tun", os.O_RDWR)',
      'fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH22x", b"napi0", 0x2 | 0x10 | 0x1000 | 0x8000))',
      'fcntl.ioctl(fd, 0x400454cb, 1)',
    ].join('\n')])
    ip('link set napi0 group 0')

    const exported = ns.tunadm(['export'])
    expect([exported.status, exported.stderr]).toEqual([0, ''])
    const config = path.join(dir, 'capture.yaml')
    fs.writeFileSync(config, exported.stdout)
    expect(exported.stdout).toContain('  - name: "vm{0..3}"\n    mode: tap\n    group: nogroup\n    vnet_hdr: true\n    multi_queue: true\n    up: false\n')
    expect(exported.stdout).toContain('    mac: "02:00:5e:00:00:07"')
    expect(exported.stdout).toContain('    napi: true')
    expect(exported.stdout).toContain('    master: br0')
    const json1 = json(ns.tunadm(['export', '--json']))
    expect(json1.devices.map((d: {name: string}) => d.name)).toEqual(['napi0', 'tap-any', 'tap-web', 'tun0', 'vm{0..3}'])
    expect(json1.notes).toEqual([])

    const before = state(['napi0', 'tap-any', 'vm0', 'vm1', 'vm2', 'vm3'])

    // apply --adopt with the capture changes nothing but takes the devices over.
    const dry = json(ns.tunadm(['apply', '--adopt', '--dry-run', '--config', config, '--json']))
    expect(dry.devices).toHaveLength(8)
    for (const d of dry.devices) expect(d.changes.map((c: {what: string}) => c.what)).toEqual(['managed', 'link group'])
    const adopt = ns.tunadm(['apply', '--adopt', '--config', config])
    expect([adopt.status, adopt.stderr]).toEqual([0, ''])
    expect(state(['napi0', 'tap-any', 'vm0', 'vm1', 'vm2', 'vm3'])).toEqual(before)
    const again = ns.tunadm(['apply', '--config', config])
    expect(again.stdout).toMatch(/^8 device\(s\): 8 unchanged$/m)

    // Delete every device, apply the capture: the same devices (random MACs are new ones, by design).
    expect(ns.tunadm(['down', '--config', config]).status).toBe(0)
    expect(ns.links().filter((l) => l.linkinfo?.info_kind === 'tun')).toEqual([])
    const applied = ns.tunadm(['apply', '--config', config])
    expect([applied.status, applied.stderr]).toEqual([0, ''])
    expect(state(['napi0', 'tap-any', 'vm0', 'vm1', 'vm2', 'vm3'])).toEqual(before)
    expect(parseInt(must('ip', ['netns', 'exec', ns.name, 'cat', '/sys/class/net/napi0/tun_flags']).trim(), 16) & 0x10).toBe(0x10)
  })
})
