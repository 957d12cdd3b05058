/** tunadm set, and add with configuration, against the real kernel in a throwaway namespace. */
import {BIN, Netns, describeKernel, json, sh} from '../helpers/kernel'
import {hold} from '../helpers/holder'

interface IpAddr { ifname: string; flags: string[]; mtu: number; txqlen: number; address?: string; addr_info: Array<{family: string; local: string; prefixlen: number; address?: string}> }
interface IpRoute { dst: string; gateway?: string; dev: string; flags: string[]; metric?: number; protocol?: string }

describeKernel('configuring devices', () => {
  let ns: Netns
  const addr = (name: string) => ns.ipJson<IpAddr[]>(['addr', 'show', 'dev', name])[0]
  const routes = (family: '-4' | '-6' = '-4') => ns.ipJson<IpRoute[]>([family, 'route', 'show'])
  const globalAddrs = (name: string) => addr(name).addr_info.filter((a) => !a.local.startsWith('fe80')).map((a) => `${a.local}/${a.prefixlen}${a.address ? ` peer ${a.address}` : ''}`)

  beforeAll(() => {
    ns = new Netns('cfg')
  })
  afterAll(() => ns?.remove())
  afterEach(() => {
    for (const l of ns.links()) if (l.linkinfo?.info_kind !== undefined || l.ifname !== 'lo') sh('ip', ['-n', ns.name, 'link', 'del', l.ifname])
  })

  test('add creates and configures in one step, as the classic tunctl + ifconfig script did', () => {
    const r = ns.tunadm(['add', 'tap0', '--user', 'nobody', '--address', '192.168.0.1/24', '--promisc', '--up', '--mtu', '1400',
      '--txqueuelen', '2000', '--mac', '02:00:5e:10:00:01', '--route', '10.1.0.0/16 via 192.168.0.254', '--no-multicast'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const a = addr('tap0')
    expect(a.flags).toEqual(expect.arrayContaining(['UP', 'PROMISC']))
    expect(a.flags).not.toContain('MULTICAST')
    expect(a).toMatchObject({mtu: 1400, txqlen: 2000, address: '02:00:5e:10:00:01'})
    expect(globalAddrs('tap0')).toEqual(['192.168.0.1/24'])
    expect(routes()).toEqual(expect.arrayContaining([expect.objectContaining({dst: '10.1.0.0/16', gateway: '192.168.0.254', dev: 'tap0'})]))
    expect(ns.link('tap0')?.linkinfo?.info_data?.user).toBe('nobody')
    expect(ns.tunadm(['list', '-a']).stdout).toMatch(/^NAME .* ADDRESSES\ntap0 .* 192\.168\.0\.1\/24$/m)
  })

  test('the first round\'s wrong results stay fixed: addresses and routes are what the kernel says they are', () => {
    const code = (r: ReturnType<typeof ns.tunadm>) => [r.status, r.status === 0 ? undefined : json(r).error?.code]
    ns.tunadm(['add', 'tun0', '--user', 'nobody'])
    ns.tunadm(['set', 'tun0', '--address', '10.77.0.1/32', '--peer', '10.77.0.2', '--up'])
    const del = json(ns.tunadm(['set', 'tun0', '--del-address', '10.77.0.1/32', '--json']))
    expect(del.changes).toEqual([{what: 'address', from: '10.77.0.1/32 peer 10.77.0.2', to: null}])
    expect(globalAddrs('tun0')).toEqual([])
    // IPv6: one address whatever the prefix length.
    ns.tunadm(['add', 'tap0', '--address', 'fd00::1/64', '--address', '10.9.0.1/24', '--up'])
    expect(ns.tunadm(['set', 'tap0', '--address', 'fd00::1/48']).status).toBe(0)
    expect(globalAddrs('tap0')).toEqual(['10.9.0.1/24', 'fd00::1/48'])
    expect(ns.tunadm(['set', 'tap0', '--del-address', 'fd00::1/64']).status).toBe(0)
    expect(globalAddrs('tap0')).toEqual(['10.9.0.1/24'])
    // A route is removed without repeating its gateway, and each one removed is named.
    ns.tunadm(['set', 'tap0', '--route', '10.50.0.0/16 via 10.9.0.254', '--route', '10.50.0.0/16 via 10.9.0.253 metric 7'])
    // Removing what is not there is a warning: on stderr, or in the --json envelope's warnings.
    const none = ns.tunadm(['set', 'tap0', '--del-address', '10.123.0.1/24', '--json'])
    expect([none.status, none.stderr, JSON.parse(none.stdout).warnings]).toEqual([0, '', ['tap0 has no address 10.123.0.1/24 (with that prefix length): nothing to remove']])
    expect(ns.tunadm(['set', 'tap0', '--del-address', '10.123.0.1/24']).stderr).toBe('warning: tap0 has no address 10.123.0.1/24 (with that prefix length): nothing to remove\n')
    const dr = ns.tunadm(['set', 'tap0', '--del-route', '10.50.0.0/16'])
    expect(dr.stdout).toContain('removed route 10.50.0.0/16 via 10.9.0.254; removed route 10.50.0.0/16 via 10.9.0.253 metric 7')
    expect(routes().filter((r) => r.dst === '10.50.0.0/16')).toEqual([])
    // Nothing half done: each of these is refused before its first change.
    const observe = () => JSON.stringify([globalAddrs('tap0'), addr('tap0').mtu, addr('tap0').flags, routes().filter((r) => r.dev === 'tap0')])
    const before = observe()
    expect(code(ns.tunadm(['set', 'tap0', '--address', 'fe80::1/64', '--mtu', '1000', '--json']))).toEqual([2, 'MTU_TOO_SMALL_FOR_IPV6'])
    expect(code(ns.tunadm(['set', 'tap0', '--address', '10.9.0.2/24', '--address', '10.9.0.2/24', '--json']))).toEqual([2, 'DUPLICATE_ADDRESS'])
    expect(code(ns.tunadm(['set', 'tap0', '--down', '--route', '10.60.0.0/16', '--json']))).toEqual([2, 'ROUTE_NEEDS_UP'])
    expect(code(ns.tunadm(['set', 'tap0', '--mtu', '1400', '--route', '10.50.0.0/16 via 10.99.0.1', '--json']))).toEqual([2, 'GATEWAY_UNREACHABLE'])
    expect(code(ns.tunadm(['set', 'tap0', '--route', 'fd01::/64 via fd00::1', '--address', 'fd00::1/64', '--json']))).toEqual([2, 'GATEWAY_IS_LOCAL'])
    ns.tunadm(['set', 'tun0', '--route', '10.70.0.0/16'])
    expect(code(ns.tunadm(['set', 'tap0', '--mtu', '1400', '--route', '10.70.0.0/16', '--json']))).toEqual([2, 'ROUTE_EXISTS'])
    expect(observe()).toBe(before)
    // del validates every name before deleting any.
    expect(code(ns.tunadm(['del', 'tun0', 'bad/x', '--json']))).toEqual([2, 'INVALID_NAME'])
    expect(ns.link('tun0')).toBeDefined()
  })

  test('add warns when the owner is not in the group: the kernel wants both', () => {
    const r = ns.tunadm(['add', 'tap7', '--user', 'nobody', '--group', 'root'])
    expect(r.status).toBe(0)
    expect(r.stderr).toMatch(/warning: user nobody is not in group root/)
    expect(ns.tunadm(['add', 'tap8', '--user', 'root', '--group', 'root']).stderr).toBe('')
  })

  test('txqueuelen: up to 524288, the most a TUN/TAP queue can hold; above it refused by add, set and apply alike, nothing changed', async () => {
    // The kernel's own behaviour: above 524288 (4 MiB of pointers) no program can attach (ENOMEM).
    ns.tunadm(['add', 'tap9'])
    ns.ip(['link', 'set', 'tap9', 'txqueuelen', '524289'])
    const refused = await hold(ns.name, 'tap9', 'tap')
    expect(refused.outcome).toBe('error ENOMEM')
    await refused.release()
    // tunadm: the most that works, as root, on add (where its own creating fd is attached) and set.
    const ok = ns.tunadm(['add', 'tap8', '--txqueuelen', '524288'])
    expect({status: ok.status, stderr: ok.stderr}).toEqual({status: 0, stderr: ''})
    expect(ns.link('tap8')?.txqlen).toBe(524288)
    const attached = await hold(ns.name, 'tap8', 'tap')
    expect(attached.outcome).toBe('attached tap8')
    await attached.release()
    for (const args of [['add', 'tap7', '--txqueuelen', '524289'], ['set', 'tap8', '--txqueuelen', '524289'], ['set', 'tap8', '--txqueuelen', '4294967296']]) {
      const r = ns.tunadm(args)
      expect({args, status: r.status}).toEqual({args, status: 2})
      expect(r.stderr).toMatch(/txqueuelen \d+ is out of range[\s\S]*0 to 524288: a packet count; above 524288 the kernel cannot allocate a TUN\/TAP queue/)
    }
    expect(ns.link('tap7')).toBeUndefined()
    expect(ns.link('tap8')?.txqlen).toBe(524288)
  })

  test('set each option; ip sees it; setting it again changes nothing', () => {
    ns.tunadm(['add', 'tap1'])
    const steps: Array<[string[], (a: IpAddr) => void]> = [
      [['--mac', '02:11:22:33:44:55'], (a) => expect(a.address).toBe('02:11:22:33:44:55')],
      [['--up'], (a) => expect(a.flags).toContain('UP')],
      [['--promisc'], (a) => expect(a.flags).toContain('PROMISC')],
      [['--no-promisc'], (a) => expect(a.flags).not.toContain('PROMISC')],
      [['--allmulti'], (a) => expect(a.flags).toContain('ALLMULTI')],
      [['--no-arp'], (a) => expect(a.flags).toContain('NOARP')],
      [['--arp'], (a) => expect(a.flags).not.toContain('NOARP')],
      [['--no-multicast'], (a) => expect(a.flags).not.toContain('MULTICAST')],
      [['--multicast'], (a) => expect(a.flags).toContain('MULTICAST')],
      [['--mtu', '9000'], (a) => expect(a.mtu).toBe(9000)],
      [['--txqueuelen', '77'], (a) => expect(a.txqlen).toBe(77)],
      [['--down'], (a) => expect(a.flags).not.toContain('UP')],
    ]
    for (const [opts, check] of steps) {
      const first = json(ns.tunadm(['set', 'tap1', ...opts, '--json']))
      expect({opts, changed: first.changed}).toEqual({opts, changed: true})
      check(addr('tap1'))
      const again = ns.tunadm(['set', 'tap1', ...opts, '--json'])
      expect(again.status).toBe(0)
      expect({opts, changes: json(again).changes}).toEqual({opts, changes: []})
    }
  })

  test('IPv4 and IPv6 addresses, a point-to-point peer, routes with and without gateways; removal', () => {
    ns.tunadm(['add', 'tun1', '--up'])
    const r = ns.tunadm(['set', 'tun1', '--address', '10.0.0.1', '--peer', '10.0.0.2', '--address', 'fd00::1/64',
      '--route', '10.8.0.0/16', '--route', 'fd01::/64 via fd00::2 metric 300'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(globalAddrs('tun1').sort()).toEqual(['10.0.0.1/32 peer 10.0.0.2', 'fd00::1/64'])
    expect(routes('-4')).toEqual(expect.arrayContaining([expect.objectContaining({dst: '10.8.0.0/16', dev: 'tun1'})]))
    expect(routes('-6')).toEqual(expect.arrayContaining([expect.objectContaining({dst: 'fd01::/64', gateway: 'fd00::2', metric: 300})]))
    // show reports them, with linkdown since nothing is attached
    const shown = json(ns.tunadm(['show', 'tun1', '--json']))
    expect(shown.addresses).toEqual(expect.arrayContaining([{address: '10.0.0.1', prefixLen: 32, family: 4, peer: '10.0.0.2'}]))
    expect(shown.routes).toEqual(expect.arrayContaining([expect.objectContaining({destination: '10.8.0.0/16', linkdown: true})]))
    // idempotent
    expect(json(ns.tunadm(['set', 'tun1', '--address', 'fd00::1/64', '--route', '10.8.0.0/16', '--json'])).changes).toEqual([])
    // removal
    const d = ns.tunadm(['set', 'tun1', '--del-address', 'fd00::1/64', '--del-route', '10.8.0.0/16'])
    expect(d.status).toBe(0)
    expect(globalAddrs('tun1')).toEqual(['10.0.0.1/32 peer 10.0.0.2'])
    expect(routes('-4').find((x) => x.dst === '10.8.0.0/16')).toBeUndefined()
    expect(json(ns.tunadm(['set', 'tun1', '--del-route', '10.8.0.0/16', '--json'])).changes).toEqual([])
  })

  test('asking for what is already true needs no privileges (runs as nobody)', () => {
    ns.tunadm(['add', 'tap6', '--up', '--mtu', '1400'])
    const asNobody = (args: string[]) => sh('ip', ['netns', 'exec', ns.name, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args], {env: {...process.env, NO_COLOR: '1'}})
    const same = asNobody(['set', 'tap6', '--up', '--mtu', '1400'])
    expect(same.stderr).toBe('')
    expect(same.status).toBe(0)
    expect(same.stdout).toContain('tap6: nothing to change')
    const change = asNobody(['set', 'tap6', '--mtu', '1300'])
    expect(change.status).toBe(1)
    expect(change.stderr).toMatch(/CAP_NET_ADMIN[\s\S]*sudo/)
    expect(ns.link('tap6')?.mtu).toBe(1400)
  })

  test('a route through a device that is down is refused before anything changes, and explained', () => {
    ns.tunadm(['add', 'tun2'])
    const r = ns.tunadm(['set', 'tun2', '--route', '10.9.0.0/16', '--mtu', '1400'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/tun2 would have routes but not be up[\s\S]*fix: give the device up \(up: true, or --up\)/)
    expect(ns.link('tun2')?.mtu).toBe(1500)
  })

  test('invalid values exit 2 and change nothing', () => {
    ns.tunadm(['add', 'tap2'])
    ns.tunadm(['add', 'tun3'])
    const before = JSON.stringify([addr('tap2'), addr('tun3'), routes()])
    const cases: Array<[string[], RegExp]> = [
      [['set', 'tap2', '--mac', '02:00:00:00:00'], /is not a MAC address/],
      [['set', 'tap2', '--mac', '01:00:5e:00:00:01'], /is a multicast address/],
      [['set', 'tap2', '--mac', '00:00:00:00:00:00'], /is all zeros/],
      [['set', 'tun3', '--mac', '02:00:00:00:00:01'], /TUN device, which has no MAC address/],
      [['set', 'tap2', '--mtu', '67'], /MTU 67 is out of range/],
      [['set', 'tap2', '--mtu', '65530'], /out of range for tap2[\s\S]*68 to 65521/],
      [['set', 'tap2', '--mtu', 'big'], /Expected an integer/],
      [['set', 'tap2', '--address', '192.168.0.1'], /has no prefix length/],
      [['set', 'tap2', '--address', '192.168.0.300/24'], /is not an address/],
      [['set', 'tap2', '--address', '10.0.0.1/24', '--route', '10.2.0.0/16', '--via', 'fd00::1'], /gateway fd00::1 is IPv6 but the route 10.2.0.0\/16 is IPv4/],
      [['set', 'tap2', '--route', '10.2.0.1/16'], /has host bits set/],
      [['set', 'tap2', '--address', '10.0.0.1', '--peer', '10.0.0.2'], /a peer is for point-to-point TUN devices/],
      [['set', 'tap2', '--mtu', '1400', '--user', 'no_such_user_x'], /there is no user named/],
      [['set', 'tap2', '--rename', 'a/b'], /contains "\/"/],
      [['set', 'tap2'], /nothing to change on tap2/],
      [['add', 'tun4', '--mac', '02:00:00:00:00:01'], /TUN device, which has no MAC address/],
    ]
    for (const [args, msg] of cases) {
      const r = ns.tunadm(args)
      expect({args, status: r.status}).toEqual({args, status: 2})
      expect(r.stderr).toMatch(msg)
    }
    expect(JSON.stringify([addr('tap2'), addr('tun3'), routes()])).toBe(before)
    expect(ns.link('tun4')).toBeUndefined()
  })

  test('add with configuration rolls back when a step fails, and says which step', () => {
    // 65530 passes the generic range check but is above a TAP device's maximum: refused before creation.
    const r = ns.tunadm(['add', 'tap3', '--mtu', '65530', '--address', '10.5.0.1/24'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/MTU 65530 is out of range for a tap device[\s\S]*68 to 65521/)
    expect(ns.link('tap3')).toBeUndefined()
    // A refusal only the kernel knows of: IPv6 turned off for new devices in this namespace.
    expect(ns.exec('sysctl', ['-qw', 'net.ipv6.conf.default.disable_ipv6=1']).status).toBe(0)
    try {
      const k = ns.tunadm(['add', 'tun5', '--address', '10.6.0.1/24', '--address', 'fd00:6::1/64', '--up'])
      expect(k.status).toBe(1)
      expect(k.stderr).toMatch(/cannot add address fd00:6::1\/64 on tun5[\s\S]*removed again/)
      // The kernel's own words (extended ACK) are the why, with what to do about them.
      expect(k.stderr).toMatch(/why: the kernel says: .*IPv6 is disabled on this device/)
      expect(k.stderr).toContain('disable_ipv6=0')
      expect(ns.link('tun5')).toBeUndefined()
    } finally {
      ns.exec('sysctl', ['-qw', 'net.ipv6.conf.default.disable_ipv6=0'])
    }
  })

  test('an up device is renamed as it is, keeping addresses and routes; --down --rename --up puts back what going down drops', () => {
    ns.tunadm(['add', 'tap4', '--up', '--address', '10.44.0.1/24', '--address', 'fd44::1/64', '--route', '10.45.0.0/16 via 10.44.0.2'])
    ns.ip(['-6', 'route', 'add', 'fd45::/64', 'via', 'fd44::2', 'dev', 'tap4'])
    const state = (dev: string) => ({
      up: ns.link(dev)?.flags.includes('UP'),
      addresses: ns.ipJson<Array<{addr_info: Array<{local: string; prefixlen: number; scope: string}>}>>(['addr', 'show', 'dev', dev])[0].addr_info.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`).sort(),
      routes: [...ns.ipJson<Array<{dst: string; gateway?: string}>>(['route', 'show', 'dev', dev]), ...ns.ipJson<Array<{dst: string; gateway?: string}>>(['-6', 'route', 'show', 'dev', dev])].filter((r) => r.gateway).map((r) => `${r.dst} via ${r.gateway}`).sort(),
    })
    const before = state('tap4')
    expect(before).toEqual({up: true, addresses: ['10.44.0.1/24', 'fd44::1/64'], routes: ['10.45.0.0/16 via 10.44.0.2', 'fd45::/64 via fd44::2']})
    const r = ns.tunadm(['set', 'tap4', '--rename', 'vm1-net'])
    expect([r.status, r.stderr]).toEqual([0, ''])
    expect(ns.link('tap4')).toBeUndefined()
    expect(state('vm1-net')).toEqual(before)
    const dry = ns.tunadm(['set', 'vm1-net', '--down', '--rename', 'vm2-net', '--up', '--dry-run'])
    expect(dry.stderr).toContain('warning: vm1-net goes down and up again: the kernel drops address fd44::1/64, route 10.45.0.0/16 via 10.44.0.2, route fd45::/64 via fd44::2 when it goes down; tunadm adds them again once it is up')
    const ok = ns.tunadm(['set', 'vm1-net', '--down', '--rename', 'vm2-net', '--up'])
    expect(ok.status).toBe(0)
    expect(state('vm2-net')).toEqual(before)
    const down = ns.tunadm(['set', 'vm2-net', '--down'])
    expect(down.stderr).toContain('warning: vm2-net goes down, and the kernel drops with it: address fd44::1/64, route 10.45.0.0/16 via 10.44.0.2, route fd45::/64 via fd44::2')
    expect(ns.tunadm(['set', 'vm2-net', '--rename', 'vm1-net', '--up']).status).toBe(0)
    const clash = ns.tunadm(['set', 'vm1-net', '--down', '--rename', 'lo', '--up'])
    expect(clash.status).toBe(1)
    expect(clash.stderr).toContain('a device with that name exists')
  })

  test('owner and group of an existing device; a held device names its holder', async () => {
    ns.tunadm(['add', 'tun6', '--user', 'root', '--pi'])
    const r = json(ns.tunadm(['set', 'tun6', '--user', 'nobody', '--group', 'nogroup', '--json']))
    expect(r.changes).toEqual([{what: 'owner', from: 0, to: 65534}, {what: 'group', from: null, to: 65534}])
    const data = ns.link('tun6')?.linkinfo?.info_data
    expect(data).toMatchObject({user: 'nobody', group: 'nogroup', pi: true})
    // The kernel cannot unset an owner once set: say so, change nothing.
    const cleared = ns.tunadm(['set', 'tun6', '--any-user'])
    expect(cleared.status).toBe(1)
    // The fix acts where the command did: in the namespace it was given.
    expect(cleared.stderr).toMatch(/cannot clear the owner or group of tun6[\s\S]*/)
    expect(cleared.stderr).toContain(`fix: recreate it: tunadm --netns ${ns.name} del tun6 && tunadm --netns ${ns.name} add tun6 --mode tun --any-user`)
    expect(ns.link('tun6')?.linkinfo?.info_data).toMatchObject({user: 'nobody', group: 'nogroup'})
    const held = await hold(ns.name, 'tun6', 'tun', {flags: ['pi']})
    try {
      expect(held.outcome).toBe('attached tun6')
      const busy = ns.tunadm(['set', 'tun6', '--user', 'root'])
      expect(busy.status).toBe(1)
      expect(busy.stderr).toMatch(/cannot change the owner of tun6: it is in use by python3 \(pid \d+\)/)
    } finally {
      await held.release()
    }
  })

  test('carrier: on needs an attached program; with one attached, off and on work', async () => {
    ns.tunadm(['add', 'tap5', '--multi-queue', '--up'])
    const no = ns.tunadm(['set', 'tap5', '--carrier', 'on'])
    expect(no.status).toBe(1)
    expect(no.stderr).toContain('no program is attached')
    const held = await hold(ns.name, 'tap5', 'tap', {flags: ['multi_queue']})
    try {
      expect(ns.link('tap5')?.flags).not.toContain('NO-CARRIER')
      expect(ns.tunadm(['set', 'tap5', '--carrier', 'off']).status).toBe(0)
      expect(ns.link('tap5')?.flags).toContain('NO-CARRIER')
      expect(ns.tunadm(['set', 'tap5', '--carrier', 'on']).status).toBe(0)
      expect(ns.link('tap5')?.flags).not.toContain('NO-CARRIER')
    } finally {
      await held.release()
    }
  })

  test('set refuses a device that is not TUN/TAP', () => {
    ns.ip(['link', 'add', 'br1', 'type', 'bridge'])
    const r = ns.tunadm(['set', 'br1', '--mtu', '1400'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('br1 is not a TUN/TAP device')
    expect(ns.link('br1')?.mtu).toBe(1500)
  })
})
