/** Each doctor check against fixture trees (test/fixtures/doctor/base plus per-test overrides). No root needed. */
import {contextFrom, NetFacts} from '../../src/doctor/context'
import {runChecks, selectChecks} from '../../src/doctor/runner'
import {CHECKS} from '../../src/doctor/checks'
import type {Check, Finding, Features} from '../../src/doctor/types'
import type {TunDevice} from '../../src/model/device'
import {FixtureHost, NODE, STATUS, cleanupTrees, fixtureTree} from '../helpers/fixture-host'

const ALL_FEATURES: Features = {flags: 0x1 | 0x2 | 0x10 | 0x20 | 0x40 | 0x100 | 0x1000 | 0x2000 | 0x4000}

function device(name: string, over: Partial<TunDevice> = {}): TunDevice {
  return {
    name, index: 10, mode: name.startsWith('tap') ? 'tap' : 'tun', pi: false, vnetHdr: false, multiQueue: false, persist: true,
    owner: {id: 1000, name: 'alice'}, group: null, anyUserMayAttach: false, up: true, carrier: true, flags: ['up'], queues: 1,
    addresses: [{address: '10.8.0.1', prefixLen: 24, family: 4}], routes: [{destination: '10.8.0.0/24', linkdown: false, protocol: 'kernel'}],
    ...over,
  }
}

function net(devices: TunDevice[], extraRoutes: NetFacts['routes'] = []): NetFacts {
  const routes = devices.flatMap((d) => (d.routes ?? []).map((r) => ({device: d.name, family: (r.destination.includes(':') ? 6 : 4) as 4 | 6, destination: r.destination, metric: r.metric, linkdown: r.linkdown})))
  return {devices, links: [...devices.map((d) => ({name: d.name, kind: 'tun'})), {name: 'lo', kind: 'loopback'}, {name: 'eth0', kind: 'veth'}], routes: [...routes, ...extraRoutes]}
}

function run(host: FixtureHost, devices: TunDevice[], opts: {names?: string[]; user?: string; features?: Features; checks?: Check[]; extraRoutes?: NetFacts['routes']} = {}) {
  const ctx = contextFrom(host, net(devices, opts.extraRoutes), {names: opts.names, user: opts.user, features: opts.features ?? ALL_FEATURES})
  return runChecks(ctx, opts.checks ?? CHECKS)
}

const find = (fs: Finding[], id: string, dev?: string) => {
  const f = fs.find((x) => x.id === id && x.device === dev)
  if (!f) throw new Error(`no finding ${id}${dev ? ` for ${dev}` : ''} in ${fs.map((x) => `${x.id}/${x.device}`).join(', ')}`)
  return f
}
const statuses = (fs: Finding[]) => Object.fromEntries(fs.map((f) => [`${f.device ? f.device + ':' : ''}${f.id}`, f.status]))

afterAll(cleanupTrees)

describe('doctor checks on fixture trees', () => {
  test('a healthy system and an attached device: every finding ok, the holder named', () => {
    const r = run(fixtureTree({'dev/net/tun.json': NODE('0666')}), [device('tun9')])
    expect(r.failed).toBe(false)
    expect(r.findings.filter((f) => f.status !== 'ok')).toEqual([])
    expect(find(r.findings, 'device.processes', 'tun9').messages).toEqual(['attached: openvpn (pid 4242)'])
    expect(find(r.findings, 'system.tun-driver').messages[0]).toBe('the tun driver is built into the kernel')
    expect(r.summary).toMatchObject({fail: 0, crash: 0, warn: 0})
  })

  test('a device that is down fails with the command to bring it up', () => {
    const r = run(fixtureTree(), [device('tun77', {up: false, carrier: false, queues: 0, routes: [], addresses: []})])
    const f = find(r.findings, 'device.up', 'tun77')
    expect(f.status).toBe('fail')
    expect(f.fix?.commands).toEqual(['sudo tunadm set tun77 --up'])
    expect(r.failed).toBe(true)
    expect(find(r.findings, 'device.carrier', 'tun77').messages).toContain('once it is up, routes via tun77 will be linkdown until a program attaches')
  })

  test('up with an address and nothing attached: no carrier, linkdown routes fail with both fixes', () => {
    const d = device('tun77', {carrier: false, queues: 0, routes: [{destination: '10.7.0.0/24', linkdown: true, protocol: 'kernel'}]})
    const r = run(fixtureTree(), [d])
    const carrier = find(r.findings, 'device.carrier', 'tun77')
    expect(carrier.status).toBe('warn')
    expect(carrier.messages.join('\n')).toMatch(/routes via tun77 are marked linkdown and packets to them are dropped/)
    const ld = find(r.findings, 'device.linkdown-routes', 'tun77')
    expect(ld).toMatchObject({status: 'fail', messages: ['linkdown: 10.7.0.0/24', expect.stringContaining('packets to these destinations are dropped')]})
    expect(ld.fix?.commands).toContain('sysctl -w net.ipv4.conf.tun77.ignore_routes_with_linkdown=1')
    expect(find(r.findings, 'device.processes', 'tun77').messages).toEqual(['no process attached'])
  })

  test('with ignore_routes_with_linkdown set, linkdown routes are only a warning', () => {
    const d = device('tun77', {carrier: false, queues: 0, routes: [{destination: '10.7.0.0/24', linkdown: true, protocol: 'kernel'}]})
    const r = run(fixtureTree({'proc/sys/net/ipv4/conf/tun77/ignore_routes_with_linkdown': '1\n'}), [d])
    expect(find(r.findings, 'device.linkdown-routes', 'tun77').status).toBe('warn')
  })

  test('carrier off while a queue is attached: the program switched it off', () => {
    const r = run(fixtureTree(), [device('tun9', {carrier: false})])
    expect(find(r.findings, 'device.carrier', 'tun9').messages[0]).toMatch(/TUNSETCARRIER/)
  })

  test('carrier off while a program is attached: doctor says so, offers set --carrier on, and does not tell the admin to start the program', () => {
    const d = device('tun9', {carrier: false, routes: [{destination: '10.9.0.0/24', linkdown: true, protocol: 'kernel'}]})
    const r = run(fixtureTree(), [d])
    const carrier = find(r.findings, 'device.carrier', 'tun9')
    expect(carrier.status).toBe('warn')
    expect(carrier.messages[0]).toBe('no carrier although openvpn (pid 4242) is attached (its single queue): the carrier was switched off with TUNSETCARRIER 0, by the program itself or by tunadm set tun9 --carrier off')
    expect(carrier.fix?.commands).toEqual(['sudo tunadm set tun9 --carrier on'])
    const ld = find(r.findings, 'device.linkdown-routes', 'tun9')
    expect(ld.messages.join('\n')).not.toMatch(/nothing attached/)
    expect(ld.messages[1]).toContain('no carrier although openvpn (pid 4242) is attached')
    expect(ld.fix?.commands).toEqual(['sudo tunadm set tun9 --carrier on'])
    expect(JSON.stringify(r.findings)).not.toMatch(/start the program/)
  })

  test('queues are counted as the kernel counts them, not as file descriptors', () => {
    const mq = device('tun9', {multiQueue: true, queues: 1, disabledQueues: 0})
    const r = run(fixtureTree(), [mq])
    expect(find(r.findings, 'device.processes', 'tun9').messages).toEqual(['attached: openvpn (pid 4242) (the kernel counts 1 queue(s))'])
    expect(find(r.findings, 'device.queues', 'tun9')).toMatchObject({status: 'ok', messages: ['1 queue(s) attached']})
  })

  test('every queue disabled (TUNSETQUEUE IFF_DETACH_QUEUE): a failure, although the carrier is on', () => {
    const d = device('tun9', {multiQueue: true, queues: 0, disabledQueues: 2, carrier: true})
    const r = run(fixtureTree(), [d])
    const f = find(r.findings, 'device.queues', 'tun9')
    expect(f.status).toBe('fail')
    expect(f.messages[0]).toMatch(/^every queue of tun9 is disabled \(2 attached with TUNSETQUEUE IFF_DETACH_QUEUE, 0 enabled\): the kernel has no queue to deliver to and drops every packet/)
    expect(r.failed).toBe(true)
    // a single-queue device has no such finding
    expect(run(fixtureTree(), [device('tun9')]).findings.some((x) => x.id === 'device.queues')).toBe(false)
  })

  test('the owner cannot open a 0600 node: fail with chmod and udev commands; a 0666 node is fine', () => {
    const owned = device('tun77', {owner: {id: 65534, name: 'nobody'}})
    const bad = find(run(fixtureTree({'dev/net/tun.json': NODE('0600')}), [owned]).findings, 'device.owner-access', 'tun77')
    expect(bad.status).toBe('fail')
    expect(bad.messages[0]).toContain('user nobody (65534) owns tun77 but cannot open /dev/net/tun (/dev/net/tun is mode 0600 root:root)')
    expect(bad.fix?.commands).toEqual(expect.arrayContaining(['chmod 0666 /dev/net/tun', `echo 'KERNEL=="tun", MODE="0666"' > /etc/udev/rules.d/60-tun.rules`]))
    expect(find(run(fixtureTree({'dev/net/tun.json': NODE('0666')}), [owned]).findings, 'device.owner-access', 'tun77').status).toBe('ok')
    // 0660 root:netdev: alice is in netdev, nobody is not
    const host = () => fixtureTree({'dev/net/tun.json': NODE('0660', 108)})
    expect(find(run(host(), [device('tun1')]).findings, 'device.owner-access', 'tun1').status).toBe('ok')
    expect(find(run(host(), [owned]).findings, 'device.owner-access', 'tun77').status).toBe('fail')
  })

  test('an owner or group that no longer exists is a warning', () => {
    const r = run(fixtureTree(), [device('tun5', {owner: {id: 4000}, group: {id: 4001}})])
    const f = find(r.findings, 'device.accounts', 'tun5')
    expect(f.status).toBe('warn')
    expect(f.messages).toEqual([expect.stringContaining('owner uid 4000 has no entry'), expect.stringContaining('group gid 4001 has no entry')])
  })

  test('neither owner nor group: any user may attach', () => {
    const r = run(fixtureTree({'dev/net/tun.json': NODE('0666')}), [device('tap1', {owner: null, group: null, anyUserMayAttach: true})])
    const f = find(r.findings, 'device.any-user', 'tap1')
    expect(f.status).toBe('warn')
    expect(f.messages).toHaveLength(1)
    expect(f.fix?.commands[0]).toBe('sudo tunadm set tap1 --user <USER>')
  })

  test('owner and group both set while the owner is not in the group: nobody but root can attach', () => {
    const bob = find(run(fixtureTree(), [device('tun2', {owner: {id: 1001, name: 'bob'}, group: {id: 108, name: 'netdev'}})]).findings, 'device.owner-group', 'tun2')
    expect(bob.status).toBe('fail')
    expect(bob.fix?.commands[0]).toBe('usermod -aG netdev bob')
    const alice = find(run(fixtureTree(), [device('tun2', {group: {id: 108, name: 'netdev'}})]).findings, 'device.owner-group', 'tun2')
    expect(alice.status).toBe('ok')
  })

  test('--user: who can attach to which device', () => {
    const host = () => fixtureTree({'dev/net/tun.json': NODE('0666')})
    const devs = [device('tun1'), device('tun2', {owner: {id: 1001, name: 'bob'}}), device('tun3', {owner: null, group: {id: 108, name: 'netdev'}})]
    const r = run(host(), devs, {user: 'alice'})
    expect(statuses(r.findings.filter((f) => f.id === 'device.attach'))).toEqual({'tun1:device.attach': 'ok', 'tun2:device.attach': 'fail', 'tun3:device.attach': 'ok'})
    expect(find(r.findings, 'device.attach', 'tun2').messages[0]).toBe('alice (uid 1000) cannot attach to tun2: the owner is user bob (1001) ("Operation not permitted")')
    expect(find(r.findings, 'system.capabilities').status).toBe('warn')
    const asBob = run(host(), devs, {user: '1001'})
    expect(find(asBob.findings, 'device.attach', 'tun3').messages[0]).toContain('bob (uid 1001) is not in group netdev (108)')
    expect(() => run(host(), devs, {user: 'no_such_user'})).toThrow(/there is no user named "no_such_user"/)
    // A held single-queue device: the second program would get EBUSY
    expect(find(run(host(), [device('tun9')], {user: 'alice'}).findings, 'device.attach', 'tun9').messages[1]).toMatch(/already attached by openvpn \(pid 4242\).*Device or resource busy/)
  })

  test('overlapping routes on two devices', () => {
    const r = run(fixtureTree(), [device('tun1'), device('tun2', {routes: [{destination: '10.8.0.0/16', linkdown: false, protocol: 'boot'}]})],
      {extraRoutes: [{device: 'eth0', family: 4, destination: '0.0.0.0/0', linkdown: false}]})
    const f = find(r.findings, 'device.route-overlap', 'tun1')
    expect(f.status).toBe('warn')
    expect(f.messages).toEqual(['10.8.0.0/24 via tun1 overlaps 10.8.0.0/16 via tun2: the longer prefix wins for the addresses they share'])
    const same = run(fixtureTree(), [device('tun1', {routes: [{destination: '10.8.0.0/24', metric: 5, linkdown: false, protocol: 'boot'}]})], {extraRoutes: [{device: 'eth0', family: 4, destination: '10.8.0.0/24', metric: 100, linkdown: false}]})
    expect(find(same.findings, 'device.route-overlap', 'tun1').messages[0]).toContain('routed via both tun1 (metric 5) and eth0 (metric 100)')
  })

  test('link-local routes (fe80::/64 on every link) are never an overlap', () => {
    const ll = {destination: 'fe80::/64', metric: 256, linkdown: false, protocol: 'kernel'}
    const r = run(fixtureTree(), [device('tap1', {routes: [ll]}), device('tap2', {routes: [ll]})], {extraRoutes: [{device: 'eth0', family: 6, destination: 'fe80::/64', metric: 256, linkdown: false}]})
    for (const dev of ['tap1', 'tap2']) expect(find(r.findings, 'device.route-overlap', dev).status).toBe('ok')
  })

  test('an IPv6 address on a device with IPv6 disabled', () => {
    const d = device('tun77', {addresses: [{address: 'fd00::1', prefixLen: 64, family: 6}], routes: []})
    const f = find(run(fixtureTree({'proc/sys/net/ipv6/conf/tun77/disable_ipv6': '1\n'}), [d]).findings, 'device.ipv6', 'tun77')
    expect(f).toMatchObject({status: 'warn', fix: {commands: ['sysctl -w net.ipv6.conf.tun77.disable_ipv6=0']}})
  })

  test('routes but no address of their family', () => {
    const f = find(run(fixtureTree(), [device('tun77', {addresses: []})]).findings, 'device.address', 'tun77')
    expect(f.status).toBe('warn')
    expect(f.fix?.commands).toEqual(['sudo tunadm set tun77 --address <ADDRESS>/<PREFIX>'])
  })

  test('strict rp_filter on all: a system warning and a per-device warning with both sysctls', () => {
    const r = run(fixtureTree({'proc/sys/net/ipv4/conf/all/rp_filter': '1\n'}), [device('tun9')])
    expect(find(r.findings, 'system.sysctls').status).toBe('warn')
    expect(find(r.findings, 'device.rp-filter', 'tun9').fix?.commands).toEqual(['sysctl -w net.ipv4.conf.all.rp_filter=2', 'sysctl -w net.ipv4.conf.tun9.rp_filter=2'])
  })

  test('no node, no driver, a loadable module, a wrong node', () => {
    const gone = run(fixtureTree({'dev/net/tun.json': null}), [])
    expect(find(gone.findings, 'system.tun-node')).toMatchObject({status: 'fail', fix: {commands: expect.arrayContaining(['mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && chmod 0666 /dev/net/tun'])}})
    expect(find(gone.findings, 'system.node-access').status).toBe('skip')
    const noDriver = run(fixtureTree({'proc/misc': ' 229 fuse\n'}), [])
    expect(find(noDriver.findings, 'system.tun-driver').status).toBe('fail')
    const loadable = run(fixtureTree({'proc/misc': '', 'lib/modules/6.18.0-test/modules.dep': 'kernel/drivers/net/tun.ko.xz:\n'}), [])
    expect(find(loadable.findings, 'system.tun-driver')).toMatchObject({status: 'warn', fix: {commands: ['modprobe tun']}})
    const wrong = run(fixtureTree({'dev/net/tun.json': JSON.stringify({mode: '0666', uid: 0, gid: 0, char: false, major: 0, minor: 0})}), [])
    expect(find(wrong.findings, 'system.tun-node').messages[0]).toContain('not a character device')
  })

  test('a caller without CAP_NET_ADMIN (nobody) on a 0600 node', () => {
    const r = run(fixtureTree({'proc/self/status': STATUS(65534, '0000000000000000')}), [device('tun77', {owner: {id: 0, name: 'root'}})])
    expect(find(r.findings, 'system.capabilities').status).toBe('warn')
    expect(find(r.findings, 'system.node-access')).toMatchObject({status: 'fail', messages: [expect.stringContaining('only root can open it'), expect.stringContaining('nobody (uid 65534) cannot open it')]})
    expect(find(r.findings, 'device.attach', 'tun77').status).toBe('fail')
    expect(r.failed).toBe(true)
  })

  test('driver features: missing ones warn, an unreadable driver is skipped', () => {
    expect(find(run(fixtureTree(), [], {features: {flags: 0x1 | 0x2 | 0x1000}}).findings, 'system.tun-features').messages[1]).toContain('missing: multi_queue, vnet_hdr')
    expect(find(run(fixtureTree(), [], {features: {error: 'open /dev/net/tun: EACCES (Permission denied)'}}).findings, 'system.tun-features').status).toBe('skip')
  })

  test('named devices: missing, and not TUN/TAP', () => {
    const r = run(fixtureTree(), [device('tun9')], {names: ['nosuch0', 'lo', 'tun9']})
    expect(find(r.findings, 'device.exists', 'nosuch0')).toMatchObject({status: 'fail', messages: ['there is no device named nosuch0 in this network namespace']})
    expect(find(r.findings, 'device.exists', 'lo').messages).toEqual(['lo is not a TUN/TAP device; it is a loopback'])
    expect(r.findings.filter((f) => f.device === 'lo')).toHaveLength(1)
    expect(r.findings.some((f) => f.device === 'tun9' && f.id === 'device.exists')).toBe(false)
    expect(() => run(fixtureTree(), [], {names: ['bad/name']})).toThrow(/contains "\/"/)
  })

  test('a check that throws is reported as crashed and the others still run', () => {
    const boom: Check = {id: 'system.boom', group: 'system', title: 'Boom', description: 'throws', run: () => { throw new Error('kaput') }}
    const dboom: Check = {id: 'device.boom', group: 'device', title: 'Boom', description: 'throws', run: () => { throw new TypeError('bad') }}
    const r = run(fixtureTree(), [device('tun9')], {checks: [boom, ...CHECKS, dboom]})
    expect(find(r.findings, 'system.boom')).toMatchObject({status: 'crash', messages: ['the check itself failed: kaput']})
    expect(find(r.findings, 'device.boom', 'tun9').status).toBe('crash')
    expect(find(r.findings, 'device.up', 'tun9').status).toBe('ok')
    expect(r.summary.crash).toBe(2)
    expect(r.failed).toBe(true)
  })

  test('selecting checks by id and group; unknown ids are a usage error (exit 2)', () => {
    expect(selectChecks(['device.up', 'system']).map((c) => c.id)).toEqual(['system.tun-node', 'system.tun-driver', 'system.node-access', 'system.capabilities', 'system.tun-features', 'system.sysctls', 'system.config', 'system.bridge-netfilter', 'device.up'])
    let err: {code?: string; exitCode?: number} = {}
    try {
      selectChecks(['device.nope'])
    } catch (e) {
      err = e as typeof err
    }
    expect(err).toMatchObject({code: 'UNKNOWN_CHECK', exitCode: 2})
  })

  test('check ids are unique and grouped by their prefix', () => {
    const ids = CHECKS.map((c) => c.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const c of CHECKS) expect(c.id.startsWith(c.group + '.')).toBe(true)
  })
})

describe('fixes inside a network namespace', () => {
  test('tunadm gets --netns, ip gets -n, other programs run under ip netns exec; comments stay', () => {
    const {fixInNetns} = require('../../src/doctor/fixes') as typeof import('../../src/doctor/fixes')
    const fix = {text: 't', commands: ['sudo tunadm set tun0 --up', 'ip route show', 'sysctl -w net.ipv4.conf.tun0.rp_filter=2', '# start the program']}
    expect(fixInNetns(fix, 'blue').commands).toEqual(['sudo tunadm set tun0 --up --netns blue', 'ip -n blue route show', 'ip netns exec blue sysctl -w net.ipv4.conf.tun0.rp_filter=2', '# start the program'])
  })
})
