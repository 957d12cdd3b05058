/**
 * Doctor on a VM host, without root: bridge ports (master, STP state, MTU, addresses, bridge netfilter)
 * from link facts as the netlink dump gives them, and judging devices by what the config file intends.
 */
import * as C from '../../src/kernel/constants'
import type {Link} from '../../src/kernel/netlink-codec'
import {contextFrom, NetFacts} from '../../src/doctor/context'
import {runChecks} from '../../src/doctor/runner'
import {CHECKS} from '../../src/doctor/checks'
import {fixInNetns} from '../../src/doctor/fixes'
import {compactNames, renderProblems, renderReport} from '../../src/doctor/render'
import {onlyProblems} from '../../src/doctor/runner'
import {Intent, intentsFrom} from '../../src/doctor/intent'
import {staticSnapshot} from '../../src/services/snapshot'
import {derivedGroup, pathMarker} from '../../src/model/identity'
import type {ConfigFacts, Features, Finding, LinkFacts} from '../../src/doctor/types'
import type {TunDevice} from '../../src/model/device'
import type {DeviceConfig} from '../../src/config/types'
import type {Style} from '../../src/render/style'
import {NODE, cleanupTrees, fixtureTree} from '../helpers/fixture-host'

const plain: Style = {ok: (s) => s, warn: (s) => s, bad: (s) => s, dim: (s) => s, bold: (s) => s}
const FEATURES: Features = {flags: 0x1 | 0x2 | 0x100 | 0x1000 | 0x4000}
const BR = 2

function tap(name: string, index: number, over: Partial<TunDevice> = {}): TunDevice {
  return {
    name, index, mode: 'tap', pi: false, vnetHdr: true, multiQueue: false, persist: true, owner: null, group: {id: 108, name: 'netdev'},
    anyUserMayAttach: false, up: true, carrier: true, flags: ['up'], queues: 1, mtu: 1500, addresses: [], routes: [], ...over,
  }
}

interface Scene {
  devices: TunDevice[]
  /** Port facts per device name: master index and state. */
  ports?: Record<string, {master?: number; kind?: string; state?: string}>
  masters?: LinkFacts[]
  intents?: Intent[]
  config?: ConfigFacts
  sysctls?: Record<string, string | null>
  names?: string[]
}

const bridge = (over: Partial<LinkFacts> = {}): LinkFacts => ({name: 'br0', kind: 'bridge', index: BR, up: true, mtu: 1500, ...over})

function run(s: Scene) {
  const links: LinkFacts[] = [...(s.masters ?? [bridge()])]
  for (const d of s.devices) {
    const p = s.ports?.[d.name] ?? {master: BR, kind: 'bridge', state: 'forwarding'}
    const l: LinkFacts = {name: d.name, kind: 'tun', index: d.index, up: d.up, mtu: d.mtu}
    if (p.master !== undefined) {
      l.master = p.master
      l.port = {kind: p.kind ?? 'bridge', ...(p.state ? {state: p.state} : {})}
    }
    links.push(l)
  }
  const net: NetFacts = {devices: s.devices, links, routes: []}
  const host = fixtureTree({'dev/net/tun.json': NODE('0666'), ...Object.fromEntries(Object.entries(s.sysctls ?? {}).map(([k, v]) => [`proc/sys/net/bridge/${k}`, v]))})
  const ctx = contextFrom(host, net, {names: s.names, features: FEATURES, intents: s.intents})
  if (s.config) ctx.config = s.config
  return runChecks(ctx, CHECKS)
}

const find = (fs: Finding[], id: string, dev?: string) => fs.find((x) => x.id === id && x.device === dev)
const problems = (fs: Finding[]) => fs.filter((f) => f.status === 'warn' || f.status === 'fail' || f.status === 'crash').map((f) => `${f.device ?? 'system'}:${f.id}:${f.status}`)
const NF_OFF = {'bridge-nf-call-iptables': '0\n', 'bridge-nf-call-ip6tables': '0\n', 'bridge-nf-call-arptables': '0\n'}

afterAll(cleanupTrees)

describe('bridge ports', () => {
  test('two forwarding ports of an up bridge, same MTU, no addresses, bridge netfilter off: no problem at all', () => {
    const r = run({devices: [tap('tap0', 3), tap('tap1', 4)], sysctls: NF_OFF})
    expect(problems(r.findings)).toEqual([])
    expect(find(r.findings, 'device.master', 'tap0')).toMatchObject({status: 'ok', messages: ['a port of bridge br0, which is up']})
    expect(find(r.findings, 'device.port-state', 'tap1')).toMatchObject({status: 'ok', messages: ['forwarding in br0']})
    expect(find(r.findings, 'device.port-mtu', 'tap1')?.status).toBe('ok')
    expect(find(r.findings, 'system.bridge-netfilter')?.messages[0]).toMatch(/bridge-nf-call-iptables=0.*not filtered/)
  })

  test('a device that is no port gets none of the port findings, and no bridge netfilter finding', () => {
    const r = run({devices: [tap('tap0', 3)], ports: {tap0: {}}})
    expect(r.findings.filter((f) => /master|port-|bridge-netfilter/.test(f.id))).toEqual([])
  })

  test('the bridge is down: one failure naming it, with ip link set up; the port state is not blamed twice', () => {
    const r = run({devices: [tap('tap0', 3)], masters: [bridge({up: false})], ports: {tap0: {master: BR, state: 'disabled'}}, sysctls: NF_OFF})
    expect(find(r.findings, 'device.master', 'tap0')).toMatchObject({status: 'fail', fix: {commands: ['ip link set br0 up']}})
    expect(find(r.findings, 'device.master', 'tap0')?.messages[0]).toMatch(/port of bridge br0, which is down: no frames pass/)
    expect(find(r.findings, 'device.port-state', 'tap0')).toMatchObject({status: 'skip', messages: ['disabled while br0 is down; it forwards once that changes']})
    expect(problems(r.findings)).toEqual(['tap0:device.master:fail'])
  })

  test('a port disabled because nothing is attached is the carrier check\'s finding, not a second one', () => {
    const r = run({devices: [tap('tap0', 3, {carrier: false, queues: 0})], ports: {tap0: {master: BR, state: 'disabled'}}, sysctls: NF_OFF})
    expect(find(r.findings, 'device.port-state', 'tap0')?.status).toBe('skip')
    expect(problems(r.findings)).toEqual(['tap0:device.carrier:warn'])
  })

  test('blocking fails, listening and learning warn, disabled with carrier fails: each with bridge commands', () => {
    const r = run({devices: [tap('tap0', 3), tap('tap1', 4), tap('tap2', 5), tap('tap3', 6)], sysctls: NF_OFF,
      ports: {tap0: {master: BR, state: 'blocking'}, tap1: {master: BR, state: 'listening'}, tap2: {master: BR, state: 'learning'}, tap3: {master: BR, state: 'disabled'}}})
    const blocking = find(r.findings, 'device.port-state', 'tap0')!
    expect(blocking.status).toBe('fail')
    expect(blocking.messages[0]).toMatch(/tap0 is blocking in br0/)
    expect(blocking.fix?.commands).toEqual(['bridge link show dev tap0', 'ip -d link show br0', 'ip link set br0 type bridge stp_state 0', 'bridge link set dev tap0 state 3'])
    expect(find(r.findings, 'device.port-state', 'tap1')).toMatchObject({status: 'warn', messages: [expect.stringMatching(/listening in br0: STP holds frames back/)]})
    expect(find(r.findings, 'device.port-state', 'tap2')?.status).toBe('warn')
    expect(find(r.findings, 'device.port-state', 'tap3')).toMatchObject({status: 'fail', fix: {commands: ['bridge link show dev tap3', 'bridge link set dev tap3 state 3']}})
    expect(problems(r.findings)).toEqual(['tap0:device.port-state:fail', 'tap1:device.port-state:warn', 'tap2:device.port-state:warn', 'tap3:device.port-state:fail'])
  })

  test('an MTU that differs from the bridge\'s warns, with the bridge\'s MTU in the fix', () => {
    const r = run({devices: [tap('tap0', 3, {mtu: 9000})], sysctls: NF_OFF})
    const f = find(r.findings, 'device.port-mtu', 'tap0')!
    expect(f.status).toBe('warn')
    expect(f.messages[0]).toBe('tap0 has MTU 9000 and br0 has MTU 1500: frames that fit tap0 but not br0 are dropped without an error, so small packets (ping, ARP) pass and large transfers stall')
    expect(f.fix?.commands).toEqual(['sudo tunadm set tap0 --mtu 1500'])
  })

  test('an address on a port warns (it belongs on the bridge); its IPv6 link-local address does not', () => {
    const r = run({devices: [tap('tap0', 3, {addresses: [{address: '192.168.100.1', prefixLen: 24, family: 4}, {address: 'fe80::1', prefixLen: 64, family: 6}]}), tap('tap1', 4, {addresses: [{address: 'fe80::2', prefixLen: 64, family: 6}]})], sysctls: NF_OFF})
    const f = find(r.findings, 'device.port-address', 'tap0')!
    expect(f.status).toBe('warn')
    expect(f.messages[0]).toMatch(/^tap0 is a port of br0 and has 192\.168\.100\.1\/24: br0 takes every frame/)
    expect(f.fix?.commands).toEqual(['sudo tunadm set tap0 --del-address 192.168.100.1/24', 'ip address add 192.168.100.1/24 dev br0'])
    expect(find(r.findings, 'device.port-address', 'tap1')?.status).toBe('ok')
  })

  test('bond and vrf ports: master checked, no STP state; a vrf port may have addresses and its own MTU', () => {
    const masters = [{name: 'bond0', kind: 'bond', index: 7, up: true, mtu: 1500}, {name: 'vrf-blue', kind: 'vrf', index: 8, up: true, mtu: 65575}]
    const addresses = [{address: '10.0.0.1', prefixLen: 24, family: 4 as const}]
    const r = run({devices: [tap('tap0', 3, {addresses}), tap('tap1', 4, {addresses})], masters, ports: {tap0: {master: 7, kind: 'bond'}, tap1: {master: 8, kind: 'vrf'}}})
    expect(find(r.findings, 'device.master', 'tap1')?.messages).toEqual(['a port of vrf vrf-blue, which is up'])
    expect(find(r.findings, 'device.port-address', 'tap0')?.status).toBe('warn')
    expect(['device.port-state', 'device.port-mtu', 'device.port-address'].map((id) => find(r.findings, id, 'tap1'))).toEqual([undefined, undefined, undefined])
    expect(find(r.findings, 'system.bridge-netfilter')).toBeUndefined()
  })

  test('bridge netfilter on: one warning for the system, naming the bridges, with how to see the rules and to turn it off', () => {
    const r = run({devices: [tap('tap0', 3), tap('tap1', 4)], sysctls: {'bridge-nf-call-iptables': '1\n', 'bridge-nf-call-ip6tables': '1\n', 'bridge-nf-call-arptables': '0\n'}})
    const f = find(r.findings, 'system.bridge-netfilter')!
    expect(f.status).toBe('warn')
    expect(f.messages[0]).toMatch(/^net\.bridge\.bridge-nf-call-iptables=1, net\.bridge\.bridge-nf-call-ip6tables=1, net\.bridge\.bridge-nf-call-arptables=0: frames bridged by br0 /)
    expect(f.fix?.commands).toEqual(['iptables -S FORWARD', 'ip6tables -S FORWARD', 'nft list ruleset', 'sysctl -w net.bridge.bridge-nf-call-iptables=0', 'sysctl -w net.bridge.bridge-nf-call-ip6tables=0'])
    expect(problems(r.findings)).toEqual(['system:system.bridge-netfilter:warn'])
    // Without br_netfilter the sysctls do not exist: bridged frames bypass the firewall.
    const none = run({devices: [tap('tap0', 3)], sysctls: {'bridge-nf-call-iptables': null, 'bridge-nf-call-ip6tables': null, 'bridge-nf-call-arptables': null}})
    expect(find(none.findings, 'system.bridge-netfilter')).toMatchObject({status: 'ok', messages: [expect.stringMatching(/^br_netfilter is not loaded/)]})
  })

  test('--netns: bridge, ip, sysctl and the firewall tools run in the namespace; host commands do not', () => {
    const fix = fixInNetns({text: 't', commands: ['bridge link set dev tap0 state 3', 'ip link set br0 up', 'nft list ruleset', 'iptables -S FORWARD', 'sysctl -w net.bridge.bridge-nf-call-iptables=0', 'sudo tunadm apply --dry-run', 'chmod 0666 /dev/net/tun']}, 'vm')
    expect(fix.commands).toEqual(['bridge -n vm link set dev tap0 state 3', 'ip -n vm link set br0 up', 'ip netns exec vm nft list ruleset', 'ip netns exec vm iptables -S FORWARD',
      'ip netns exec vm sysctl -w net.bridge.bridge-nf-call-iptables=0', 'sudo tunadm apply --dry-run --netns vm', 'chmod 0666 /dev/net/tun'])
  })
})

// ---- intent -----------------------------------------------------------------------------------

const SRC = '/etc/tunadm/vmhost.yaml'
const entry = (name: string, over: Partial<DeviceConfig> = {}): DeviceConfig => ({name, mode: 'tap', group: 'netdev', ...over})
const intent = (name: string, over: Partial<Intent> = {}): Intent => ({name, source: SRC, declared: entry(name), changes: [], ...over})

describe('doctor judges by what the config intends', () => {
  test('declared down (up: false) and down, nothing attached: not a failure, nor a carrier warning', () => {
    const d = tap('tap5', 3, {up: false, carrier: false, queues: 0, flags: []})
    const r = run({devices: [d], ports: {tap5: {}}, intents: [intent('tap5', {declared: entry('tap5', {up: false})})]})
    expect(find(r.findings, 'device.up', 'tap5')).toMatchObject({status: 'ok', messages: ['tap5 is down, as its config entry declares (up: false)']})
    expect(find(r.findings, 'device.carrier', 'tap5')?.status).toBe('ok')
    expect(find(r.findings, 'device.config', 'tap5')).toMatchObject({status: 'ok', messages: [`as declared in ${SRC}`]})
    expect(problems(r.findings)).toEqual([])
    expect(r.failed).toBe(false)
    // The same device without a config: down is a failure.
    expect(find(run({devices: [d], ports: {tap5: {}}}).findings, 'device.up', 'tap5')?.status).toBe('fail')
  })

  test('drift is one finding, listing every difference, with tunadm apply as the fix (device.up does not repeat it)', () => {
    const d = tap('tap5', 3, {up: false, carrier: false, queues: 0, flags: [], mtu: 1400})
    const drifted = intent('tap5', {declared: entry('tap5', {up: true, mtu: 1500}), changes: [{what: 'mtu', from: 1400, to: 1500}, {what: 'up', from: false, to: true}]})
    const r = run({devices: [d], ports: {tap5: {}}, intents: [drifted]})
    const f = find(r.findings, 'device.config', 'tap5')!
    expect(f).toMatchObject({status: 'fail', messages: [`tap5 differs from its entry in ${SRC}: mtu 1400 (declared 1500); up false (declared true)`]})
    expect(f.fix?.commands).toEqual([`tunadm apply --config ${SRC} --dry-run`, `sudo tunadm apply --config ${SRC}`])
    expect(find(r.findings, 'device.up', 'tap5')).toBeUndefined()
    expect(problems(r.findings).filter((p) => p.endsWith(':fail'))).toEqual(['tap5:device.config:fail'])
  })

  test('a declared device that is missing fails with apply as the fix; the default config needs no --config', () => {
    const r = run({devices: [], intents: [{...intent('tap9'), source: '/etc/tunadm/tunadm.yaml', changes: [{what: 'device', from: null, to: 'tap tap9'}]}]})
    const f = find(r.findings, 'device.exists', 'tap9')!
    expect(f).toMatchObject({status: 'fail', messages: ['tap9 is declared in /etc/tunadm/tunadm.yaml but there is no device of that name in this network namespace']})
    expect(f.fix?.commands).toEqual(['tunadm apply --dry-run', 'sudo tunadm apply'])
    expect(r.failed).toBe(true)
  })

  test('a declared name held by a bridge, or a device apply cannot take (foreign, fixed part differs): failures with their fix', () => {
    const net = run({devices: [tap('tap1', 4)], ports: {tap1: {}}, masters: [bridge({name: 'tap0'})], intents: [intent('tap0'),
      intent('tap1', {problem: {code: 'FOREIGN', message: 'tap1 exists and was not created by this config (it has no tunadm marker)', fix: 'take it over with tunadm apply --adopt'}})]})
    expect(find(net.findings, 'device.exists', 'tap0')?.messages[0]).toBe(`tap0 is not a TUN/TAP device; it is a bridge (${SRC} declares a TUN/TAP device of this name)`)
    const foreign = find(net.findings, 'device.config', 'tap1')!
    expect(foreign.status).toBe('fail')
    expect(foreign.fix?.commands).toEqual([`sudo tunadm apply --config ${SRC} --adopt`])
  })

  test('the config file: how many devices it declares, or why it cannot be read (a finding, not an exit)', () => {
    expect(find(run({devices: [], config: {source: SRC, declared: 66}}).findings, 'system.config')?.messages).toEqual([`${SRC} declares 66 devices: each is checked against its entry`])
    const bad = find(run({devices: [], config: {source: SRC, error: {message: `${SRC}:3:5: unknown device key "mtuu"`}}}).findings, 'system.config')!
    expect(bad.status).toBe('fail')
    expect(bad.messages[0]).toMatch(/cannot be read, so the devices are judged without it: .*unknown device key/)
    expect(find(run({devices: []}).findings, 'system.config')).toBeUndefined()
  })

  test('intentsFrom: the planner\'s own answer for each entry, against a snapshot', () => {
    const source = '/tmp/tunadm-doctor-intent.yaml'
    const marker = pathMarker(source)
    const group = derivedGroup(marker)
    const link = (name: string, index: number, over: Partial<Link> = {}): Link => ({
      index, name, flags: C.IFF_BROADCAST | C.IFF_MULTICAST, hwType: 1, mtu: 1500, minMtu: 68, maxMtu: 65521, txqlen: 1000, kind: 'tun', group, alias: marker, ...over,
      tun: {type: 'tap', pi: false, vnetHdr: false, persist: true, multiQueue: false},
    })
    const snap = staticSnapshot({links: [link('tap0', 3), link('tap1', 4, {mtu: 1400}), link('tap2', 5, {alias: undefined})]})
    // any_user: no account look-up (koffi registers its struct types once per process, and jest shares workers).
    const config = {version: 1 as const, source, devices: ['tap0', 'tap1', 'tap2', 'tap3'].map((n) => ({name: n, mode: 'tap' as const, any_user: true, up: false, mtu: 1500}))}
    const [t0, t1, t2, t3] = intentsFrom(config, snap)
    expect(t0).toMatchObject({name: 'tap0', source, changes: []})
    expect(t1.changes).toEqual([{what: 'mtu', from: 1400, to: 1500}])
    expect(t2.problem).toMatchObject({code: 'FOREIGN', message: `tap2 exists and has no tunadm marker; it carries the config's link group ${group}, but tunadm has no record that this config made it`})
    expect(t3.changes[0]).toMatchObject({what: 'device', from: null})
  })
})

describe('--problems', () => {
  test('only warnings and failures, and one line for the same problem on many devices (the range written as in the config)', () => {
    const devices = Array.from({length: 64}, (_, i) => tap(`tap${i}`, 10 + i, {mtu: 9000}))
    const r = run({devices, sysctls: NF_OFF})
    const shown = onlyProblems(r)
    expect(new Set(shown.findings.map((f) => f.id))).toEqual(new Set(['device.port-mtu']))
    expect(shown.summary).toEqual(r.summary)
    const text = renderProblems(shown, plain)
    const lines = text.split('\n')
    expect(lines[0]).toBe('[warn]  tap{0..63} (64 devices): MTU matches the master\'s: tap{0..63} has MTU 9000 and br0 has MTU 1500: frames that fit tap{0..63} but not br0 are dropped without an error, so small packets (ping, ARP) pass and large transfers stall  device.port-mtu')
    expect(lines).toContain('           # for each of them; for tap0:')
    expect(lines).toContain('           $ sudo tunadm set tap0 --mtu 1500')
    expect(lines[lines.length - 1]).toMatch(/^doctor: \d+ ok, 64 warnings, 0 failed/)
    // Nothing to say: the summary alone, after a line that says so.
    const healthy = run({devices: [tap('tap0', 3)], sysctls: NF_OFF})
    expect(renderProblems(onlyProblems(healthy), plain).split('\n')[0]).toBe('no problems found')
    expect(renderReport(healthy, plain)).toMatch(/\[ok\] +Bridge port forwarding: forwarding in br0/)
  })

  test('compactNames: runs become ranges, other names are listed, long lists are cut', () => {
    expect(compactNames(['tap0', 'tap1', 'tap2', 'tap-web'])).toBe('tap{0..2}, tap-web')
    expect(compactNames(['tap1', 'tap10'])).toBe('tap1, tap10')
    expect(compactNames(['a', 'b', 'c', 'd', 'e', 'f', 'g'])).toBe('a, b, c, d, e and 2 more')
    expect(compactNames(['vm1', 'vm2'])).toBe('vm1, vm2')
  })
})

describe('linkdown routes', () => {
  test('the kernel\'s own fe80::/64, linkdown once a guest has gone, is not a failure; other linkdown routes are', () => {
    const routes = [{destination: 'fe80::/64', linkdown: true, protocol: 'kernel'}]
    const r = run({devices: [tap('tap0', 3, {carrier: false, queues: 0, routes})], ports: {tap0: {}}})
    expect(find(r.findings, 'device.linkdown-routes', 'tap0')).toMatchObject({status: 'ok', messages: ['1 route(s), none linkdown but the IPv6 link-local one']})
    const more = run({devices: [tap('tap0', 3, {carrier: false, queues: 0, routes: [...routes, {destination: '10.0.0.0/24', linkdown: true, protocol: 'kernel'}]})], ports: {tap0: {}}})
    expect(find(more.findings, 'device.linkdown-routes', 'tap0')).toMatchObject({status: 'fail', messages: ['linkdown: 10.0.0.0/24', expect.any(String)]})
  })
})
